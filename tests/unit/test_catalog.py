"""The packaged catalogs and JSON Schemas: complete, valid against their own schema, wired to editors."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from mailgitops import catalog, schemacheck
from mailgitops.diagnostics import Diagnostic
from mailgitops.yamlsrc import YamlDoc, load_yaml

PROJECT = Path(__file__).resolve().parents[2]
SCHEMAS = resources.files("mailgitops.schemas")
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
# every YAML file an admin edits, and the schema kind it must point at
EDITED = {
    "config/smtp.yaml": "smtp", "config/languages.yaml": "languages", "config/workflow.yaml": "workflow",
    "config/webshops/*.yaml": "webshop", "config/samples/*.yaml": "sample",
    "templates/*/template.yaml": "template", "templates/_layouts/theme.yaml": "theme",
}


def _catalog_doc(name: str) -> tuple[YamlDoc, list[Diagnostic]]:
    doc, diags = load_yaml(SCHEMAS.joinpath(name).read_text(encoding="utf-8"), name)
    assert diags == []
    return doc, list(schemacheck.check(doc, "catalog"))


@pytest.mark.parametrize("kind", catalog.SCHEMA_KINDS)
def test_every_schema_is_valid_2020_12_and_named_by_its_file(kind: str) -> None:
    schema = catalog.schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{kind}.schema.json")


def test_every_packaged_schema_file_is_a_known_kind() -> None:
    suffix = ".schema.json"
    files = {p.name.removesuffix(suffix) for p in SCHEMAS.iterdir() if p.name.endswith(suffix)}
    assert files == set(catalog.SCHEMA_KINDS)


@pytest.mark.parametrize("name", ["triggers.yaml", "variables.yaml"])
def test_catalogs_validate_against_catalog_schema(name: str) -> None:
    first = SCHEMAS.joinpath(name).read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=catalog.schema.json"
    _, problems = _catalog_doc(name)
    assert problems == []


def test_catalog_schema_refuses_incomplete_entries() -> None:
    text = ("triggers:\n  order_new:\n    description: x\n    default_template: order-new\n"
            "    default_recipients: [customr]\n    provides: [order]\n")
    doc, _ = load_yaml(text, "triggers.yaml")
    got = {(d.line, d.code) for d in schemacheck.check(doc, "catalog")}
    assert got == {(2, "missing-key"), (5, "bad-value")}  # no `editable` (at its entry); an unknown role
    doc, _ = load_yaml("variables:\n  order.count: {type: integer, description: n, example: many}\n"
                           "  order.note: {type: text, description: n}\n", "variables.yaml")
    got = {(d.line, d.code) for d in schemacheck.check(doc, "catalog")}
    assert got == {(2, "wrong-type"), (3, "missing-key")}


def test_trigger_catalog_matches_product_table() -> None:
    """PRODUCT.md §4: ids, default recipients and editable flags."""
    expected = {
        "order_received": ("customer", False), "order_received_operator": ("operator", False),
        "quotation": ("customer", True), "price_approval": ("approver", True),
        "price_approved": ("customer", True), "price_rejected": ("customer", True),
        "proof_ready": ("customer", True), "quotation_accepted": ("customer", True),
        "order_accepted": ("customer", True), "order_rejected": ("customer", True),
        "order_ready": ("customer", True), "order_dispatched": ("customer", True),
        "order_finalized": ("customer", True), "export_completed": ("operator", False),
        "budget_threshold": ("approver", False),
    }
    got = {t.id: (t.default_recipients[0], t.editable) for t in catalog.triggers().values()}
    assert got == expected
    assert all(t.description for t in catalog.triggers().values())


def test_trigger_provides_only_catalogued_namespaces() -> None:
    namespaces = {name.split(".")[0] for name in catalog.variables()}
    for t in catalog.triggers().values():
        assert set(t.provides) <= namespaces, (t.id, set(t.provides) - namespaces)
        # a trigger sent to a role fills in that role's variables
        for role in t.default_recipients:
            assert role in t.provides, (t.id, role)


def test_variable_catalog_covers_issue_namespaces() -> None:
    """Order, job and product items, customer, operator, approver, webshop, cost centre."""
    names = set(catalog.variables())
    for ns in ("order.", "job.", "job.product.", "customer.", "operator.", "approver.", "webshop.",
               "cost_centre."):
        assert any(n.startswith(ns) for n in names), ns
    for v in catalog.variables().values():
        assert v.type, v.name
        assert v.description, v.name
        assert v.example is not None, v.name
        assert v.per_job == v.name.startswith("job."), v.name
        if v.item:
            assert any(n.startswith(v.item + ".") for n in names), v.name


def _edited_files() -> list[tuple[Path, str]]:
    out = [(p, kind) for pattern, kind in EDITED.items() for p in sorted(PROJECT.glob(pattern))]
    assert len(out) >= 7 + 15
    return out


@pytest.mark.parametrize(("path", "kind"), _edited_files(), ids=lambda v: v.relative_to(PROJECT).as_posix()
                         if isinstance(v, Path) else v)
def test_every_config_file_starts_with_its_schema_line(path: Path, kind: str) -> None:
    """Editors (yaml-language-server) complete keys and show errors as you type."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = SCHEMA_LINE.match(first)
    assert m, f"{path}: first line is {first!r}"
    target = (path.parent / m.group(1)).resolve()
    assert target.is_file(), f"{path}: {m.group(1)} does not resolve"
    assert target.name == f"{kind}.schema.json"
    assert json.loads(target.read_text(encoding="utf-8"))["$id"] == catalog.schema(kind)["$id"]
