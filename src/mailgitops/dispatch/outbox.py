"""The durable outbox: its value types and the `Protocol` every backend implements (outbox_backends.py
chooses one).

A message is stored, with its final bytes and Message-ID, before any connection opens; an
event is recorded with its messages in one transaction, idempotent on `event_id`. Workers
claim rows with a lease in a short transaction and never hold a lock across SMTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from mailgitops.jsonshape import JsonDict

if TYPE_CHECKING:  # imported when a row holds a draft (read_draft): most messages are no draft
    from mailgitops.dispatch.draft_shape import Draft
    from mailgitops.errors import MailgitopsError

Status = Literal["queued", "sending", "sent", "failed", "expired", "draft", "ambiguous", "discarded",
                 "corrupt"]
# corrupt: the stored bytes no longer match their SHA-256; never sent, kept for inspection
STATUSES: tuple[Status, ...] = ("queued", "sending", "sent", "failed", "expired", "draft", "ambiguous",
                                "discarded", "corrupt")
# finished: retention (prune) may drop their bodies
FINISHED: tuple[Status, ...] = ("sent", "failed", "expired", "discarded", "corrupt")
DEFAULT_PATH = "mailgitops-outbox.sqlite"
# The records below are NamedTuples, not frozen dataclasses: immutable all the same, and each is
# ~0.3 ms cheaper to define, which every cold `mailgitops dispatch` pays (issue 4).


class NewMessage(NamedTuple):
    role: str
    lang: str
    template_id: str
    message_id: str
    envelope_from: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    raw: bytes | None  # None for a draft: rendered when the operator sends it
    draft: Draft | None = None  # held for an operator: what is rendered when it is sent
    status: Status = "queued"
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    # each MIME leaf's body as it stands in `raw`, when the dispatcher wrote it: the outbox finds
    # the large attachments to store once among them instead of parsing `raw` again (blobs.py)
    bodies: tuple[bytes, ...] | None = None


# {address, kind: to|cc|bcc, result: accepted|refused|deferred|bounced|discarded, code, text}
Recipient = JsonDict
NOT_TRIED = "waiting to be sent"  # a recipient's text before any attempt (the console translates it by this)
# a discarded draft's recipients: nothing was tried and nothing ever will be; `deferred` ("not
# tried yet") said to the order system and to /metrics that the email would still go out
DISCARDED = "the operator discarded the draft"


def initial_recipients(to: Iterable[str], cc: Iterable[str], bcc: Iterable[str] = (),
                       text: str = NOT_TRIED) -> list[Recipient]:
    """Each envelope recipient once (To before CC before BCC), none tried yet."""
    out: list[Recipient] = []
    seen: set[str] = set()
    for kind, addresses in (("to", to), ("cc", cc), ("bcc", bcc)):
        for a in addresses:
            if a not in seen:
                seen.add(a)
                out.append({"address": a, "kind": kind, "result": "deferred", "code": None, "text": text})
    return out


def version_refusal(where: str, found: int, known: int, migrate_hint: str) -> MailgitopsError | None:
    """The refusal an outbox of schema version `found` calls for here (this mailgitops knows up to
    `known`), at open and while running, or None when it can be used. Exit 75 either way: the
    event is right and nothing was accepted; it is stored once the outbox is migrated (or this
    machine upgraded), so the order system must keep it, not drop it."""
    from mailgitops.errors import ExitCode, MailgitopsError

    if found > known:
        return MailgitopsError(
            f"the outbox {where} has schema version {found}, made by a newer mailgitops; this one "
            f"knows versions up to {known} and will not touch it",
            hint="run the newer mailgitops here (upgrade this machine), or use another --outbox; to roll "
                 f"back to this one, have the newer one run `mailgitops outbox migrate --to {known}` first "
                 "(docs/upgrading.md, rolling back)",
            exit_code=ExitCode.TEMPORARY, code="outbox-newer", values={"found": found})
    if 0 < found < known:
        return MailgitopsError(
            f"the outbox {where} has schema version {found}; this mailgitops needs version {known} "
            "(`mailgitops outbox migrate` brings it up to date)",
            hint=migrate_hint, exit_code=ExitCode.TEMPORARY, code="outbox-needs-migration",
            values={"found": found, "version": known})
    return None


def sha_of(raw: bytes | None) -> str | None:
    """The SHA-256 stored with a message's bytes and checked before they are sent."""
    return hashlib.sha256(raw).hexdigest() if raw is not None else None


def requeued_by_hand(row: Row) -> tuple[list[str], list[Recipient]] | None:
    """`outbox retry`: the envelope left to send (every recipient that has not accepted it) and
    each recipient's record, or None when the row cannot be sent again (not failed, expired,
    ambiguous or queued, or its body pruned by retention)."""
    if row.status not in ("failed", "expired", "ambiguous", "queued") or row.raw is None:
        return None
    recips: list[Recipient] = [r if r["result"] == "accepted" else
                               {**r, "result": "deferred", "code": None, "text": "queued again by hand"}
                               for r in row.recipients]
    return [str(r["address"]) for r in recips if r["result"] != "accepted"], recips


