"""The repository's own catalog, config/catalog.yaml: variables and triggers a print room adds to
the package's. Checked here (beyond its JSON Schema) and merged into one `Catalog` that validate,
previews, the bundle and the dispatcher all use; and the event schema that follows from it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mailgitops.catalog import ALWAYS_PROVIDED, Catalog, TriggerSpec, VariableSpec, packaged
from mailgitops.diagnostics import Diagnostic, warning
from mailgitops.settings import ROLES
from mailgitops.suggest import closest
from mailgitops.yamlsrc import YamlDoc

FILE = "config/catalog.yaml"
# how alike a new name must be to a built-in one to be taken for its typo: `order.numbr` and
# `job.product.color` are; `job.binding_colour` (like job.product.colour) and `proof_reminder`
# (like proof_ready) are new names
NEAR = 0.85
DEFAULT_PROVIDES = ("order", "customer", "operator")
# top-level event keys that are not value namespaces: a namespace of that name would collide
RESERVED = frozenset({"event_id", "trigger", "occurred_at", "attachments", "operator_cc",
                      "operator_attachments", "approvers", "notify"})
# where each built-in namespace's values sit in the event schema (`job`: one item of order.jobs)
_SCHEMA_PLACE: Mapping[str, tuple[str, ...]] = {
    "job": ("properties", "order", "properties", "jobs", "items"),
    "operator": ("$defs", "person"),
    "approver": ("$defs", "person"),
}
# the JSON Schema of each variable type, at the event field's path
_TYPE_SCHEMA: Mapping[str, dict[str, Any]] = {
    "string": {"type": "string", "maxLength": 1000, "pattern": "^[^\\x00-\\x1f\\x7f\\u2028\\u2029]*$"},
    "text": {"type": "string", "maxLength": 20000},
    "email": {"$ref": "#/$defs/email"},
    "url": {"type": "string", "maxLength": 2000, "pattern": "^https?://[^\\s]+$"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "money": {"type": "number"},
    "date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
    "datetime": {"type": "string", "format": "date-time"},
}


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


class _Merge:
    """One pass over config/catalog.yaml: every problem located, and what is sound merged."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.base = packaged()
        self.diags: list[Diagnostic] = []
        self.triggers: dict[str, TriggerSpec] = dict(self.base.triggers)
        self.variables: dict[str, VariableSpec] = dict(self.base.variables)

    def err(self, path: tuple[str | int, ...], code: str, message: str, hint: str, *,
            key: bool = False) -> None:
        self.diags.append(self.doc.at(path, code, message, hint=hint, key=key))

    def near(self, path: tuple[str | int, ...], name: str, builtins: Mapping[str, Any], what: str) -> None:
        """A new name one typo away from a built-in one is most likely that built-in misspelt (one
        that only lengthens or shortens it, `customer.phone_no`, is a name of its own)."""
        guess = closest(name, builtins, cutoff=NEAR)
        if guess is not None and not name.startswith(guess) and not guess.startswith(name):
            p = self.doc.key_pos(path)
            self.diags.append(warning(FILE, p.line, p.col, "catalog-near-builtin",
                                      f"`{name}` is a new {what}, and very like the built-in `{guess}`",
                                      hint=f"did you mean `{guess}`? If `{name}` is really a new one, "
                                      "give it a name less like the built-in"))

    # --- triggers -------------------------------------------------------------------------------

    def add_triggers(self, raw: Mapping[str, Any]) -> None:
        for tid, entry in raw.items():
            path = ("triggers", tid)
            t = _d(entry)
            if tid in self.base.triggers:
                self.err(path, "catalog-redefines-builtin",
                         f"`{tid}` is a built-in trigger; config/catalog.yaml only adds new ones",
                         "set its recipients and editing in config/workflow.yaml (`to:`, "
                         f"`edit_before_send:`), give its events your own values with a variable's "
                         f"`triggers: [{tid}]`, or give your new trigger another name", key=True)
                continue
            self.near(path, tid, self.base.triggers, "trigger")
            recipients = tuple(r for r in ROLES if r in _strs(t.get("default_recipients")))
            self.triggers[tid] = TriggerSpec(
                id=tid, description=str(t.get("description", "")),
                default_template=str(t.get("default_template") or tid.replace("_", "-")),
                default_recipients=recipients or ("customer",),
                editable=t.get("editable") is True,
                provides=_strs(t.get("provides")) if "provides" in t else DEFAULT_PROVIDES,
                requires=_strs(t.get("requires")), custom=True)

    # --- variables ------------------------------------------------------------------------------

    def add_variables(self, raw: Mapping[str, Any]) -> None:
        for name, entry in raw.items():
            v = _d(entry)
            if v.get("type") in _TYPE_SCHEMA and self.variable_name_ok(name):  # else the schema said why
                listed = _strs(v.get("triggers")) if "triggers" in v else None
                self.variables[name] = VariableSpec(
                    name=name, type=str(v.get("type", "string")), description=str(v.get("description", "")),
                    example=v.get("example"), per_job=name.startswith("job."), triggers=listed, custom=True)

    def variable_name_ok(self, name: str) -> bool:
        path = ("variables", name)
        head = name.split(".", maxsplit=1)[0]
        builtin = self.base.variables
        if name in builtin or name in self.base.names:
            what = "variable" if name in builtin else "group of variables"
            self.err(path, "catalog-redefines-builtin",
                     f"`{name}` is a built-in {what}; config/catalog.yaml only adds new ones",
                     "remove it here (the built-in one is always there), or give your value another name",
                     key=True)
            return False
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        leaf = next((p for p in parents if p in builtin and builtin[p].type != "list"), None)
        if leaf is not None:
            self.err(path, "catalog-redefines-builtin",
                     f"`{leaf}` is a built-in {builtin[leaf].type} value; it cannot hold `{name}`",
                     f"name it beside it instead, e.g. `{leaf.replace('.', '_', leaf.count('.') - 1)}_"
                     f"{name.rsplit('.', 1)[1]}`" if "." in leaf else "choose another name", key=True)
            return False
        if name.startswith("order.jobs."):
            self.err(path, "catalog-reserved-namespace", f"`{name}`: the values of one job are `job.…`",
                     f"name it `job.{name.removeprefix('order.jobs.')}`", key=True)
            return False
        if head in ALWAYS_PROVIDED or head in RESERVED:
            self.err(path, "catalog-reserved-namespace",
                     f"`{head}.*` values come from the configuration, not the event; `{name}` cannot be "
                     "added there" if head in ALWAYS_PROVIDED else
                     f"`{head}` is a key of the event itself, not a namespace of values",
                     "put it in the order (`order.…`), one job (`job.…`) or a namespace of your own "
                     "(`project.…`)", key=True)
            return False
        self.near(path, name, builtin, "variable")
        return True

    # --- after both sections: the references between them ---------------------------------------

    def link(self) -> None:
        namespaces = self.base.namespaces | {n.split(".")[0] for n in self.variables}
        for tid, t in list(self.triggers.items()):
            if not t.custom:
                continue
            for i, ns in enumerate(t.provides):
                if ns not in namespaces or ns in ALWAYS_PROVIDED or ns == "job":
                    self.err(("triggers", tid, "provides", i), "catalog-unknown-namespace",
                             f"`{ns}` is not a namespace of values events carry",
                             f"one of: {', '.join(sorted(namespaces - set(ALWAYS_PROVIDED) - {'job'}))}")
        for name, v in list(self.variables.items()):
            if not v.custom:
                continue
            unknown = [(i, t) for i, t in enumerate(v.triggers or ()) if t not in self.triggers]
            for i, tid in unknown:
                guess = closest(tid, self.triggers)
                self.err(("variables", name, "triggers", i), "catalog-unknown-trigger",
                         f"`{tid}` is not a trigger", f"did you mean `{guess}`?" if guess else
                         "name built-in triggers (schema/triggers.yaml) or ones config/catalog.yaml adds")
            self.widen(name, v, report=not unknown)  # an unknown trigger explains it once
        for tid, t in list(self.triggers.items()):
            if t.custom:
                self.check_requires(tid, t)

    def widen(self, name: str, v: VariableSpec, *, report: bool) -> None:
        """The triggers a variable names carry its namespace; `always` makes each require it."""
        head = name.split(".", maxsplit=1)[0]
        ns = "order" if head == "job" else head
        carriers = [t for t in self.triggers.values() if self.carries(v, t, ns)]
        if not carriers and report:
            self.err(("variables", name), "catalog-not-carried",
                     f"no trigger's events carry `{name}`: no trigger provides `{head}`",
                     "list the triggers whose events carry it under `triggers:`", key=True)
        for t in carriers:
            provides = t.provides if ns in t.provides else (*t.provides, ns)
            requires = (*t.requires, name) if self.always(name) and name not in t.requires else t.requires
            self.triggers[t.id] = TriggerSpec(t.id, t.description, t.default_template, t.default_recipients,
                                              t.editable, provides, requires, t.custom)

    def carries(self, v: VariableSpec, t: TriggerSpec, ns: str) -> bool:
        return t.id in v.triggers if v.triggers is not None else ns in t.provides

    def always(self, name: str) -> bool:
        return _d(_d(self.doc.data).get("variables")).get(name, {}).get("always") is True

    def check_requires(self, tid: str, t: TriggerSpec) -> None:
        for i, name in enumerate(t.requires):
            v = self.variables.get(name)
            if v is None:
                guess = closest(name, self.variables)
                self.err(("triggers", tid, "requires", i), "catalog-unknown-variable",
                         f"`{name}` is not a variable", f"did you mean `{guess}`?" if guess else
                         "name a variable of schema/variables.yaml or of config/catalog.yaml")
            elif not Catalog.of(self.triggers, self.variables, {}).carried_by(name, tid):
                self.err(("triggers", tid, "requires", i), "catalog-not-carried",
                         f"`{tid}` events do not carry `{name}`",
                         f"add `{name.split('.')[0]}` to its `provides:`, or `{tid}` to the variable's "
                         "`triggers:`")


