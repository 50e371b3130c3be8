"""The event's values that a template formats (the variable catalog's money, number, integer,
date and datetime), checked before anything is rendered.

The event schema leaves most of them open, so `"price": {"amount": 1}` passed the check and
rendering failed at the template's line ("float() argument must be a string or a real number,
not 'dict'"): the order system's mistake was reported as the print room's template. What the
filters read is let through as it always was (a price as the text "184.50" too); only what they
cannot read is refused, at its field, and only when an email of the event's trigger reads that
value: a value no template of the trigger names is never shown, and refusing the event for it
would lose its emails. `validate` checks the sample orders by this same rule (required.py), so
what it lets through, dispatch sends. The repository's own variables (config/catalog.yaml) are
typed in its event schema already."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from mailgitops.dispatch.event_places import places
from mailgitops.jsonshape import JsonObject, JsonValue

if TYPE_CHECKING:
    from mailgitops.diagnostics import Diagnostic

# what float() and Babel read: digits with an optional sign, point and exponent, spaces around
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_WANTED = {
    "money": "a number such as 184.5 (the email shows it as money)",
    "number": "a number such as 2.5",
    "integer": "a whole number such as 500",
    "date": "a date such as 2026-12-04",
    "datetime": "a date and time with its UTC offset such as 2026-11-27T10:00:00Z",
}
# why a text that looks like a date and time was still refused (the filters would have to guess)
_NO_OFFSET = (" (it has no UTC offset, so it could be any zone's time; "
              "2026-11-27T11:00:00+01:00 is Berlin's 11:00)")
_NO_TIME = " (a date without a time of day)"


# The package's variables of those types (schema/variables.yaml; a test keeps the two equal):
# written out, so that checking an event does not load the catalog (dispatch's cold start).
TYPED: tuple[tuple[str, str], ...] = (
    ("order.submitted_at", "datetime"), ("order.due_date", "date"), ("order.price", "money"),
    ("order.job_count", "integer"), ("job.copies", "integer"), ("job.pages", "integer"),
    ("job.price", "money"), ("cost_centre.budget", "money"), ("cost_centre.spent", "money"),
    ("cost_centre.threshold", "money"), ("quote.price", "money"), ("quote.valid_until", "date"),
    ("export.count", "integer"),
)


def _why(kind: str, value: JsonValue) -> str:
    """What is missing from a date and time that reads as one otherwise."""
    if kind != "datetime" or not isinstance(value, str):
        return ""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return ""
    if len(value.strip()) <= 10:
        return _NO_TIME
    return _NO_OFFSET if parsed.utcoffset() is None else ""


def _reads(kind: str, value: JsonValue) -> bool:
    if kind in ("money", "number", "integer"):
        if isinstance(value, bool):
            return False
        return isinstance(value, int | float) or (isinstance(value, str) and bool(_NUMBER.fullmatch(value)))
    if not isinstance(value, str):
        return False
    from mailgitops.render.formats import as_date, as_datetime  # what the filters read, by their own code

    try:
        if kind == "datetime":
            as_datetime(value)
        else:
            as_date(value, dt.UTC)
    except ValueError:
        return False
    return True


def _shown(value: JsonValue) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _read_in(name: str) -> re.Pattern[str]:
    # `job.pages`, `j.pages` (a loop named otherwise), `job["pages"]`: any attribute of that name
    # counts, so a use is never missed (at worst a value is checked that another name meant)
    last = re.escape(name.rpartition(".")[2])
    return re.compile(rf"\w\s*\.\s*{last}\b|\[\s*['\"]{last}['\"]\s*\]")


_READ_IN = {name: _read_in(name) for name, _ in TYPED}


def read_by(texts: Iterable[str]) -> frozenset[str]:
    """The typed variables that these Jinja sources (subjects, preheaders, bodies) name."""
    joined = "\n".join(texts)
    return frozenset(name for name, pattern in _READ_IN.items() if pattern.search(joined))


def check(event: JsonObject, source: str, read: Collection[str] | None = None) -> list[Diagnostic]:
    """Each typed value the filters cannot read, among those `read` names (None: all of them)."""
    found: list[tuple[str, str, str, JsonValue]] = []
    for name, kind in TYPED:
        if read is not None and name not in read:
            continue
        head, *parts = name.split(".")
        for base, start in places(event, head):
            value = start
            for part in parts:
                value = value.get(part) if isinstance(value, Mapping) else None
            if value is not None and value != "" and not _reads(kind, value):
                found.append((".".join([base, *parts]), name, kind, value))
    if not found:
        return []
    from mailgitops.diagnostics import error

    return [error(source, 0, 0, "wrong-value",
                  f"{path}: `{name}` must be {_WANTED[kind]}, not {_shown(value)}{_why(kind, value)}",
                  json_path=path, hint=f"send `{name}` as {_WANTED[kind].split(' (')[0]}")
            for path, name, kind, value in found]