def read_draft(value: object, *, decoded: bool = False) -> tuple[Draft | None, str | None]:
    """A row's stored `draft_json` as a Draft, checked: (draft, None), (None, None) for a row that
    holds none, or (None, why) for a damaged record, which the Row carries (`draft_problem`).
    `decoded`: the driver already parsed the JSON (PostgreSQL's JSONB), so a string is a value."""
    if value is None or (value == "" and not decoded):
        return None, None
    from mailgitops.dispatch.draft_shape import stored_draft

    return stored_draft(value, decoded=decoded)


def json_column(key: str, value: object) -> object:
    """What `update(key=value)` stores in a JSON column: a Draft as its JSON, a tuple as a list."""
    if key == "draft" and value is not None:
        from mailgitops.dispatch.draft_shape import Draft

        if isinstance(value, Draft):  # before the tuple test: a Draft is a NamedTuple
            return value.to_json()
    return list(value) if isinstance(value, tuple) else value


def iso(ts: float | None) -> str | None:
    """A time shown to a person or a program: ISO 8601 with its zone (UTC), never a raw epoch."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


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
    # held for an operator (also after it is sent: the change record stays). claim() leaves it
    # None: the sender never reads it, and a damaged record must not stop other mail going out
    draft: Draft | None
    status: Status
    attempts: int
    ambiguous: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    updated_at: float
    sent_at: float | None
    bcc: tuple[str, ...] = ()
    recipients: tuple[Recipient, ...] = ()  # every envelope recipient's latest result
    sha256: str | None = None  # of `raw`, checked before it is sent
    pruned_at: float | None = None  # when retention dropped the body; the delivery record stays
    # the stored draft record is damaged (changed by hand): what is wrong, naming the key, and
    # `draft` is None. Listings show the row marked; a command on it refuses it (drafts.draft_of)
    draft_problem: str | None = None
    # who holds a `sending` row (the lease, see lease.py): the machine, the process id, and when
    # another instance may take it over if that process is gone
    lease_host: str | None = None
    lease_pid: int | None = None
    lease_until: float | None = None

    def damaged(self) -> MailgitopsError | None:
        """The error a command on this row gives when its draft record is damaged, else None."""
        if self.draft_problem is None:
            return None
        from mailgitops.dispatch.draft_shape import damaged_draft

        return damaged_draft(self.id, self.message_id, self.draft_problem)

    def damaged_json(self) -> JsonDict | None:
        """How a listing marks a row whose draft record is damaged: the command's error and hint."""
        e = self.damaged()
        return None if e is None else {"error": e.message, "hint": e.hint}

    def to_json(self) -> JsonDict:
        waiting = self.status in ("queued", "ambiguous")
        return {"id": self.id, "event_id": self.event_id, "role": self.role, "status": self.status,
                "to": list(self.to), "cc": list(self.cc), "bcc": list(self.bcc), "language": self.lang,
                "template": self.template_id, "message_id": self.message_id, "attempts": self.attempts,
                "ambiguous": self.ambiguous, "last_error": self.last_error,
                "recipients": [dict(r) for r in self.recipients],
                "created_at": iso(self.created_at), "sent_at": iso(self.sent_at),
                "pruned_at": iso(self.pruned_at),
                "next_attempt_at": iso(self.next_attempt_at) if waiting else None,
                "held_by": self.held_by(),
                "draft_damaged": self.damaged_json()}

    def held_by(self) -> JsonDict | None:
        """For a `sending` row: the machine and process sending it, and until when its lease runs
        (a row whose process died without a trace is taken over then). None for any other status."""
        if self.status != "sending":
            return None
        return {"host": self.lease_host, "pid": self.lease_pid, "until": iso(self.lease_until)}


class Pause(NamedTuple):
    """Sending stopped: until a time (TLS, config), or with `until` None, after an authentication
    failure, until the configured secret changes or `outbox resume`. `secret` is a salted, slow
    hash of the user name and password that failed (sender.py), never the password itself."""

    until: float | None
    reason: str
    secret: str | None = None


class StoredEvent(NamedTuple):
    event_id: str
    payload_hash: str
    bundle_hash: str
    entries: list[JsonDict]  # outcome skeleton, see api.py

    def with_rows(self, ids: Sequence[int]) -> StoredEvent:
        """As record_event stores it: each entry's message index replaced by its outbox row id."""
        entries = [dict(e, row=ids[n]) if isinstance(n := e.get("row"), int) else e for e in self.entries]
        return self._replace(entries=entries)


