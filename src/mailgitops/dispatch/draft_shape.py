"""The draft a held message carries, as one typed value for every reader and writer: the
dispatcher makes it, drafts.py edits and sends it, the console shows it and keeps its change
record in it. Both outbox backends store `Draft.to_json()` in `draft_json`, the same JSON as
before this type existed, and read it back through `stored_draft`, the one place it is checked.

Typed records rather than a TypedDict: a TypedDict types the keys but checks nothing at run
time, so a damaged record would still fail as a KeyError in whichever page read it first; here it
fails once, where the backend reads it, naming its message. The defaults of keys older drafts lack
live here instead of in a `.get(key, default)` at every reader, and a change is a `_replace()`.
NamedTuples, like the outbox's other records (outbox.py), not frozen dataclasses: as immutable,
and importing this module costs ~1.3 ms instead of ~4.5 ms. Only a process that meets a draft pays
even that: the backends import it when a row holds one (outbox.read_draft, test_imports.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple

from mailgitops.errors import MailgitopsError
from mailgitops.jsonshape import JsonDict, JsonObject, JsonValue

Pair = tuple[str | None, str]  # (display name or None, address), as a To header shows it
LineKind = Literal["same", "del", "add"]
_KINDS: Mapping[str, LineKind] = {"same": "same", "del": "del", "add": "add"}
_NONE: JsonObject = MappingProxyType({})  # a shared default nobody can change


class _Bad(Exception):
    """Where in the stored draft (a JSON path) and what is wrong there."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"`{path}` {problem}")


class AttachmentRef(NamedTuple):
    """A file the event attached, as the event named it (resolved again when the draft is sent)."""

    kind: str  # document | ticket | preflight_report
    path: str  # relative to the attachments root


class Redirected(NamedTuple):
    """Made in redirect mode: the recipients the banner names instead of sending to them."""

    to: tuple[Pair, ...]
    cc: tuple[str, ...]


class DraftState(NamedTuple):
    """What the draft said before the operator's first change (the change record's original)."""

    subject: str
    markdown: str
    cc: tuple[str, ...]
    attachments: tuple[str, ...]  # the operator's files


class HistoryLine(NamedTuple):
    who: str
    when: float  # epoch seconds
    what: str  # "edited", "attached a file", "sent the email", ...
    fields: tuple[str, ...]  # subject | body | cc | attachments
    attached: tuple[str, ...] = ()  # the names of the files this change attached, as sent
    removed: tuple[str, ...] = ()  # and of those it removed


class DiffLine(NamedTuple):
    kind: LineKind
    text: str


class DiffPart(NamedTuple):
    field: str  # subject | body | cc | attachments
    lines: tuple[DiffLine, ...]


class Draft(NamedTuple):
    subject: str
    markdown: str
    sender: tuple[str, str | None]  # (address, display name): the order Planned.sender uses
    to: tuple[Pair, ...]
    printroom: JsonObject = _NONE  # the footer's render context
    attachments: tuple[AttachmentRef, ...] = ()
    bundle_hash: str | None = None
    trigger: str | None = None  # what the console's inbox lists and searches by
    order_number: str | None = None
    customer: str | None = None
    reply_to: str | None = None
    webshop: JsonObject | None = None  # the shop's render context (its logo), when it has one
    redirected_from: Redirected | None = None
    operator_attachments: tuple[str, ...] = ()  # paths relative to the attachments root
    original: DraftState | None = None  # taken before the first change
    history: tuple[HistoryLine, ...] = ()
    diff: tuple[DiffPart, ...] = ()  # written at send: original against what was sent
    sent_by: str | None = None
    extra: JsonObject = _NONE  # keys this version does not know, kept as stored

    def to_json(self) -> JsonDict:
        """The stored form: optional keys appear only when set, as they did before this type."""
        out: JsonDict = {
            **self.extra, "subject": self.subject, "markdown": self.markdown, "sender": list(self.sender),
            "to": [list(p) for p in self.to], "printroom": dict(self.printroom),
            "attachments": [{"kind": a.kind, "path": a.path} for a in self.attachments],
            "bundle_hash": self.bundle_hash, "trigger": self.trigger, "order_number": self.order_number,
            "customer": self.customer, "reply_to": self.reply_to}
        if self.webshop is not None:
            out["webshop"] = dict(self.webshop)
        if self.redirected_from is not None:
            out["redirected_from"] = {"to": [list(p) for p in self.redirected_from.to],
                                      "cc": list(self.redirected_from.cc)}
        if self.operator_attachments:
            out["operator_attachments"] = list(self.operator_attachments)
        if self.original is not None:
            o = self.original
            out["original"] = {"subject": o.subject, "markdown": o.markdown, "cc": list(o.cc),
                               "attachments": list(o.attachments)}
        if self.history:
            out["history"] = [_history_json(h) for h in self.history]
        if self.diff:
            out["diff"] = [{"field": p.field, "lines": [{"kind": x.kind, "text": x.text} for x in p.lines]}
                           for p in self.diff]
        if self.sent_by is not None:
            out["sent_by"] = self.sent_by
        return out

    @staticmethod
    def from_json(value: object) -> Draft:
        """The draft a stored JSON object describes; ValueError naming the first bad key."""
        try:
            return _draft(_object(value, "draft"))
        except _Bad as e:
            raise ValueError(str(e)) from None


