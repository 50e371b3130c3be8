"""The sender pool: a few threads, each with its own SMTP session (kept open across messages)
and worker name, so sending keeps up with what POST /events accepts. They share the service's
outbox connection: its lock hands over in microseconds, where separate SQLite connections wait
for each other's write lock in SQLite's busy handler, which sleeps in steps of up to 100 ms.
Each claims a small batch at a time (one commit for several rows); on stop, rows it claimed but
did not start are handed back untouched, and the SMTP transaction in flight is finished."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from mailgitops.dispatch.outbox import Row
from mailgitops.dispatch.sender import Sender
from mailgitops.dispatch.sending import FlushReport, clock_set_back
from mailgitops.errors import MailgitopsError
from mailgitops.serve.service import Service, Unreachable, log

INTERVAL = 1.0
SENDERS = 4  # SMTP is mostly waiting for replies: a few sessions in parallel, not one per core
CLAIM_BATCH = 8  # rows per claim: the claim is a durable commit, so fewer of them
# How often the pool looks for rows a process on this machine left `sending` when it died (kill -9,
# a crash): recovery ran only when a process started, so a second `serve` on the same machine left
# them waiting for their 15-minute lease while /health said ok.
RECOVER_EVERY = 10.0




class _Said:
    """The pool's log of its senders' states. A pause or an unreachable server is every sender's:
    a problem is logged when the first sender meets it, not once per sender, and "running" when
    the last sender is clear of problems, so the log never says running while one still fails."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.states: dict[str, str | None] = {}

    def changed(self, name: str, problem: str | None) -> None:
        with self.lock:
            before = self.states.get(name)
            if before == problem:
                return
            others = [p for n, p in self.states.items() if n != name]
            self.states[name] = problem
            if problem is not None and problem not in others:
                log(f"{name}: {problem}")
            elif problem is None and before is not None and not any(others):
                log(f"{name}: running" if len(self.states) == 1 else "senders: running")

    def reached(self, name: str, problem: str | None) -> None:
        """Sender `name` has a session with the server: the server is reachable for every sender,
        so the others' `problem` (the pool's "cannot reach") is over too (they may make no pass
        for a while: a quiet pool would say nothing until then, never "running")."""
        with self.lock:
            for other, said in self.states.items():
                if other != name and problem is not None and said == problem:
                    self.states[other] = None


def unreachable(service: Service) -> str | None:
    """The pool's "cannot reach the SMTP server" problem, from the service's one record of it."""
    down = service.smtp_unreachable
    return None if down is None else f"cannot reach the SMTP server: {down.reason}"


class _Recovery:
    """The pool's recovery of rows a dead process on this machine held: at most once per
    RECOVER_EVERY for the whole pool (any sender may do it), each time logged with the count."""

    def __init__(self, every: float = RECOVER_EVERY) -> None:
        self.lock = threading.Lock()
        self.every = every
        self.last: float | None = None

    def run(self, service: Service) -> None:
        with self.lock:
            now = time.monotonic()
            if self.last is not None and now - self.last < self.every:
                return
            self.last = now
            disp = service.dispatcher()
            # the first time: also what the dispatcher recovered when it opened the outbox
            found, disp.recovered = disp.recovered, 0
            found += disp.outbox.recover()
        if found:
            log(f"recovered {found} message(s) left sending by a process on this machine that ended: "
                "each is sent now; one it may have been sending goes again with the same Message-ID "
                "and is counted ambiguous")
            service.wake.set()