class Outbox(Protocol):
    """What the dispatcher needs from an outbox: outbox_sqlite.py and outbox_pg.py implement it."""

    migrated: tuple[int, int]  # schema version found at open (0: made new) and the version now
    # the refusal the schema version stored now calls for (`version_refusal`): another machine's
    # newer mailgitops may have migrated the outbox since this one opened it
    def schema_refusal(self) -> MailgitopsError | None: ...

    def record_event(self, event: StoredEvent, messages: Sequence[NewMessage], *,
                     claim_for: tuple[str, float] | None = None) -> list[int]: ...
    def get_event(self, event_id: str) -> StoredEvent | None: ...
    def event_bundles(self, event_ids: Sequence[str]) -> dict[str, str]: ...
    def next_attempt(self) -> float | None: ...
    def newest_accepted(self) -> float | None: ...  # created_at of the last message stored
    def get(self, row_id: int) -> Row | None: ...
    def find_message(self, message_id: str) -> Row | None: ...
    def rows(self, status: str | None = None, limit: int = 1000, *, newest: bool = False,
             before: int | None = None, after: int | None = None) -> list[Row]: ...
    def claim(self, *, worker: str, lease_seconds: float, limit: int,
              ids: Sequence[int] | None = None, due_before: float | None = None) -> list[Row]: ...
    def update(self, row_id: int, worker: str | None, **fields: object) -> bool: ...
    def recover(self) -> int: ...
    def prune(self, before: float) -> dict[str, int]: ...
    def retry(self, row_id: int) -> bool: ...
    def due_now(self) -> int: ...
    def set_draft(self, row_id: int, draft: Draft, cc: Sequence[str]) -> bool: ...
    def queue_draft(self, row_id: int, raw: bytes, rcpts: Sequence[str], cc: Sequence[str]) -> bool: ...
    def discard_draft(self, row_id: int) -> bool: ...
    def pause(self, until: float | None, reason: str, *, secret: str | None = None) -> None: ...
    def paused(self) -> Pause | None: ...
    def counts(self) -> dict[str, int]: ...
    def recipient_counts(self) -> dict[tuple[str, str], int]: ...
    def backlog(self, limit: int | None = None) -> tuple[int, float | None]: ...
    # the calls in this block (this thread) give up after `seconds` if the outbox does not answer
    def answer_within(self, seconds: float) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...


def listing(ob: Outbox, status: str | None, limit: int) -> JsonDict:
    """What `outbox list` and `GET /outbox` show: the newest `limit` messages (oldest first), the
    count of each status, how many matching messages were left out (`more`), and whether sending
    is paused (`paused`: its reason, until when (null: until resumed) and what lifts it; null
    when not)."""
    counts = ob.counts()
    rows = ob.rows(status, limit, newest=True)
    matching = counts.get(status, 0) if status else sum(counts.get(s, 0) for s in STATUSES)
    # the bundle whose rules and templates made each message: after a deploy, queued mail and
    # drafts made with the bundle before it are told apart from the new bundle's
    bundles = ob.event_bundles(sorted({r.event_id for r in rows}))
    messages = [{**r.to_json(), "bundle_hash": bundles.get(r.event_id)} for r in rows]
    # a pause (a refused password, a server refusing us) is what holds every queued message: the
    # list an operator reads after an upgrade or an outage says so, as `flush` and /health do
    pause = ob.paused()
    paused = None if pause is None else {
        "reason": pause.reason, "until": iso(pause.until),
        # a refused password pauses the machines that still have it; one given a new password
        # sends again (several may share the outbox), so the pause stays listed until resumed
        "lifted_by": ("a new SMTP password on each machine, or `mailgitops outbox resume`"
                      if pause.secret is not None else
                      "`mailgitops outbox resume`"
                      + ("" if pause.until is None else ", or its time running out"))}
    return {"counts": counts, "messages": messages, "more": max(0, matching - len(rows)), "paused": paused}


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str, what: str = "--older-than", *, off: str | None = None) -> float:
    """'90d', '12h', '30m', '45s', '2w' -> seconds. `off`: what the word `off` means, where the
    setting takes it (the hint names it then)."""
    t = text.strip().lower()
    if len(t) >= 2 and t[-1] in _UNITS and t[:-1].isdigit():
        return float(int(t[:-1]) * _UNITS[t[-1]])
    from mailgitops.errors import UsageError

    raise UsageError(f"{what} {text!r} is not a duration",
                     hint="write a whole number and a unit: 90d (days), 12h, 30m, 45s or 2w (weeks)"
                          + (f"; or off, {off}" if off else ""))


def recipient_metric_lines(counts: Mapping[tuple[str, str], int]) -> list[str]:
    """Prometheus lines for /metrics: envelope recipients by kind and latest result. An alert on
    kind="to",result="refused" fires when customers were not told."""
    lines = ["# HELP mailgitops_recipients Envelope recipients in the outbox by kind (to, cc, bcc) and "
             "the latest result (accepted, refused, deferred; bounced: a delivery status "
             "notification came back after the server accepted it; discarded: the draft was "
             "discarded, so it was never sent).",
             "# TYPE mailgitops_recipients gauge"]
    lines += [f'mailgitops_recipients{{kind="{k}",result="{r}"}} {counts.get((k, r), 0)}'
              for k in ("to", "cc", "bcc")
              for r in ("accepted", "refused", "deferred", "bounced", "discarded")]
    return lines
