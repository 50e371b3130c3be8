"""Status events: parse and check one against schema/event.schema.json, naming every problem.

The send path must not pay for jsonschema's import (~200 ms), so jsonshape.py interprets the
small subset of JSON Schema that event.schema.json uses; a unit test checks it agrees with
jsonschema on a corpus of bad events."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mailgitops.errors import MailgitopsError
from mailgitops.jsonshape import SUPPORTED_KEYWORDS, JsonDict, JsonValue, schema_errors

__all__ = ["SUPPORTED_KEYWORDS", "schema_errors"]  # the event's checker, as tests and rules use it

if TYPE_CHECKING:  # diagnostics are made only for a bad event: a good one does not import them
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.dispatch.event_values import Path as ValuePath

MAX_EVENT_BYTES = 1_000_000


@cache
def event_schema() -> JsonDict:
    # a plain path, not importlib.resources: that import alone costs the cold start ~6 ms
    text = (Path(__file__).parent.parent / "schemas" / "event.schema.json").read_text("utf-8")
    loaded: JsonDict = json.loads(text)
    return loaded


def _role_address(event: JsonValue, path: tuple[str | int, ...]) -> bool:
    """A person's address that is written but wrong: that person's message is skipped with the
    reason (dispatch/rules.py), the event's other messages are still sent."""
    if not path or path[-1] != "email" or path[0] not in ("customer", "operator", "approver", "approvers"):
        return False
    value = event
    for step in path:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return False
    return isinstance(value, str)


def check_event(event: JsonValue, source: str = "event", *, role_addresses: bool = True,
                schema: Mapping[str, object] | None = None) -> list[Diagnostic]:
    """Every schema problem of one event, as diagnostics (json_path set, line/col 0); without
    `role_addresses`, a person's wrongly written address is left to dispatch/rules.py. `schema`:
    the bundle's event schema when the repository's catalog adds fields, else the package's."""
    schema = schema or event_schema()
    problems = [(path, msg) for path, msg in schema_errors(event, schema, schema)
                if role_addresses or not _role_address(event, path)]
    if not problems:
        return []
    from mailgitops.diagnostics import error, json_path

    return [error(source, 0, 0, "bad-event", f"{json_path(path)}: {msg}", json_path=json_path(path))
            for path, msg in problems]


def too_large(source: str) -> MailgitopsError:
    return MailgitopsError(f"{source}: the event is larger than {MAX_EVENT_BYTES:,} bytes; refused",
                           hint="send only the order's data; files go under the attachments root")


def load_json(raw: bytes | str, source: str = "event") -> JsonValue:
    """The event's JSON as Python values, not yet checked; MailgitopsError if too large or not JSON.
    NaN and Infinity, integers too long to read and a field given twice in one object become
    values that require_valid refuses at their field (event_values.loads)."""
    if len(raw) > MAX_EVENT_BYTES:
        raise too_large(source)
    from mailgitops.dispatch.event_values import loads

    hint = "send one JSON object as described in schema/event.schema.json"
    if isinstance(raw, bytes):
        try:  # JSON is UTF-8 (RFC 8259); json.loads would guess UTF-16 from two stray bytes
            raw = raw.decode("utf-8-sig")  # a byte order mark from a Windows editor is fine
        except UnicodeDecodeError as e:
            raise MailgitopsError(f"{source}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset "
                                  f"{e.start}); nothing was queued",
                                  hint="save or send the event as UTF-8") from None
    if not raw.strip():
        raise MailgitopsError(f"{source}: the event is empty; nothing was queued", hint=hint)
    try:
        loaded: JsonValue = loads(raw)  # type: ignore[assignment]  # JSON values, checked by require_valid
        return loaded
    except RecursionError:
        raise MailgitopsError(f"{source}: the event is nested too deeply to read; nothing was queued",
                              hint="an order event is only a few levels deep") from None
    except ValueError as e:
        raise MailgitopsError(f"{source}: not valid JSON ({e}); nothing was queued", hint=hint) from e


def parse_event(raw: bytes | str, source: str = "event") -> JsonDict:
    """JSON text -> checked event dict, or MailgitopsError naming every problem."""
    return require_valid(load_json(raw, source), source)


