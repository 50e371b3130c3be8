"""The state one `serve` process holds: the bundle, the dispatcher (opened when the outbox can be),
the sender loop's wake-up and the counters behind /metrics."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mailgitops import bundle as bundle_mod
from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.serve.doorbell import Doorbell

if TYPE_CHECKING:
    from mailgitops.dispatch.api import Dispatcher
    from mailgitops.dispatch.sending import RetryPolicy


SCHEMA_CHECK_SECONDS = 5.0
SCHEMA_CHECK_WAIT = 2.0  # the longest the look waits for the outbox (monitor.PROBE_SECONDS too)


def log(line: str) -> None:  # serve's log line (loop.py's; that module imports this one)
    sys.stderr.write(f"mailgitops serve: {line}\n")
    sys.stderr.flush()


class Unreachable(NamedTuple):
    reason: str  # the last failure, in the sender's words
    since: float  # the first failure since a session last opened
    tried: float  # the last failure: nothing newer is known (a backoff may wait an hour)


# Events checked, rendered and stored at once. That work is CPU under one interpreter lock: more
# at once does not accept more per second, it only takes the senders' share, so at 32 clients
# sending fell to a third of what was accepted. The other requests wait for a turn.
ACCEPTING = 4


class Service:
    """Loads the bundle at once (a bad bundle must stop the start), but opens the outbox lazily:
    an outbox that cannot be opened now answers 503 (retry) instead of keeping the service down."""

    def __init__(self, bundle_path: str | Path, *, outbox: str | None, attachments_root: str | Path | None,
                 token: str | None, policy: RetryPolicy | None = None, delivery: str | None = None,
                 max_backlog: int | None = None) -> None:
        from mailgitops.dispatch.api import max_backlog_from
        from mailgitops.dispatch.attachments import attachments_root_from
        from mailgitops.dispatch.delivery import resolve

        self.delivery = resolve(delivery)  # first: without a delivery mode the service does not start
        self.bundle = bundle_mod.load(bundle_path)
        from mailgitops.render.formats import require_zone  # a machine without the zone stops here

        require_zone(self.bundle.settings.workflow.timezone, str(bundle_path))
        self.outbox_location = outbox
        self.attachments_root = (Path(attachments_root) if attachments_root
                                 else attachments_root_from(None))
        self.token = token
        self.policy = policy
        self.max_backlog = max_backlog_from() if max_backlog is None else max_backlog
        self.wake = Doorbell()  # rung when rows were queued: a sender makes a pass at once
        # why the senders could not reach the SMTP server, since when and when they last tried
        # (time.time()); None once one of them has a session again: the pool's log, /health and
        # /metrics all read it
        self.smtp_unreachable: Unreachable | None = None
        self.accepting = threading.BoundedSemaphore(ACCEPTING)  # POST /events handled at once
        self._lock = threading.Lock()
        self._dispatcher: Dispatcher | None = None
        self._counts: dict[str, int] = {"accepted": 0, "duplicate": 0, "invalid": 0, "conflict": 0,
                                        "unavailable": 0, "backlog": 0}
        self._started = False
        # the outbox's schema version is looked at again every SCHEMA_CHECK_SECONDS: another
        # machine's newer mailgitops may migrate it while this one runs (refused: every request
        # and sender pass meets the refusal, as at start, until the version is one it knows)
        self._schema_checked = time.monotonic()
        self._schema_refused: MailgitopsError | None = None
        try:  # open now, so that a wrong setting stops the start instead of failing every request
            self.dispatcher()
        except MailgitopsError as e:
            if e.exit_code != ExitCode.TEMPORARY:
                raise
        self._started = True

    def dispatcher(self) -> Dispatcher:
        """The dispatcher; MailgitopsError (exit code TEMPORARY) while the outbox cannot be opened,
        or its schema version is not one this mailgitops knows."""
        with self._lock:
            due = time.monotonic() - self._schema_checked >= SCHEMA_CHECK_SECONDS
            if due:
                self._schema_checked = time.monotonic()
            refused = self._schema_refused
        if due and self._dispatcher is not None:
            # outside the lock, and briefly: a database that does not answer holds up this
            # request (a /health probe among them) no longer than /health's own probe, no other
            outbox = self._dispatcher.outbox
            with outbox.answer_within(SCHEMA_CHECK_WAIT):
                refused = outbox.schema_refusal()
            if refused is not None and self._schema_refused is None:
                log(f"the outbox is refused from now: {refused.message}")
            elif refused is None and self._schema_refused is not None:
                log("the outbox's schema version is one this mailgitops knows again")
            self._schema_refused = refused
        if refused is not None:
            raise refused
        with self._lock:
            if self._dispatcher is None:
                from mailgitops.dispatch.api import Dispatcher
                from mailgitops.dispatch.outbox_backends import open_outbox

                try:
                    outbox = open_outbox(self.outbox_location)
                except MailgitopsError as e:
                    if not self._started or e.exit_code == ExitCode.TEMPORARY:
                        raise
                    # running (e.g. the database password was changed since the start): the
                    # request is answered 503, never 4xx, which an order system takes as "drop it"
                    raise MailgitopsError(e.message, hint=e.hint, exit_code=ExitCode.TEMPORARY) from None
                on_work = getattr(outbox, "on_work", None)
                if on_work is not None:  # PostgreSQL: another instance's new work wakes this sender
                    on_work(self.wake.set)
                self._dispatcher = Dispatcher(self.bundle, outbox, attachments_root=self.attachments_root,
                                              policy=self.policy, delivery=self.delivery,
                                              max_backlog=self.max_backlog)
            return self._dispatcher

    def opened(self) -> Dispatcher | None:
        with self._lock:
            return self._dispatcher

    def count(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        with self._lock:
            if self._dispatcher is not None:
                self._dispatcher.close()
                self._dispatcher.outbox.close()
                self._dispatcher = None