KNOWN = frozenset(Draft._fields) - {"extra"}  # the stored keys: each field but `extra` has one


DAMAGED_HINT = ("it was changed outside mailgitops: put the row's draft_json back from a backup of the "
                "outbox (other messages are still sent meanwhile)")


def stored_draft(value: object, *, decoded: bool = False) -> tuple[Draft | None, str | None]:
    """What a backend read from `draft_json` (SQLite: text; PostgreSQL: the decoded JSONB), checked:
    (the draft, None), or for a damaged record (None, what is wrong, naming the key). The row
    carries that reason, so listings still show the row and a command on it refuses it
    (`damaged_draft`), never a KeyError later."""
    if value is None:
        return None, None
    try:
        parsed = value if decoded or not isinstance(value, (str, bytes)) else json.loads(value)
    except ValueError as e:  # json.JSONDecodeError: the text was cut or edited by hand
        return None, f"it is not JSON ({e})"
    try:
        return Draft.from_json(parsed), None
    except ValueError as e:  # names the first bad key: "`markdown` is missing"
        return None, str(e)


def damaged_draft(row_id: int, message_id: str, problem: str) -> MailgitopsError:
    """The error a command on a row whose stored draft is damaged gives (exit 1, nothing sent)."""
    return MailgitopsError(f"the draft stored for outbox message {row_id} ({message_id}) is damaged: "
                           f"{problem}", hint=DAMAGED_HINT, code="draft-damaged",
                           values={"id": row_id, "message_id": message_id, "problem": problem})


def _draft(d: JsonObject) -> Draft:
    redirected = d.get("redirected_from")
    original = d.get("original")
    return Draft(
        subject=_str(d, "subject"), markdown=_str(d, "markdown"),
        sender=_sender(d.get("sender"), "sender"),
        to=tuple(_pair(p, f"to[{i}]") for i, p in enumerate(_list(d, "to", required=True))),
        printroom=_object(d.get("printroom", {}), "printroom"),
        attachments=tuple(_attachment(a, f"attachments[{i}]") for i, a in enumerate(_list(d, "attachments"))),
        bundle_hash=_opt_str(d, "bundle_hash"), trigger=_opt_str(d, "trigger"),
        order_number=_opt_str(d, "order_number"), customer=_opt_str(d, "customer"),
        reply_to=_opt_str(d, "reply_to"),
        webshop=None if d.get("webshop") is None else _object(d.get("webshop"), "webshop"),
        redirected_from=None if redirected is None else _redirected(_object(redirected, "redirected_from")),
        operator_attachments=_strs(d, "operator_attachments"),
        original=None if original is None else _state(_object(original, "original")),
        history=tuple(_history(h, f"history[{i}]") for i, h in enumerate(_list(d, "history"))),
        diff=tuple(_part(p, f"diff[{i}]") for i, p in enumerate(_list(d, "diff"))),
        sent_by=_opt_str(d, "sent_by"),
        extra={k: v for k, v in d.items() if k not in KNOWN})