class SenderWorker:
    """One sender thread. `flush_once` is one pass (tests call it directly)."""

    def __init__(self, service: Service, name: str, stop: threading.Event, *, interval: float = INTERVAL,
                 batch: int = CLAIM_BATCH, said: _Said | None = None,
                 recovery: _Recovery | None = None) -> None:
        self.service, self.name, self.stop = service, name, stop
        self.interval, self.batch = interval, batch
        self.sender: Sender | None = None
        self.busy = False  # inside an SMTP transaction: what a stop waits for
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._said = said or _Said()
        self._recovery = recovery or _Recovery()
        # Completed passes, so a caller can wait for a pass that began after some moment (tests
        # check "nothing else is sent" after it, instead of sleeping and hoping it was long enough).
        self.passes = 0
        self.passed = threading.Condition()
        self._clock_at = float("-inf")  # time.monotonic() of this sender's last look at the clock

    def _sender(self) -> Sender:
        if self.sender is None:
            from mailgitops.dispatch.smtp import Connection

            disp = self.service.dispatcher()
            self.sender = Sender(disp.outbox, disp.server, disp.sender.policy, Connection)
        return self.sender

    def flush_once(self, *, clock: bool = True) -> FlushReport:
        """One pass. `clock`: also look for waits a clock set back made too long (a step this
        sender saw is always looked at)."""
        sender = self._sender()
        report = FlushReport()
        self._recovery.run(self.service)
        sender.settle(report)  # outcomes the outbox could not take while it was down
        seen = sender.wall.set_back()
        if clock or seen:
            self._clock_at = time.monotonic()
            if made_due := clock_set_back(sender.outbox, sender.policy, time.time(), seen):
                log(f"{self.name}: the clock was set back: {made_due} message(s) "
                    "wait one backoff from now instead of until the time the clock had shown")
        sender.apply_retention()  # MAILGITOPS_RETENTION, as `outbox flush` applies it
        # current_pause, not the stored pause: an authentication pause ends by itself once the
        # password (a password_file rotated while serving) is no longer the one that failed
        pause = sender.current_pause()
        if pause is not None:
            report.paused = pause[1]
            return report
        start = time.time()  # rows rescheduled during this pass wait for the next one
        while not self.stop.is_set():
            rows = sender.outbox.claim(worker=sender.worker, lease_seconds=sender.policy.lease_seconds,
                                       limit=self.batch, due_before=start)
            if len(rows) == self.batch:  # more may wait: ring for another sender to take a share
                self.service.wake.set()
            if not self._deliver(sender, rows, report) or len(rows) < self.batch:
                break
        return report

    def _deliver(self, sender: Sender, rows: Sequence[Row], report: FlushReport) -> bool:
        for i, row in enumerate(rows):
            if self.stop.is_set():
                self._release(sender, rows[i:])
                return False
            self.busy = True
            try:
                connected = sender.deliver([row], report)
            except MailgitopsError:
                sender.unreleased.extend(rows[i + 1:])  # claimed, never tried: queued again later
                raise
            finally:
                self.busy = False
            if not connected:  # the row got its retry time (or the pause): so do the others
                rest = rows[i + 1:]
                if sender.current_pause() is not None:
                    self._release(sender, rest)
                elif rest:
                    sender.deliver(rest, report)
                return False
        return True

    @staticmethod
    def _release(sender: Sender, rows: Sequence[Row]) -> None:
        """Claimed but never tried: back to the queue as they were, the attempt not counted."""
        for row in rows:
            sender.outbox.update(row.id, sender.worker, status="queued", attempts=row.attempts - 1,
                                 lease_until=None)

    def _run(self) -> None:
        wake = self.service.wake
        while not self.stop.is_set():
            try:
                # the clock is looked at when the pass is the timer's, not at every ring: its
                # reads of the outbox cost as much as a claim, and a ring comes with every event
                report = self.flush_once(clock=time.monotonic() - self._clock_at >= self.interval)
                # a server that could not be reached stays this sender's problem until a session
                # opens again: a pass with nothing due says nothing about the server
                # (the pool's: once one sender reaches it, it is reachable for every sender)
                if report.unreachable is not None:
                    now, before = time.time(), self.service.smtp_unreachable
                    self.service.smtp_unreachable = Unreachable(report.unreachable,
                                                                before.since if before else now, now)
                elif report.connected:
                    self._said.reached(self.name, unreachable(self.service))
                    self.service.smtp_unreachable = None
                problem = f"sending paused: {report.paused}" if report.paused else unreachable(self.service)
                if report.sent or report.retry or report.failed or report.expired:
                    log(f"{self.name}: sent {report.sent}, retry {report.retry}, failed {report.failed}, "
                        f"expired {report.expired}" + (
                            f", ambiguous {report.ambiguous} (the reply to the final dot was lost: it "
                            "goes again with the same Message-ID)" if report.ambiguous else ""))
            except MailgitopsError as e:
                problem = e.message
            except Exception as e:  # a bug must not stop sending for good: say it once, go on
                problem = f"unexpected {type(e).__name__}: {e}"
            self._said.changed(self.name, problem)  # said when it changed, unless another said it
            with self.passed:
                self.passes += 1
                self.passed.notify_all()
            wake.wait(self.interval)
        self.close()

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()  # the SMTP session; the outbox is the service's
            self.sender = None


class SenderPool:
    def __init__(self, service: Service, size: int = SENDERS, *, interval: float = INTERVAL,
                 batch: int = CLAIM_BATCH) -> None:
        self.service = service
        self.stop = threading.Event()
        said, recovery = _Said(), _Recovery()
        service.wake.limit = size  # a pass owed per sender at most
        self.workers = [SenderWorker(service, f"sender-{i + 1}", self.stop, interval=interval, batch=batch,
                                     said=said, recovery=recovery)
                        for i in range(size)]

    def start(self) -> SenderPool:
        for w in self.workers:
            w.thread.start()
        return self

    def wait_for_a_full_pass(self, timeout: float) -> bool:
        """Wakes the senders and waits until each has ended a pass that began after this call
        (the pass in progress, if any, began before). False when the timeout came first."""
        end = time.monotonic() + timeout
        targets = [(w, w.passes + 2 if w.thread.is_alive() else w.passes) for w in self.workers]
        while True:
            self.service.wake.ring_all()  # again until each is done: a ring owes one pass, not two
            behind = [(w, t) for w, t in targets if w.passes < t]
            if not behind:
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            w, target = behind[0]
            with w.passed:
                w.passed.wait_for(lambda w=w, t=target: w.passes >= t,  # type: ignore[misc]
                                  min(0.05, left))

    def shutdown(self, deadline: float | None = None) -> list[str]:
        """Claim nothing more; wait until `deadline` (time.monotonic()) for the SMTP transactions
        in flight. Returns the senders still in one then: their message stays `sending` under its
        lease and is sent again, counted ambiguous, when the lease runs out."""
        self.stop.set()
        self.service.wake.ring_all()
        for w in self.workers:
            if w.thread.is_alive():
                w.thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return [w.name for w in self.workers if w.thread.is_alive()]
