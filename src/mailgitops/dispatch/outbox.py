"""The durable outbox: its value types, the `Protocol` every backend implements, and the registry.

A message is stored, with its final bytes and Message-ID, before any connection opens; an
event is recorded with its messages in one transaction, idempotent on `event_id`. Workers
claim rows with a lease in a short transaction and never hold a lock across SMTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

from mailgitops.errors import MailgitopsError

Status = Literal["queued", "sending", "sent", "failed", "expired", "draft", "ambiguous", "discarded"]
STATUSES: tuple[Status, ...] = ("queued", "sending", "sent", "failed", "expired", "draft", "ambiguous",
                                "discarded")
DEFAULT_PATH = "mailgitops-outbox.sqlite"
# The records below are NamedTuples, not frozen dataclasses: immutable all the same, and each is
# ~0.3 ms cheaper to define, which every cold `mailgitops dispatch` pays (issue 4).


class EventConflict(MailgitopsError):
    """The same event_id arrived again with different content (RELIABILITY 2)."""


class NewMessage(NamedTuple):
    role: str
    lang: str
    template_id: str
    message_id: str
    envelope_from: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    raw: bytes | None  # None for a draft: rendered when the operator sends it
    draft: Mapping[str, Any] | None = None
    status: Status = "queued"


class Row(NamedTuple):
    id: int
    event_id: str
    role: str
    lang: str
    template_id: str
    message_id: str
    envelope_from: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    rcpts: tuple[str, ...]  # still to deliver
    delivered: tuple[str, ...]
    refused: Mapping[str, str]  # address -> the server's reply
    raw: bytes | None
    draft: Mapping[str, Any] | None
    status: Status
    attempts: int
    ambiguous: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    updated_at: float
    sent_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "event_id": self.event_id, "role": self.role, "status": self.status,
                "to": list(self.to), "cc": list(self.cc), "language": self.lang,
                "template": self.template_id, "message_id": self.message_id, "attempts": self.attempts,
                "ambiguous": self.ambiguous, "last_error": self.last_error,
                "refused": dict(self.refused), "next_attempt_at": self.next_attempt_at}


class StoredEvent(NamedTuple):
    event_id: str
    payload_hash: str
    bundle_hash: str
    entries: list[dict[str, Any]]  # outcome skeleton, see api.py


class Outbox(Protocol):
    """What the dispatcher needs from an outbox; SQLite here, PostgreSQL can implement it later."""

    def record_event(self, event: StoredEvent, messages: Sequence[NewMessage], *,
                     claim_for: tuple[str, float] | None = None) -> list[int]: ...
    def get_event(self, event_id: str) -> StoredEvent | None: ...
    def get(self, row_id: int) -> Row | None: ...
    def rows(self, status: str | None = None, limit: int = 1000, *, newest: bool = False) -> list[Row]: ...
    def claim(self, *, worker: str, lease_seconds: float, limit: int,
              ids: Sequence[int] | None = None, due_before: float | None = None) -> list[Row]: ...
    def update(self, row_id: int, worker: str | None, **fields: Any) -> bool: ...
    def retry(self, row_id: int) -> bool: ...
    def set_draft(self, row_id: int, draft: Mapping[str, Any], cc: Sequence[str]) -> bool: ...
    def queue_draft(self, row_id: int, raw: bytes, rcpts: Sequence[str], cc: Sequence[str]) -> bool: ...
    def discard_draft(self, row_id: int) -> bool: ...
    def pause(self, until: float, reason: str) -> None: ...
    def paused(self) -> tuple[float, str] | None: ...
    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


def _sqlite(location: str) -> Outbox:
    from mailgitops.dispatch.outbox_sqlite import SqliteOutbox

    return SqliteOutbox(location)


BACKENDS: dict[str, Callable[[str], Outbox]] = {"sqlite": _sqlite}


def open_outbox(location: str | None) -> Outbox:
    """A SQLite file path (default ./mailgitops-outbox.sqlite); a PostgreSQL URL is not built yet."""
    loc = location or DEFAULT_PATH
    if loc.startswith(("postgres://", "postgresql://")):
        raise MailgitopsError("the PostgreSQL outbox is not available in this version",
                              hint="use a SQLite file: --outbox ./mailgitops-outbox.sqlite")
    return BACKENDS["sqlite"](loc)


def listing(ob: Outbox, status: str | None, limit: int) -> dict[str, Any]:
    """What `outbox list` and `GET /outbox` show: the newest `limit` messages (oldest first), the
    count of each status, and how many matching messages were left out (`more`)."""
    counts = ob.counts()
    rows = ob.rows(status, limit, newest=True)
    matching = counts.get(status, 0) if status else sum(counts.get(s, 0) for s in STATUSES)
    return {"counts": counts, "messages": [r.to_json() for r in rows], "more": max(0, matching - len(rows))}