def require_valid(data: JsonValue, source: str = "event",
                  more: Callable[[JsonValue], list[Diagnostic]] | None = None,
                  schema: Mapping[str, object] | None = None,
                  nothing: str = "nothing was queued") -> JsonDict:
    """The event, or MailgitopsError naming every schema problem (and those `more` finds). A
    person's wrongly written address alone does not refuse it (that message is skipped); with
    other problems it is named among them.
    Values no event may hold (too deep, NaN, huge numbers, lone surrogates) are refused first: the
    schema check and everything after it then only meet sane values. `nothing`: what the refusal
    says was not done ("nothing was queued"; `plan`, which never queues, says so otherwise)."""
    from mailgitops.dispatch.event_values import value_problems

    hostile = list(value_problems(data))
    if hostile:
        raise _hostile(data, hostile, source, more, schema, nothing=nothing)
    diags = check_event(data, source, role_addresses=False, schema=schema)
    if more is not None:
        diags += more(data)
    if diags:
        found = check_event(data, source, schema=schema)
        raise refusal(source, found + _not_twice(found, more(data) if more is not None else []),
                      event_id=_id_of(data, found), nothing=nothing)
    assert isinstance(data, dict)
    return data


def _hostile(data: JsonValue, hostile: list[tuple[ValuePath, str]], source: str,
             more: Callable[[JsonValue], list[Diagnostic]] | None,
             schema: Mapping[str, object] | None, *, nothing: str) -> MailgitopsError:
    """The refusal of an event holding values no event may hold (`1e16` copies, NaN, nesting 40
    deep): those, named at their fields without repeating them, and every other problem of the
    event, found in a copy with those values set to null (the refusal used to stop at the first
    kind, against "every problem named at once")."""
    from mailgitops.diagnostics import error, json_path
    from mailgitops.dispatch.event_values import without

    copied, replaced = without(data, hostile)
    sane = cast("JsonValue", copied)  # what json.loads makes, less the values replaced
    at = {json_path(p) for p in replaced}
    found = check_event(sane, source, schema=schema)
    found += _not_twice(found, more(sane) if more is not None else [])
    # the nulls put in their place are not the event's problems
    others = [d for d in found if not any(d.json_path == a or d.json_path.startswith((a + ".", a + "["))
                                          for a in at)]
    named = [error(source, 0, 0, "bad-event", f"{json_path(p)}: {msg}", json_path=json_path(p))
             for p, msg in hostile]
    # the id is shown only when it is itself sane, plain and given once
    plain_id = "$.event_id" not in {d.json_path for d in named}
    return refusal(source, named + others, event_id=_id_of(sane, others) if plain_id else None,
                   nothing=nothing)


def refusal(source: str, diags: Sequence[Diagnostic], event_id: str | None = None,
            nothing: str = "nothing was queued") -> MailgitopsError:
    """The one way an event is refused (exit 1, HTTP 422): every problem, each named at its field
    under the same `source` (the event's file, stdin, or "event")."""
    from dataclasses import replace

    n = len(diags)
    who = f"event {event_id}" if event_id else "the event"
    return MailgitopsError(f"{source}: {who} was refused ({n} problem{'' if n == 1 else 's'}); {nothing}",
                           diagnostics=[replace(d, file=source) for d in diags])


def _id_of(data: JsonValue, found: Sequence[Diagnostic]) -> str | None:
    """The event's id, when the schema found nothing wrong with it (so it is short and plain)."""
    event_id = data.get("event_id") if isinstance(data, dict) else None
    bad = any(d.json_path in ("$", "$.event_id") and "event_id" in d.message for d in found)
    return event_id if isinstance(event_id, str) and not bad else None


def _not_twice(schema_found: Sequence[Diagnostic], more: list[Diagnostic]) -> list[Diagnostic]:
    r"""`more` without a value the trigger requires that the schema already names as missing
    (`$.order: \`number\` is required` and `$.order.number: ... required for order_received`)."""
    import re

    missing = {f"{d.json_path}.{m.group(1)}" for d in schema_found
               if (m := re.search(r"`([^`]+)` is required$", d.message)) is not None}
    # a value of the wrong type: the schema's problem at that field says it (`"x"` for copies was
    # named twice, as "must be of type integer" and as "must be a whole number")
    refused = {d.json_path for d in schema_found if d.json_path}
    return [d for d in more if not (d.code == "missing-value" and d.json_path in missing)
            and not (d.code == "wrong-value" and d.json_path in refused)]
