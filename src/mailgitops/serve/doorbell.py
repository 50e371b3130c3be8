"""How the sender pool learns there is work: a doorbell that wakes one sender per ring.

An event accepted used to wake every sender (a threading.Event): four passes for one message,
three of them finding nothing, each paying its reads of the outbox under the interpreter lock
that the accepting thread and the sender in the SMTP transaction need. Now a ring owes one pass:
an idle sender takes it, or the next sender to finish a pass does. What is owed never exceeds
`limit` passes (one per sender): a sender's pass claims until it finds less than a batch, so
one pass after the last ring finds everything rung for until then. A sender whose claim comes
back full rings again, so a burst behind one ring (a retry of many, another instance's notice)
is shared by as many senders as it keeps busy, each on its own SMTP session."""

from __future__ import annotations

import threading


class Doorbell:
    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        self._owed = 0
        self._cond = threading.Condition(threading.Lock())

    def set(self) -> None:
        """A ring: one pass owed, and one waiting sender woken to make it."""
        with self._cond:
            if self._owed < self.limit:
                self._owed += 1
                self._cond.notify()

    def ring_all(self) -> None:
        """Every sender makes a pass now (a stop, or a caller that waits for a full pass)."""
        with self._cond:
            self._owed = self.limit
            self._cond.notify_all()

    def is_set(self) -> bool:
        with self._cond:
            return self._owed > 0

    def clear(self) -> None:
        with self._cond:
            self._owed = 0

    def wait(self, timeout: float | None = None) -> bool:
        """Until a pass is owed (taking it) or the timeout; True when a pass was owed."""
        with self._cond:
            if self._owed == 0:
                self._cond.wait(timeout)
            if self._owed == 0:
                return False
            self._owed -= 1
            return True
