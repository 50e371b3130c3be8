"""What an event's values must be before any schema looks at them: nested at most MAX_DEPTH deep,
numbers finite and of a sane size, text without lone surrogates.

JSON Schema cannot say these, and each one used to surface later as a program error (a
RecursionError at 900 levels, a UnicodeEncodeError when the email is written, Babel's
decimal.InvalidOperation for `copies: 1e308`, "€ ∞" for Infinity). The walk is iterative, so a
deep event cannot exhaust the stack here either."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

MAX_DEPTH = 32  # an order event is about 5 levels deep
MAX_NUMBER = 10**15  # more than any print order's price or count; Babel formats it exactly
_SURROGATE = re.compile("[\ud800-\udfff]")
Path = tuple[str | int, ...]


TWICE = ("is given more than once in one object; JSON readers differ in which one they keep, so "
         "send each field once")


class NonFinite(str):
    """What JSON's NaN / Infinity / -Infinity parse to here (json.loads would make floats), so the
    walk can name the field that holds one."""


class LongNumber(str):
    """An integer too long for Python's int() (more than 4,300 digits), kept as its text so the
    walk can name its field instead of json.loads failing with words about sys.set_int_max_str_digits."""


class Duplicated(dict[str, object]):
    """A JSON object that gives a field more than once: json.loads keeps the last silently, other
    readers the first, so the order system and mailgitops could read two different events."""

    twice: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    names = [k for k, _ in pairs]
    found = Duplicated(out)
    found.twice = tuple(dict.fromkeys(k for k in names if names.count(k) > 1))
    return found


def _int(text: str) -> int | str:
    return int(text) if len(text) <= 4000 else LongNumber(text)


def loads(text: str) -> object:
    """An event's JSON: NaN and Infinity, huge integers and fields given twice become values the
    walk names at their field, where json.loads would take them or fail without a place."""
    return json.loads(text, parse_constant=NonFinite, parse_int=_int, object_pairs_hook=_object)


def _text_problem(text: str) -> str | None:
    if not text.isascii() and _SURROGATE.search(text):
        return "contains a lone surrogate (\\ud800-\\udfff), which is not text; send UTF-8 text"
    return None


def _number_problem(value: int | float) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a number an event may carry"
    if abs(value) > MAX_NUMBER:
        try:
            shown = f"{value:.6g}"
        except OverflowError:  # an integer beyond any float (some 309 digits or more)
            shown = f"a number of {_digits(int(value))} digits"
        return f"{shown} is out of range (at most {MAX_NUMBER:.0e} either way)"
    return None


def _digits(value: int) -> str:
    try:
        return str(len(str(abs(value))))
    except ValueError:  # beyond Python's 4,300 digits for int-to-text (only from Python code)
        return f"about {int(value.bit_length() * math.log10(2)) + 1}"


def _clean(value: object, depth: int) -> bool:
    """True when nothing in `value` is a problem, False when something may be (value_problems then
    names it): one quick pass without paths, what nearly every event takes. Exact types only (a
    NonFinite is a str subclass); recursive, but it stops at MAX_DEPTH like the full walk."""
    kind = type(value)
    if isinstance(value, str):
        return kind is str and (value.isascii() or _text_problem(value) is None)
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return (kind is int or kind is float) and _number_problem(value) is None
    if isinstance(value, dict):
        return kind is dict and depth < MAX_DEPTH and all(
            type(k) is str and (k.isascii() or _text_problem(k) is None) and _clean(v, depth + 1)
            for k, v in value.items())
    if isinstance(value, list):
        return kind is list and depth < MAX_DEPTH and all(_clean(v, depth + 1) for v in value)
    return False  # anything else: the full walk decides


def _key_problem(key: object) -> str | None:
    if not isinstance(key, str):  # only from Python code: JSON's names are text
        return f"the field name {key!r} is a {type(key).__name__}; field names are text"
    found = _text_problem(key)
    return f"a field name {found}" if found else None


def value_problems(data: object) -> Iterator[tuple[Path, str]]:
    """(path, message) for each value no order event may hold; nothing deeper than MAX_DEPTH is read."""
    if not _clean(data, 0):
        yield from _walk(data)


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, NonFinite):
        return f"{value} is not a number an event may carry (JSON has no NaN or Infinity)"
    if isinstance(value, LongNumber):
        digits = len(value.lstrip("-"))
        return f"a number of {digits:,} digits is out of range (at most {MAX_NUMBER:.0e} either way)"
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problem(value)
    return None


def _walk(data: object) -> Iterator[tuple[Path, str]]:
    stack: list[tuple[Path, object]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str | int | float) or value is None:
            found = _scalar_problem(value)
            if found:
                yield path, found
        elif isinstance(value, dict | list):
            if len(path) >= MAX_DEPTH:
                yield path, f"is nested more than {MAX_DEPTH} levels deep (an order event is about 5)"
                continue
            if isinstance(value, Duplicated):
                for name in value.twice:
                    yield (*path, name), TWICE
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in reversed(list(items)):
                found = _key_problem(key) if isinstance(value, dict) else None
                if found:
                    yield path, found
                    continue
                stack.append(((*path, key), item))
        else:  # only from Python code: json.loads makes none of these
            yield path, (f"is a {type(value).__name__}, which an event cannot carry; use text, a "
                         "number, true/false, null, a list or an object (a date as ISO 8601 text)")


def without(data: object, problems: list[tuple[Path, str]]) -> tuple[object, set[Path]]:
    """The event with each value `value_problems` named set to null (a field given twice keeps the
    value json.loads kept), and the paths so replaced: the schema check and the trigger's own then
    name every other problem of the event at once, meeting only sane values. Nothing deeper than
    MAX_DEPTH is copied (a container that deep is among the problems)."""
    replaced = {path for path, why in problems if why != TWICE}

    def copy(value: object, path: Path) -> object:
        if path in replaced:
            return None
        if isinstance(value, dict):
            return {k: copy(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [copy(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return copy(data, ()), replaced