def _object(value: object, path: str) -> JsonObject:
    if not isinstance(value, Mapping):
        raise _Bad(path, "must be a JSON object")
    return value


def _str(d: JsonObject, key: str, path: str = "") -> str:
    v = d.get(key)
    if not isinstance(v, str):
        raise _Bad(path + key, "must be text" if key in d else "is missing")
    return v


def _opt_str(d: JsonObject, key: str) -> str | None:
    v = d.get(key)
    if v is not None and not isinstance(v, str):
        raise _Bad(key, "must be text or null")
    return v


def _list(d: JsonObject, key: str, path: str = "", *, required: bool = False) -> Sequence[JsonValue]:
    v = d.get(key)
    if v is None and not required:
        return ()
    if not isinstance(v, list):
        raise _Bad(path + key, "must be a list" if key in d else "is missing")
    return v


def _strs(d: JsonObject, key: str, path: str = "") -> tuple[str, ...]:
    items = _list(d, key, path)
    if not all(isinstance(s, str) for s in items):
        raise _Bad(path + key, "must be a list of text")
    return tuple(s for s in items if isinstance(s, str))


def _sender(v: JsonValue, path: str) -> tuple[str, str | None]:
    if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
            and (v[1] is None or isinstance(v[1], str))):
        raise _Bad(path, "must be [address, display name or null]")
    return v[0], v[1]


def _pair(v: JsonValue, path: str) -> Pair:
    if not (isinstance(v, list) and len(v) == 2 and (v[0] is None or isinstance(v[0], str))
            and isinstance(v[1], str)):
        raise _Bad(path, "must be [display name or null, address]")
    return v[0], v[1]


def _attachment(v: JsonValue, path: str) -> AttachmentRef:
    a = _object(v, path)
    return AttachmentRef(_str(a, "kind", f"{path}."), _str(a, "path", f"{path}."))


def _redirected(d: JsonObject) -> Redirected:
    to = _list(d, "to", "redirected_from.", required=True)
    return Redirected(tuple(_pair(p, f"redirected_from.to[{i}]") for i, p in enumerate(to)),
                      _strs(d, "cc", "redirected_from."))


def _state(d: JsonObject) -> DraftState:
    return DraftState(_str(d, "subject", "original."), _str(d, "markdown", "original."),
                      _strs(d, "cc", "original."), _strs(d, "attachments", "original."))


def _history_json(h: HistoryLine) -> JsonDict:
    out: JsonDict = {"who": h.who, "when": h.when, "what": h.what, "fields": list(h.fields)}
    if h.attached:  # only when there are: a line without files is stored as it was before
        out["attached"] = list(h.attached)
    if h.removed:
        out["removed"] = list(h.removed)
    return out


def _history(v: JsonValue, path: str) -> HistoryLine:
    h = _object(v, path)
    when = h.get("when")
    if not isinstance(when, (int, float)) or isinstance(when, bool):
        raise _Bad(f"{path}.when", "must be a time in seconds")
    return HistoryLine(_str(h, "who", f"{path}."), float(when), _str(h, "what", f"{path}."),
                       _strs(h, "fields", f"{path}."), _strs(h, "attached", f"{path}."),
                       _strs(h, "removed", f"{path}."))


def _part(v: JsonValue, path: str) -> DiffPart:
    p = _object(v, path)
    lines = []
    for i, x in enumerate(_list(p, "lines", f"{path}.", required=True)):
        line = _object(x, f"{path}.lines[{i}]")
        kind = _KINDS.get(str(line.get("kind")))
        if kind is None:
            raise _Bad(f"{path}.lines[{i}].kind", 'must be "same", "del" or "add"')
        lines.append(DiffLine(kind, _str(line, "text", f"{path}.lines[{i}].")))
    return DiffPart(_str(p, "field", f"{path}."), tuple(lines))
