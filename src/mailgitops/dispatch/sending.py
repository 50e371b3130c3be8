"""What a sender works by and what it reports: the retry policy (backoff, lifetime, pause, lease,
retention; set from the environment) and the report of one flush."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mailgitops.dispatch.outbox import Outbox, iso


class RetryPolicy(NamedTuple):  # not a dataclass: ~0.8 ms less at every cold dispatch
    """RELIABILITY 6: backoff and lifetime are configurable (tests use milliseconds)."""

    backoff_seconds: float = 60.0
    factor: float = 2.0
    max_backoff_seconds: float = 3600.0
    lifetime_seconds: float = 3 * 86400.0
    pause_seconds: float = 300.0
    lease_seconds: float = 900.0
    # bodies and attachments of finished messages are dropped this long after they finished;
    # None keeps them for ever (MAILGITOPS_RETENTION=90d, or "off")
    retention_seconds: float | None = 90 * 86400.0

    def delay(self, attempts: int) -> float:
        delay = self.backoff_seconds * self.factor ** max(0, attempts - 1)
        return float(min(self.max_backoff_seconds, delay))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        env = os.environ if env is None else env
        names = {"backoff_seconds": "MAILGITOPS_RETRY_BACKOFF_SECONDS",
                 "max_backoff_seconds": "MAILGITOPS_RETRY_MAX_BACKOFF_SECONDS",
                 "lifetime_seconds": "MAILGITOPS_MESSAGE_LIFETIME_SECONDS",
                 "pause_seconds": "MAILGITOPS_PAUSE_SECONDS"}
        values: dict[str, float] = {}
        for attr, var in names.items():
            if env.get(var):
                try:
                    values[attr] = float(env[var])
                except ValueError:
                    from mailgitops.errors import UsageError
                    raise UsageError(f"{var}={env[var]!r} is not a number of seconds",
                                     hint=f"write seconds as a number, like {var}=60 or 0.5") from None
        policy = cls(**values)
        if env.get("MAILGITOPS_RETENTION"):
            from mailgitops.dispatch.outbox import parse_duration

            text = env["MAILGITOPS_RETENTION"]
            policy = policy._replace(retention_seconds=None if text.strip().lower() == "off"
                             else parse_duration(text, "MAILGITOPS_RETENTION",
                                                 off="to keep every message's body"))
        return policy


PRUNE_EVERY = 3600.0  # the sender applies the retention at most this often
# how far beyond the longest wait this machine's policy makes a stored time may lie before it is
# taken as made by a clock that has since been set back (another machine's policy may differ)
CLOCK_SLACK = 60.0


def _made_later(outbox: Outbox, now: float) -> bool:
    """Whether the newest message was accepted after `now`: the clock has been set back since
    (how a step between two runs of `flush` shows when the earliest wait does not)."""
    newest = outbox.newest_accepted()
    return newest is not None and newest > now + CLOCK_SLACK


class WallWatch:
    """Notices the wall clock set back while this process runs: wall time that advanced less
    than monotonic time (which no clock setting moves) since the last look."""

    def __init__(self) -> None:
        self.wall, self.mono = time.time(), time.monotonic()

    def set_back(self) -> bool:
        wall, mono = time.time(), time.monotonic()
        back = (mono - self.mono) - (wall - self.wall) > CLOCK_SLACK
        self.wall, self.mono = wall, mono
        return back


def clock_set_back(outbox: Outbox, policy: RetryPolicy, now: float, seen: bool = False) -> int:
    """Waits a clock that has since been set back made too long; the number of messages rescheduled.

    The outbox keeps its times as wall-clock moments, as several processes and machines share
    them. A clock set back (NTP stepping a clock that ran ahead; a real-time clock kept in local
    time) left a message retried after a 60 s backoff waiting 60 s plus the step, and a 5 minute
    pause lasting for hours. No wait this policy makes is longer than its longest backoff or its
    pause, so a time further ahead than that was made by the clock before the step: it becomes
    one backoff (or one pause) from now, as if the wait began now. Every waiting message is looked
    at when this process has `seen` the step (WallWatch), when the earliest wait is too long, or
    when the newest message was accepted "later" than now: how a step between two runs of
    `flush` shows."""
    made_due = 0
    pause = outbox.paused()
    until = pause.until if pause is not None else None
    if pause is not None and until is not None and until - now > policy.pause_seconds + CLOCK_SLACK:
        outbox.pause(now + policy.pause_seconds, pause.reason)  # a whole pause, from now
    horizon = now + policy.max_backoff_seconds + CLOCK_SLACK
    due = outbox.next_attempt()
    if due is None or (due <= horizon and not (seen or _made_later(outbox, now))):
        return 0  # the earliest wait is one this policy makes, and nothing was made "later"
    for status in ("queued", "ambiguous"):
        after: int | None = None
        while page := outbox.rows(status, 1000, after=after):
            for row in page:
                if row.next_attempt_at is not None and row.next_attempt_at > horizon:
                    again = now + policy.delay(row.attempts)
                    made_due += outbox.update(row.id, None, next_attempt_at=again)
            after = page[-1].id
    return made_due


@dataclass
class FlushReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    expired: int = 0
    ambiguous: int = 0
    paused: str | None = None
    paused_until: float | None = None  # None while paused: until the secret changes or `outbox resume`
    recovered: int = 0  # rows a dead process left `sending`, made due again (each counted ambiguous)
    corrupt: int = 0  # stored bytes that failed their checksum: quarantined, never sent
    # whether a session with the server was open in this flush, and why one could not be opened
    # (serve logs a server it cannot reach once, and "running" only once it is reached again)
    connected: bool = False
    unreachable: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"sent": self.sent, "retry": self.retry, "failed": self.failed, "expired": self.expired,
                "ambiguous": self.ambiguous, "recovered": self.recovered, "corrupt": self.corrupt,
                "paused": self.paused,
                "paused_until": iso(self.paused_until) if self.paused else None}
