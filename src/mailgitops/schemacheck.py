"""Check a loaded YAML document against its JSON Schema; every error located at its value."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource

from mailgitops import catalog
from mailgitops.addresses import is_address
from mailgitops.diagnostics import Diagnostic
from mailgitops.jsonshape import is_date_time
from mailgitops.patterns import compiled
from mailgitops.redact import unsecret
from mailgitops.suggest import did_you_mean
from mailgitops.yamlsrc import YamlDoc


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """`pattern` as JSON Schema means it: `$` is the end of the text, not "before a final newline"."""
    if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _email(instance: object) -> bool:
    """The one address rule (addresses.py), not jsonschema's "holds an @"."""
    return not isinstance(instance, str) or is_address(instance)


_Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]
def _date_time(instance: object) -> bool:
    """jsonschema checks `date-time` only with a package this project does not install, so a
    sample's time without its offset passed validate and its event was refused by dispatch."""
    return not isinstance(instance, str) or is_date_time(instance)


_FORMATS = FormatChecker()
_FORMATS.checks("email")(_email)
_FORMATS.checks("date-time")(_date_time)


def validator_of(schema: dict[str, Any]) -> Any:
    """A jsonschema validator with our meaning of `pattern` and `format: email`."""
    return _Validator(schema, registry=_registry(), format_checker=_FORMATS)


@cache
def validator(kind: str) -> Any:
    """One reused validator per schema: building one costs more than a whole check."""
    return validator_of(catalog.schema(kind))


@cache
def _registry() -> Registry:
    """Lets one schema `$ref` another by file name (sample.schema.json -> event.schema.json)."""
    resources = []
    for kind in catalog.SCHEMA_KINDS:
        contents = catalog.schema(kind)
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def _leaves(err: ValidationError) -> list[ValidationError]:
    """oneOf/anyOf errors are only useful through their most specific branch."""
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = min(err.context, key=lambda e: (-len(e.absolute_path), len(e.context or ())))
        return _leaves(best)
    return [err]


def _describe(err: ValidationError, doc: YamlDoc) -> list[Diagnostic]:
    path = tuple(err.absolute_path)
    if isinstance(err.schema, dict) and err.schema.get("writeOnly") is True \
            and err.validator in ("pattern", "type", "minLength"):
        return [_unshown(err, doc, path, err.schema)]
    if "propertyNames" in err.relative_schema_path and isinstance(err.instance, str):
        # a key that is not allowed (`Fr:` where a language tag goes): at that key, not its mapping
        found = _describe_at(err, doc, path)
        return [doc.at((*path, err.instance), d.code, d.message, hint=d.hint, key=True) for d in found]
    return _describe_at(err, doc, path)


def _describe_at(err: ValidationError, doc: YamlDoc, path: tuple[Any, ...]) -> list[Diagnostic]:
    schema: dict[str, Any] = err.schema if isinstance(err.schema, dict) else {}
    custom = schema.get("errorMessage")
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        return [
            doc.at((*path, k), "unknown-key", f"unknown key `{k}`",
                   hint=did_you_mean(k, allowed) or f"allowed here: {', '.join(allowed)}", key=True)
            for k in extra
        ]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        under = f" under `{path[-1]}`" if path and isinstance(path[-1], str) else ""
        return [doc.at(path, "missing-key", f"required key `{missing}` is missing",
                       hint=f"add `{missing}:`{under}", key=bool(path))]
    if err.validator == "enum":
        options = [str(o) for o in schema.get("enum", [])]
        pick = did_you_mean(str(err.instance), options) or f"write one of: {', '.join(options)}"
        return [doc.at(path, "bad-value", f"`{err.instance}` is not allowed here", hint=pick)]
    if err.validator == "type":
        return [_wrong_type(err, doc, path, schema)]
    if err.validator == "pattern":
        return [_pattern(err, doc, path, schema)]
    return [_other(err, doc, path, custom)]


def _other(err: ValidationError, doc: YamlDoc, path: tuple[Any, ...], custom: object) -> Diagnostic:
    if err.validator == "format" and err.validator_value == "date-time":
        return doc.at(path, "schema-format", f"`{_short(err.instance)}` is not a date and time with its UTC "
                      "offset, as the order system must send it (dispatch refuses it)",
                      hint="write 2026-11-27T10:00:00Z (UTC) or 2026-11-27T11:00:00+01:00")
    return doc.at(path, f"schema-{err.validator}", str(custom or err.message))


