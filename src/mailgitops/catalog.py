"""The packaged trigger and variable catalogs and the JSON Schemas, read once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from mailgitops.settings import Role


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    id: str
    description: str
    default_template: str
    default_recipients: tuple[Role, ...]
    editable: bool
    provides: tuple[str, ...]  # variable namespaces the event fills in, besides ALWAYS_PROVIDED
    requires: tuple[str, ...] = ()  # values every event carries (`job.*`: every job); dispatch enforces


@dataclass(frozen=True, slots=True)
class VariableSpec:
    name: str  # dotted, e.g. "job.product.name"
    type: str
    description: str
    example: Any
    per_job: bool = False
    item: str | None = None  # for lists: the namespace of one item ("job")


ALWAYS_PROVIDED = ("printroom", "webshop")
SCHEMA_KINDS = (
    "smtp", "languages", "workflow", "webshop", "template", "front-matter", "sample", "event", "theme",
    "catalog", "bundle",
)


def _read(name: str) -> str:
    return resources.files("mailgitops.schemas").joinpath(name).read_text(encoding="utf-8")


@cache
def triggers() -> dict[str, TriggerSpec]:
    raw = yaml.load(_read("triggers.yaml"), Loader=yaml.CSafeLoader)["triggers"]
    return {
        tid: TriggerSpec(
            id=tid,
            description=t["description"],
            default_template=t["default_template"],
            default_recipients=tuple(t["default_recipients"]),  # the catalog schema allows roles only
            editable=bool(t["editable"]),
            provides=tuple(t["provides"]),
            requires=tuple(t.get("requires", ())),
        )
        for tid, t in raw.items()
    }


@cache
def _variables_file() -> dict[str, Any]:
    """variables.yaml, parsed once for both of its sections."""
    loaded: dict[str, Any] = yaml.load(_read("variables.yaml"), Loader=yaml.CSafeLoader)
    return loaded


@cache
def variables() -> dict[str, VariableSpec]:
    raw = _variables_file()["variables"]
    return {
        name: VariableSpec(
            name=name,
            type=v["type"],
            description=v["description"],
            example=v.get("example"),
            per_job=bool(v.get("per_job", False)),
            item=v.get("item"),
        )
        for name, v in raw.items()
    }


@cache
def filters() -> dict[str, str]:
    raw: dict[str, str] = _variables_file()["filters"]
    return raw


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind: smtp, languages, workflow, webshop, template,
    front-matter, sample, event, theme, catalog (of triggers.yaml and variables.yaml)."""
    loaded: dict[str, Any] = json.loads(_read(f"{kind}.schema.json"))
    return loaded
