"""The packaged trigger and variable catalogs and the JSON Schemas, read once; `Catalog`, the
merged view that a repository's own additions (config/catalog.yaml, repo_catalog.py) extend."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    custom: bool = False  # added by the repository's config/catalog.yaml


@dataclass(frozen=True, slots=True)
class VariableSpec:
    name: str  # dotted, e.g. "job.product.name"
    type: str
    description: str
    example: Any
    per_job: bool = False
    item: str | None = None  # for lists: the namespace of one item ("job")
    # config/catalog.yaml only: the triggers whose events carry it (None: every trigger that
    # provides its namespace, as for the package's variables)
    triggers: tuple[str, ...] | None = None
    custom: bool = False


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: checks cache per catalog
class Catalog:
    """The triggers, variables and filters a repository's templates and events use: the
    package's, plus what the repository's config/catalog.yaml adds."""

    triggers: Mapping[str, TriggerSpec]
    variables: Mapping[str, VariableSpec]
    filters: Mapping[str, str]
    names: frozenset[str]  # every variable's dotted name and each prefix of it
    namespaces: frozenset[str]
    per_job: Mapping[str, str]  # namespace -> one of its per-job variables (`job` -> `job.name`)

    @classmethod
    def of(cls, triggers: Mapping[str, TriggerSpec], variables: Mapping[str, VariableSpec],
           filters: Mapping[str, str]) -> Catalog:
        names: set[str] = set()
        per_job: dict[str, str] = {}
        for name, spec in variables.items():
            parts = name.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            if spec.per_job:
                per_job.setdefault(parts[0], name)
        return cls(triggers, variables, filters, frozenset(names),
                   frozenset(n for n in names if "." not in n), per_job)

    @property
    def custom(self) -> bool:
        """Whether the repository added anything (then the bundle carries its event schema)."""
        return any(t.custom for t in self.triggers.values()) or any(
            v.custom for v in self.variables.values())

    @property
    def own_namespaces(self) -> tuple[str, ...]:
        """Namespaces the repository added (`project`): events carry them as top-level objects."""
        builtin = packaged().namespaces
        return tuple(sorted({n.split(".")[0] for n, v in self.variables.items() if v.custom} - builtin))

    def carried_by(self, name: str, trigger: str) -> bool:
        """Whether `trigger`'s events may carry the variable `name` (its namespace provided, and,
        for a repository variable that names its triggers, listed there)."""
        spec, t = self.variables.get(name), self.triggers.get(trigger)
        if t is None or spec is None:
            return False
        if spec.triggers is not None:
            return trigger in spec.triggers
        head = name.split(".", maxsplit=1)[0]
        return head in ALWAYS_PROVIDED or head in t.provides or (head == "job" and "order" in t.provides)


ALWAYS_PROVIDED = ("printroom", "webshop")
SCHEMA_KINDS = (
    "smtp", "languages", "workflow", "webshop", "template", "front-matter", "sample", "event", "theme",
    "catalog", "bundle", "repo-catalog",
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
def packaged() -> Catalog:
    """The package's own catalog: what a repository without config/catalog.yaml uses."""
    return Catalog.of(triggers(), variables(), filters())


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind: smtp, languages, workflow, webshop, template,
    front-matter, sample, event, theme, catalog (of triggers.yaml and variables.yaml)."""
    loaded: dict[str, Any] = json.loads(_read(f"{kind}.schema.json"))
    return loaded