def _unshown(err: ValidationError, doc: YamlDoc, path: tuple[Any, ...], schema: dict[str, Any]) -> Diagnostic:
    """A value that may be the password itself (written where its variable's name goes), never
    repeated in a message: CI shows messages in its annotations and the pull request's comment."""
    want = schema.get("errorMessage") or f"of type {schema.get('type')}"
    return doc.at(path, f"schema-{err.validator}", f"this value (not shown here) is not {want}",
                  hint=schema.get("description"))


def _pattern(err: ValidationError, doc: YamlDoc, path: tuple[Any, ...], schema: dict[str, Any]) -> Diagnostic:
    """`errorMessage` is a noun phrase ("a language tag such as en, de or pt-BR") that editors
    show as it is; here it completes "`EN` is not ..."."""
    value = f"`{_short(err.instance)}`"
    expected = schema.get("errorMessage")
    hint = schema.get("description")
    if expected:
        return doc.at(path, "schema-pattern", f"{value} is not {expected}", hint=hint)
    return doc.at(path, "schema-pattern", f"{value} is not in the expected form",
                  hint=hint or f"it must match the pattern {schema.get('pattern')}")


def _short(value: Any, limit: int = 80) -> str:
    # control characters shown escaped: a message must not carry the line break it complains about
    # and a password written in a host or URL (`user:secret@host`) left out
    text = unsecret("".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"



def _wrong_type(err: ValidationError, doc: YamlDoc, path: tuple[Any, ...],
                schema: dict[str, Any]) -> Diagnostic:
    want = schema.get("type")
    want_s = " or ".join(want) if isinstance(want, list) else str(want)
    hint: str | None = None
    got = _json_type(err.instance)
    if isinstance(err.instance, (str, int, float, bool)) and err.instance is not None:
        shown = str(err.instance).lower() if isinstance(err.instance, bool) else _short(err.instance, 40)
        got = f"{got} `{shown}`"  # as written (YAML's `false`, not Python's): the line needs no reading
    if "string" in want_s and isinstance(err.instance, (int, float, bool)):
        raw = doc.raw.get(path)
        if raw is not None and raw != str(err.instance):
            # YAML 1.1/1.2 both read `1.10` as the number 1.1: show what was written
            got = f"the number {err.instance!r} (YAML reads `{raw}` as a number)"
            hint = f'quote it so it stays text: "{raw}"'
        else:
            hint = "quote the value so YAML keeps it as text"
    if want_s == "array" and isinstance(err.instance, (str, int, float)) and err.instance is not True \
            and err.instance is not False:
        # `to: customer`: one item written without the list around it
        item = err.instance if isinstance(err.instance, str) else repr(err.instance)
        items = schema.get("items")
        allowed = [str(o) for o in items.get("enum", [])] if isinstance(items, dict) else []
        if allowed and item not in allowed:  # `to: 5`: `[5]` would be refused next, name the choices
            hint = f"write a list, in brackets, of: {', '.join(allowed)} (e.g. [{allowed[0]}])"
        else:
            hint = f"write it as a list, in brackets: [{item}]"
        return doc.at(path, "wrong-type", f"expected a list, got the single value `{item}`", hint=hint)
    want_s = want_s.replace("string", "text").replace("array", "a list")
    want_s = want_s.replace("object", "`key: value` lines")
    if err.instance is None and hint is None:  # `timezone:` with nothing after it
        hint = "write the value after the `:`, or delete the line for the default (where there is one)"
    return doc.at(path, "wrong-type", f"expected {want_s}, got {got}", hint=hint)

def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "mapping"


def _reported_elsewhere(err: ValidationError, kind: str) -> bool:
    """A check family reports this value with a precise message (one diagnostic per fault):
    schemas mark such values `x-checked-by`; a sample order's addresses follow the event
    schema, whose pattern message would be a regex, so checks/addresses.py reports them."""
    if err.validator == "type" or not isinstance(err.schema, dict):
        return False
    return bool(err.schema.get("x-checked-by")) or (
        kind == "sample" and err.schema is catalog.schema("event")["$defs"]["email"])


def check(doc: YamlDoc, kind: str, using: Any = None) -> list[Diagnostic]:
    """All schema problems of `doc`, each at the line and column of the offending value; `using`:
    a validator (validator_of) to check with instead of the kind's own schema."""
    out: list[Diagnostic] = []
    for err in (using or validator(kind)).iter_errors(doc.data):
        for leaf in _leaves(err):
            if not _reported_elsewhere(leaf, kind):
                out.extend(_describe(leaf, doc))
    return out
