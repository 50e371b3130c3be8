"""A small JSON Schema checker for the send path: the subset of keywords that the event and the
bundle schemas use (SUPPORTED_KEYWORDS), without jsonschema's import (~200 ms) on every cold
`mailgitops dispatch`. Unit tests check it agrees with jsonschema on corpora of bad events and
bad bundles, and that both schemas use nothing else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeAlias

from mailgitops.addresses import problem
from mailgitops.patterns import compiled

# JSON as Python holds it (json.loads): what events, outcomes and reports are made of. Code that
# reads a JsonValue narrows it with isinstance (or `obj`/`text` below) before using it.
JsonValue: TypeAlias = "str | int | float | bool | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
JsonObject: TypeAlias = Mapping[str, JsonValue]  # read: an event, a stored entry
JsonDict: TypeAlias = dict[str, JsonValue]  # built: an outcome, a summary, a listing


def obj(value: JsonValue) -> JsonObject:
    """`value` when it is a JSON object, else an empty one (an absent or null field)."""
    return value if isinstance(value, Mapping) else {}


def text(value: JsonValue) -> str | None:
    """`value` when it is a string, else None."""
    return value if isinstance(value, str) else None


def strings(value: JsonValue) -> list[str]:
    """The strings of a JSON array (an absent or null field: none)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_NO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def is_date_time(value: str) -> bool:
    """A date and time with its UTC offset (RFC 3339): the one rule for validate and dispatch."""
    return bool(_DATE_TIME.match(value))


SUPPORTED_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "required", "properties",
    "additionalProperties", "items", "minLength", "maxLength", "pattern", "minimum", "maximum",
    "enum", "minItems", "maxItems", "format",
})


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "number" and isinstance(value, float):
        return True
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[name])


def schema_errors(  # noqa: PLR0912 -- one branch per JSON Schema keyword
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every (path, message) where `value` breaks `schema` (the subset in SUPPORTED_KEYWORDS)."""
    if "$ref" in schema:
        ref = str(schema["$ref"])
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        yield from schema_errors(value, target, root, path)
    t = schema.get("type")
    if t is not None:
        names = [t] if isinstance(t, str) else list(t)
        if not any(_is_type(value, n) for n in names):
            yield path, f"must be of type {' or '.join(names)}, not {_type_name(value)}"
            return
    if "enum" in schema and value not in schema["enum"]:
        yield path, f"must be one of {', '.join(map(json.dumps, schema['enum']))}"
    if isinstance(value, str):
        yield from _string_errors(value, schema, path)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield path, f"must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"must be at most {schema['maximum']}"
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield path, f"must have at least {schema['minItems']} item(s)"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield path, f"must have at most {schema['maxItems']} item(s)"
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                yield from schema_errors(item, schema["items"], root, (*path, i))
    elif isinstance(value, dict):
        yield from _object_errors(value, schema, root, path)


def _quoted(value: str) -> str:
    """The value as JSON text, readable: letters beyond ASCII as themselves ("evt-ü", not
    "evt-\\u00fc"), anything invisible or line-breaking (controls, format characters such as a
    right-to-left override, U+2028) escaped, so a message never hides or reorders its own text."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def _string_errors(
    value: str, schema: Mapping[str, Any], path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield path, "must not be empty" if schema["minLength"] == 1 else \
            f"must have at least {schema['minLength']} characters"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield path, f"must have at most {schema['maxLength']} characters"
    if "pattern" in schema and not compiled(schema["pattern"]).search(value):
        what = schema.get("description") or f"the pattern {schema['pattern']}"
        yield path, f"{_quoted(value)[:80]} does not fit {what}"
    if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
        why = (" (it has no UTC offset, so it could be any zone's time; 2026-11-27T11:00:00+01:00 is "
               "Berlin's 11:00)" if _NO_OFFSET.match(value) else "")
        yield path, f"{_quoted(value)[:80]} is not a date-time like 2026-11-27T10:00:00Z{why}"
    if schema.get("format") == "email":
        found = problem(value)
        if found is not None:
            yield path, f"{_quoted(value)[:80]} {found[0]} ({found[1]})"


def _object_errors(
    value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any],
    path: tuple[str | int, ...],
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    props: Mapping[str, Any] = schema.get("properties", {})
    for key in schema.get("required", ()):
        if key not in value:
            yield path, f"`{key}` is required"
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in props:
            yield from schema_errors(item, props[key], root, (*path, key))
        elif extra is False:
            from mailgitops.suggest import did_you_mean  # only for an event that has one

            yield (*path, key), ": ".join(filter(None, [f"unknown field `{key}`", did_you_mean(key, props)]))
        elif isinstance(extra, dict):
            yield from schema_errors(item, extra, root, (*path, key))


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__
