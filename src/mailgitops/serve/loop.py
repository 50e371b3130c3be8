"""The sender loop thread: sends what is due (dispatch/sender.py does the SMTP work), honours
backoff and pauses, and on stop finishes the message in flight without claiming another."""

from __future__ import annotations

import sys
import threading

from mailgitops.dispatch.sender import FlushReport
from mailgitops.errors import MailgitopsError
from mailgitops.serve.service import Service

INTERVAL = 1.0


def log(line: str) -> None:
    sys.stderr.write(f"mailgitops serve: {line}\n")
    sys.stderr.flush()


class SenderLoop:
    def __init__(self, service: Service, interval: float = INTERVAL) -> None:
        self.service = service
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mailgitops-sender")
        self._last_problem: str | None = None
        # Completed passes, so a caller can wait for a pass that began after some moment (tests
        # check "nothing else is sent" after it, instead of sleeping and hoping it was long enough).
        self.passes = 0
        self._passed = threading.Condition()

    def start(self) -> SenderLoop:
        self.thread.start()
        return self

    def shutdown(self) -> None:
        """Waits for the SMTP transaction in flight (a kill now could leave it ambiguous)."""
        self.stop.set()
        self.service.wake.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.service.wake.clear()  # before flushing: a wake-up during the flush is not lost
            try:
                report = self.flush_once()
                problem = f"sending paused: {report.paused}" if report.paused else None
                if report.sent or report.retry or report.failed or report.expired:
                    log(f"sender: sent {report.sent}, retry {report.retry}, failed {report.failed}, "
                        f"expired {report.expired}, ambiguous {report.ambiguous}")
            except MailgitopsError as e:
                problem = e.message
            except Exception as e:  # a bug must not stop sending for good: say it once, go on
                problem = f"unexpected {type(e).__name__}: {e}"
            if problem != self._last_problem:
                log(f"sender: {problem}" if problem else "sender: running")
                self._last_problem = problem
            with self._passed:
                self.passes += 1
                self._passed.notify_all()
            self.service.wake.wait(self.interval)
        disp = self.service.opened()
        if disp is not None:
            disp.sender.close()

    def wait_for_a_full_pass(self, timeout: float) -> bool:
        """Wakes the loop and waits until a pass that began after this call has ended (the pass
        in progress, if any, began before). False when the timeout came first."""
        with self._passed:
            target = self.passes + 2 if self.thread.is_alive() else self.passes
            self.service.wake.set()
            return self._passed.wait_for(lambda: self.passes >= target, timeout)

    def flush_once(self) -> FlushReport:
        """Sender.flush, one row per claim so that a stop releases nothing half-claimed."""
        return self.service.dispatcher().sender.flush(batch=1, stop=self.stop)
