"""What a sender works by and what it reports: the retry policy (backoff, lifetime, pause, lease,
retention; set from the environment) and the report of one flush."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mailgitops.dispatch.outbox import iso


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
                             else parse_duration(text, "MAILGITOPS_RETENTION"))
        return policy


PRUNE_EVERY = 3600.0  # the sender applies the retention at most this often


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
