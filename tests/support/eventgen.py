"""Events generated from the event schema itself (hypothesis-jsonschema), one schema per trigger.

Each trigger's schema is the packaged event schema (schemas/event.schema.json) AND a narrowing
made from the catalog: `trigger` is that id; the namespaces the trigger `provides` hold the
catalog's variables with the catalog's types (money a number, a date an ISO date, ...) and
nothing else; the values it `requires` are required and not empty; every other value is
optional. A person to write to is always there (customer, operator, one approver), since a
trigger nobody receives renders nothing, and the customer asked for the trigger's emails.
Two extremes per trigger: `minimal` (only what must be there) and `maximal` (every optional
value present)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mailgitops import catalog
from mailgitops.dispatch.event_values import MAX_NUMBER

Shape = Literal["any", "minimal", "maximal"]
SHAPES: tuple[Shape, ...] = ("any", "minimal", "maximal")
# what the event schema itself requires of a namespace (and the customer's opt-in)
_ALWAYS = {"order": {"number", "jobs"}, "customer": {"email", "notify"}, "operator": {"email"},
           "approver": {"email"}}


def _value_schema(kind: str, required: bool) -> dict[str, Any]:
    """The catalog's type of a value as JSON Schema (bounded so that the examples stay small)."""
    if kind in ("string", "text"):
        return {"type": "string", "minLength": 1 if required else 0,
                "maxLength": 40 if kind == "string" else 200}
    by_type: dict[str, dict[str, Any]] = {
        "email": {"type": "string"},  # the event schema's own email rule applies (allOf)
        "url": {"type": "string", "format": "uri", "pattern": "^https://[a-z]"},
        "integer": {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER},
        "number": {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
        "money": {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
    }
    return copy.deepcopy(by_type[kind])


def _obj() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": {}, "required": []}


def _finish(node: dict[str, Any], always: set[str], shape: Shape) -> None:
    """Apply the shape to one object: only what must be there, or everything there."""
    props = node["properties"]
    must = {*node["required"], *(always & set(props))}
    if shape == "minimal":
        node["properties"] = {k: v for k, v in props.items() if k in must}
    node["required"] = sorted(set(props) if shape == "maximal" else must)
    for value in node["properties"].values():
        if value.get("type") == "object":
            _finish(value, set(), shape)
        elif value.get("type") == "array":
            _finish(value["items"], set(), shape)


def narrowing(trigger: str, shape: Shape = "any") -> dict[str, Any]:
    """What the catalog adds to the event schema for `trigger` (see the module's docstring)."""
    spec = catalog.triggers()[trigger]
    provided = {*spec.provides, "customer", "operator", "approver"}
    spaces: dict[str, dict[str, Any]] = {ns: _obj() for ns in provided}
    job = _obj()
    for name, var in catalog.variables().items():
        head, *rest = name.split(".")
        if var.type == "list" or name == "order.url" or head not in {*provided, "job"}:
            continue  # order.url is made from the repository's order_url, never sent
        node = job if head == "job" else spaces[head]
        for part in rest[:-1]:
            if name in spec.requires:
                node["required"] = sorted({*node["required"], part})
            node = node["properties"].setdefault(part, _obj())
        node["properties"][rest[-1]] = _value_schema(var.type, name in spec.requires)
        if name in spec.requires:
            node["required"].append(rest[-1])
    if "order" in spaces:  # a trigger about an order (not an export): its jobs
        spaces["order"]["properties"]["jobs"] = {"type": "array", "minItems": 1, "maxItems": 3, "items": job}
    spaces["customer"]["properties"]["notify"] = {"const": [trigger]}
    for ns, node in spaces.items():
        _finish(node, _ALWAYS.get(ns, set()), shape)
    approvers = {"type": "array", "minItems": 1, "maxItems": 2, "items": spaces.pop("approver")}
    return {
        "type": "object", "additionalProperties": False,
        "required": ["event_id", "trigger", "occurred_at", "customer", "operator", "approvers", *spaces],
        "properties": {"event_id": {"const": "generated"},  # each test makes it unique
                       "trigger": {"const": trigger}, "occurred_at": {},
                       "approvers": approvers, **spaces},
    }


def trigger_schema(trigger: str, shape: Shape = "any") -> dict[str, Any]:
    """The event schema AND the trigger's narrowing: whatever this generates, the event schema accepts."""
    event = copy.deepcopy(catalog.schema("event"))
    event.pop("$id", None)
    defs = event.pop("$defs")
    return {"$defs": defs, "allOf": [event, narrowing(trigger, shape)]}


@cache
def events(trigger: str, shape: Shape = "any") -> st.SearchStrategy[dict[str, Any]]:
    """Events of `trigger` drawn from its schema (no NUL: JSON text from an order system)."""
    return from_schema(trigger_schema(trigger, shape), allow_x00=False)
