"""The sender loop: claim what is due, deliver it on one reused connection, record each outcome
(sent, retry with backoff, failed, expired, ambiguous), and pause on auth/TLS failures."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from smtplib import SMTPServerDisconnected

from mailgitops.dispatch import lease, recipients
from mailgitops.dispatch.delivery import DeliveryMode, envelope_allowed
from mailgitops.dispatch.delivery import resolve as resolve_delivery
from mailgitops.dispatch.outbox import Outbox, Pause, Row
from mailgitops.dispatch.sending import PRUNE_EVERY, FlushReport, RetryPolicy, WallWatch, clock_set_back
from mailgitops.dispatch.smtp import Connection, Delivery, ServerConfig, TransportError
from mailgitops.errors import ExitCode, MailgitopsError

# Rows a flush claims at a time: about CLAIM_SECONDS of sending at this sender's pace so far,
# between BATCH and MAX_BATCH. A claim is a durable commit (an fsync, as long as sending a few
# messages to a nearby server): to such a server one claim per ten messages was a third of the
# time. To a slow one, a large claim would hold rows that another instance on the same outbox
# could be sending. A process that dies holding rows loses none: the next start queues them
# again, counting only the one that may have been in flight as ambiguous (lease.py).
BATCH = 10
MAX_BATCH = 100
CLAIM_SECONDS = 0.25
# A session idle this long is ended and a fresh one opened: servers may drop an idle client
# (RFC 5321 4.5.3.2.7 lets them after 5 minutes, some do sooner), and a dropped session would
# cost the next message a failed attempt and a full backoff.
IDLE_SECONDS = 30.0


# The salted hash kept with an authentication pause, to notice a changed password without storing
# it: PBKDF2 makes guessing the password from the stored value slow (computed once per process).
_SECRET_ROUNDS = 50_000
FAILED_SECRETS = 8  # the passwords that failed, remembered until `outbox resume`


def _secret(server: ServerConfig, env: Mapping[str, str] | None = None) -> bytes:
    """The configured server, user name and password (none set counts as empty)."""
    try:
        password = server.password(env) or ""
    except TransportError:
        password = ""
    return f"{server.host}\0{server.username or ''}\0{password}".encode()


def secret_tag(secret: bytes, salt: bytes) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", secret, salt, _SECRET_ROUNDS)
    return f"pbkdf2-sha256${_SECRET_ROUNDS}${salt.hex()}${digest.hex()}"


def claim_size(pace: float | None) -> int:
    """How many rows to claim next, at `pace` seconds a message so far: BATCH until it is known."""
    if pace is None:
        return BATCH
    return max(BATCH, min(MAX_BATCH, int(CLAIM_SECONDS / max(pace, 1e-6))))


class Sender:
    """Delivers outbox rows. Keeps its connection open between flushes; close() ends it."""

    def __init__(self, outbox: Outbox, server: ServerConfig, policy: RetryPolicy | None = None,
                 connect: Callable[[ServerConfig], Connection] = Connection,
                 delivery: Callable[[], DeliveryMode] | None = None) -> None:
        self.outbox = outbox
        # the installation's delivery mode, asked for before anything is sent (no mode: refused)
        self.delivery = delivery or resolve_delivery
        self.server = server
        self.policy = policy or RetryPolicy()
        self.connect = connect
        self.worker = lease.worker_id()
        self.pace: float | None = None  # seconds per message this sender has taken so far
        self.wall = WallWatch()  # a clock set back while it runs
        self.conn: Connection | None = None
        self.last_used = 0.0  # time.monotonic() of the last message on `conn`
        self._tags: dict[tuple[bytes, bytes], str] = {}  # in memory only: each tag computed once
        self.pruned_at: float | None = None  # time.monotonic() of this sender's last prune
        # The outbox could not be written when a message's outcome came back (PostgreSQL down):
        # the server's answer is kept here and recorded once it can be, with the rows claimed
        # and not tried then. Left as they were, they stayed `sending` under this live process's
        # lease, and 15 minutes later the sent one went out a second time.
        self.unrecorded: list[tuple[Row, Delivery]] = []
        self.unreleased: list[Row] = []
        # one SMTP conversation at a time: a Dispatcher shared by an order system's threads sent
        # their commands interleaved on this one connection ("503 nested MAIL command", a message
        # whose first line was another's MAIL FROM, recorded as sent) and then hung
        self.talking = threading.RLock()

    def _tag(self, salt: bytes) -> str:
        """The tag of the password configured now (a password file may change while serve runs)."""
        secret = _secret(self.server)
        key = (salt, hashlib.sha256(secret).digest())
        if key not in self._tags:
            self._tags[key] = secret_tag(secret, salt)
        return self._tags[key]

    def current_pause(self) -> Pause | None:
        """The outbox's pause as it applies to this process. An authentication pause holds the
        tags of the passwords that failed (several machines may share the outbox): it applies
        while the password configured here is one of them, and ends for this process once it is
        not. It is not cleared for the others: a machine whose password file has not been
        rotated yet must not log in again with the password that failed (lifting the shared
        pause made it try once a pass, and a server that locks accounts locked the print room out)."""
        pause = self.outbox.paused()
        if pause is None or pause.secret is None:
            return pause
        for tag in pause.secret.split():
            if self._tag(bytes.fromhex(tag.split("$")[2])) == tag:
                return pause
        return None

    def close(self) -> None:
        with self.talking:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

    def flush(self, ids: Sequence[int] | None = None, *, force: bool = False, batch: int | None = None,
              stop: threading.Event | None = None) -> FlushReport:
        """Send what is due now (only `ids` when given), claiming `batch` rows at a time (None:
        as many as this sender's pace sends in CLAIM_SECONDS). A pause is honoured unless
        `force`; once `stop` is set nothing more is claimed."""
        with self.talking:
            return self._flush(ids, force=force, batch=batch, stop=stop)

    def _flush(self, ids: Sequence[int] | None, *, force: bool, batch: int | None,
               stop: threading.Event | None) -> FlushReport:
        self.delivery()
        report = FlushReport()
        self.settle(report)
        clock_set_back(self.outbox, self.policy, time.time(), self.wall.set_back())
        self.apply_retention()
        pause = self.current_pause()
        if pause is not None:
            # an authentication failure is not retried with the same password: a server that
            # counts failed logins would lock the print room out (`outbox resume` overrides)
            if not force or pause.secret is not None:
                report.paused, report.paused_until = pause.reason, pause.until
                return report
            self.outbox.pause(0.0, "")  # by hand, after a fix: try again now
        start = time.time()  # rows rescheduled during this flush wait for the next one
        while stop is None or not stop.is_set():
            size = batch or claim_size(self.pace)
            began = time.monotonic()
            rows = self.outbox.claim(worker=self.worker, lease_seconds=self.policy.lease_seconds,
                                     limit=size, ids=ids, due_before=start)
            sent = self.deliver(rows, report)
            if rows:
                took = (time.monotonic() - began) / len(rows)
                self.pace = took if self.pace is None else (self.pace + took) / 2
            if not sent or len(rows) < size:
                break
        return report

    def settle(self, report: FlushReport) -> None:
        """Record what could not be recorded while the outbox was down, and queue again the rows
        claimed then and never tried; raises (exit 75) while it is still down."""
        while self.unrecorded:
            row, result = self.unrecorded[0]
            self.record(row, result, report)
            self.unrecorded.pop(0)
        while self.unreleased:
            row = self.unreleased[0]
            self.outbox.update(row.id, self.worker, status="queued", attempts=row.attempts - 1,
                               lease_until=None)
            self.unreleased.pop(0)

    def apply_retention(self) -> None:
        """Drop the bodies of messages finished longer ago than the retention, at most once per
        PRUNE_EVERY (`outbox flush` and serve's senders call it at the start of a pass)."""
        retention = self.policy.retention_seconds
        if retention is None or (self.pruned_at is not None
                                 and time.monotonic() - self.pruned_at < PRUNE_EVERY):
            return
        self.pruned_at = time.monotonic()
        self.outbox.prune(time.time() - retention)

    def deliver(self, rows: Sequence[Row], report: FlushReport) -> bool:
        """Send rows this worker has claimed; False when the connection could not be made."""
        with self.talking:
            return self._deliver(rows, report)

    def _deliver(self, rows: Sequence[Row], report: FlushReport) -> bool:
        mode = self.delivery()
        for i, row in enumerate(rows):
            if not envelope_allowed(mode, row.rcpts):
                self._not_in_this_mode(row, mode, report)
                continue
            # A session kept open since an earlier message may have died meanwhile (the server
            # restarted, or went down): lost before the final dot, nothing was accepted, so the
            # message goes once more on a new session, whose opening says whether the server can
            # be reached. Counted as reached only when the server answered: a dead session that
            # counted as "connected" kept /health at ok through an outage's first backoff.
            for last_try in (False, True):
                try:
                    opened = self._ensure_open()
                except TransportError as e:
                    # a pause (the password refused or unreadable, TLS, a server refusing us) is
                    # said as one while it lasts; it is no server out of reach, which stayed said
                    # after the pause ended until this process next sent something (an
                    # operations walk: a false alarm all through a quiet night)
                    if not e.pauses:
                        report.unreachable = e.message
                    elif e.kind != "config":  # the server answered (our settings need no server)
                        report.connected = True
                    self._connection_failed(rows[i:], e, report)
                    return False
                report.connected = report.connected or opened
                try:
                    if self._send_one(row, report, again_if_lost=not (last_try or opened)):
                        break
                except MailgitopsError:
                    self.unreleased.extend(rows[i + 1:])  # claimed, never tried
                    raise
        return True

    def _not_in_this_mode(self, row: Row, mode: DeliveryMode, report: FlushReport) -> None:
        """Queued for real recipients while this installation was in production; now that it
        redirects, it is held back rather than sent to them (retry it after switching back)."""
        self.outbox.update(row.id, self.worker, status="failed", lease_until=None,
                           last_error=f"not sent: it was queued for {', '.join(row.rcpts)} in production "
                                      f"mode, and this installation now delivers in {mode} mode "
                                      f"(`mailgitops outbox retry {row.id}` once in production again)")
        report.failed += 1

    def _ensure_open(self) -> bool:
        """A session to send on; True when it was opened now (the server greeted it)."""
        if self.conn is not None and time.monotonic() - self.last_used > IDLE_SECONDS:
            self.close()
        if self.conn is not None and self.conn.alive:
            return False
        self.close()
        conn = self.connect(self.server)
        conn.open()
        self.conn = conn
        self.last_used = time.monotonic()
        return True

    def _send_one(self, row: Row, report: FlushReport, *, again_if_lost: bool = False) -> bool:
        """Send one claimed row and record the result; False (nothing recorded) when the session,
        kept open from before, was found lost before the final dot and `again_if_lost`."""
        assert self.conn is not None and row.raw is not None
        if row.sha256 is not None and hashlib.sha256(row.raw).hexdigest() != row.sha256:
            # the disk (or someone) changed the stored bytes: garbage must not reach a customer
            self.outbox.update(row.id, self.worker, status="corrupt", lease_until=None,
                               last_error="the stored message no longer matches its SHA-256 checksum; "
                                          "not sent. Check the disk; the event can be sent again under a "
                                          "new event_id")
            report.corrupt += 1
            return True
        try:
            result = self.conn.deliver(row.envelope_from, row.rcpts, row.raw)
            report.connected = True  # the server answered
        except (SMTPServerDisconnected, OSError) as e:
            # Lost before the final dot (or between commands): nothing was accepted.
            self.close()
            if again_if_lost:
                return False
            result = Delivery((), dict.fromkeys(row.rcpts, f"connection lost: {e}"), {})
        except Exception as e:  # a bug in one message must leave it in a visible state, not stop the loop
            self.close()
            result = Delivery((), dict.fromkeys(row.rcpts, f"{type(e).__name__}: {e}"), {})
        self.last_used = time.monotonic()
        try:
            self.record(row, result, report)
        except MailgitopsError as e:
            if e.exit_code == ExitCode.TEMPORARY:  # the outbox is down: record it when it is back
                self.unrecorded.append((row, result))
            raise
        return True

    def record(self, row: Row, result: Delivery, report: FlushReport) -> None:
        """Each tried recipient's result, then the message's state by the rule in recipients.py."""
        now = time.time()
        recips = recipients.apply(row.recipients, row.rcpts, result)
        delivered = tuple(r["address"] for r in recips if r["result"] == "accepted")
        refused = {r["address"]: recipients.describe(r).partition(": ")[2]
                   for r in recips if r["result"] == "refused"}
        got = recipients.verdict(recips)
        common = {"delivered": delivered, "refused": refused, "lease_until": None}
        if got.status == "waiting" and now - row.created_at >= self.policy.lifetime_seconds:
            recips = recipients.expire(recips, f"gave up after {row.attempts} attempt(s)")
            to_waiting = any(r["kind"] == "to" and r["result"] == "deferred" for r in recips)
            note = "; ".join(recipients.describe(r) for r in recips if r["result"] != "accepted")
            if to_waiting:
                self.outbox.update(row.id, self.worker, status="expired", rcpts=got.pending,
                                   recipients=recips, last_error=note, **common)
                report.expired += 1
            else:  # every To has it; only a copy ran out of time
                self.outbox.update(row.id, self.worker, status="sent", rcpts=(), recipients=recips,
                                   last_error=note, sent_at=now, **common)
                report.sent += 1
            return
        if got.status == "waiting":
            status = "ambiguous" if result.ambiguous else "queued"
            self.outbox.update(row.id, self.worker, status=status, rcpts=got.pending, recipients=recips,
                               last_error=got.error, ambiguous=row.ambiguous + (1 if result.ambiguous else 0),
                               next_attempt_at=now + self.policy.delay(row.attempts), **common)
            report.ambiguous += result.ambiguous
            report.retry += 1
        elif got.status == "sent":
            self.outbox.update(row.id, self.worker, status="sent", rcpts=(), recipients=recips,
                               last_error=got.error, sent_at=now, **common)
            report.sent += 1
        else:
            self.outbox.update(row.id, self.worker, status="failed", rcpts=(), recipients=recips,
                               last_error=got.error or result.reply, **common)
            report.failed += 1

    def _connection_failed(self, rows: Sequence[Row], e: TransportError, report: FlushReport) -> None:
        if e.pauses:
            if e.kind == "auth":
                until: float | None = None
                # added to the passwords that failed before (on this or another machine)
                prior = self.outbox.paused()
                failed = prior.secret.split() if prior is not None and prior.secret else []
                tags = [*failed, self._tag(os.urandom(16))][-FAILED_SECRETS:]
                self.outbox.pause(None, e.message, secret=" ".join(tags))
            else:
                until = time.time() + self.policy.pause_seconds
                self.outbox.pause(until, e.message)
            report.paused, report.paused_until = e.message, until
            for row in rows:  # not the message's fault: the attempt does not count
                self.outbox.update(row.id, self.worker, status="queued", attempts=row.attempts - 1,
                                   last_error=f"sending paused: {e.message}",
                                   next_attempt_at=row.next_attempt_at, lease_until=None)
            return
        for row in rows:
            self.record(row, Delivery((), dict.fromkeys(row.rcpts, e.message), {}), report)