def merge(doc: YamlDoc | None) -> tuple[Catalog, list[Diagnostic]]:
    """The package's catalog with config/catalog.yaml's additions (`doc`, already schema-checked;
    None when the repository has no such file), and every problem in it."""
    if doc is None or not isinstance(doc.data, dict) or not doc.data:
        return packaged(), []
    m = _Merge(doc)
    m.add_triggers(_d(doc.data.get("triggers")))
    m.add_variables(_d(doc.data.get("variables")))
    m.link()
    return Catalog.of(m.triggers, m.variables, m.base.filters), m.diags


def event_schema(cat: Catalog) -> dict[str, Any]:
    """schema/event.schema.json with the repository's variables at their event fields (each of
    its type) and its namespaces as objects: what the order system may send, and what dispatch
    checks. The package's schema itself when the repository adds nothing."""
    from mailgitops.catalog import schema

    base = schema("event")
    custom = [v for v in cat.variables.values() if v.custom]
    if not custom:
        return base
    out = copy.deepcopy({k: v for k, v in base.items() if k != "$defs"})
    out["$defs"] = dict(base["$defs"])  # shared: schemacheck knows the email rule by identity
    out["description"] = ("Generated by `mailgitops schema` from the package's catalog and "
                          "config/catalog.yaml.")
    for v in sorted(custom, key=lambda v: v.name):
        head, *parts = v.name.split(".")
        place = _SCHEMA_PLACE.get(head, ("properties", head))
        if place[0] == "$defs" and out["$defs"][place[1]] is base["$defs"][place[1]]:
            out["$defs"][place[1]] = copy.deepcopy(base["$defs"][place[1]])
        node = out
        for step in place:
            node = node.setdefault(step, {"type": "object"} if step == head else {})
        for part in parts[:-1]:
            node.setdefault("type", "object")
            node = node.setdefault("properties", {}).setdefault(part, {"type": "object"})
        node.setdefault("type", "object")
        node.setdefault("properties", {})[parts[-1]] = {**_TYPE_SCHEMA[v.type], "description": v.description}
    return out
