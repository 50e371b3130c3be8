"""The runtime settings: one typed model that the bundle writes and the dispatcher reads, with
its own JSON Schema (schemas/bundle.schema.json) that every built bundle satisfies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mailgitops import bundle, bundle_build, catalog
from mailgitops.diagnostics import json_path
from mailgitops.identity import Mailbox
from mailgitops.jsonshape import SUPPORTED_KEYWORDS, schema_errors
from mailgitops.repo import load_repo
from mailgitops.settings import Settings
from support.dispatchrepo import ROOT, make_repo

COMMITTED = ROOT / bundle.DEFAULT_PATH


def _problems(doc: object) -> list[str]:
    validator = Draft202012Validator(catalog.schema("bundle"))
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_committed_bundle_satisfies_its_schema() -> None:
    assert _problems(json.loads(COMMITTED.read_bytes())) == []


def test_settings_survive_the_round_trip_through_json(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    settings = bundle.settings_of(load_repo(repo).repo)
    text = json.dumps(settings.to_json(), sort_keys=True)
    again = Settings.from_json(json.loads(text))
    assert again == settings, "from_json(to_json(s)) differs from s"
    assert again.smtp.server.port == 2525
    assert isinstance(again.smtp.sender, Mailbox)
    assert again.workflow.triggers["order_received"].to == ("customer",)
    assert again.catalog["price_approval"].default_recipients == ("approver",)


def test_a_webshop_sender_override_is_typed_and_schema_valid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    (repo / "config" / "webshops").mkdir(exist_ok=True)
    (repo / "config" / "webshops" / "campus.yaml").write_text(
        "name: Campus shop\nsender: {address: campus@example.com, name: Campus Print}\n", encoding="utf-8")
    out = tmp_path / "b.json"
    bundle_build.write(repo, out)
    doc = json.loads(out.read_bytes())
    assert _problems(doc) == []
    shop = bundle.load(out).settings.webshops["campus"]
    assert shop.sender == Mailbox("campus@example.com", "Campus Print")
    assert shop.name == "Campus shop"


def _walk_keywords(node: object, used: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            used.add(k)
            if k in ("properties", "$defs"):
                for sub in v.values():
                    _walk_keywords(sub, used)
            else:
                _walk_keywords(v, used)
    elif isinstance(node, list):
        for x in node:
            _walk_keywords(x, used)


def test_the_bundle_schema_uses_only_what_the_load_checker_reads() -> None:
    used: set[str] = set()
    _walk_keywords(catalog.schema("bundle"), used)
    assert used - SUPPORTED_KEYWORDS == set()


def _broken(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(COMMITTED.read_bytes())
    change(doc)
    return doc


def _settings(doc: dict[str, Any]) -> dict[str, Any]:
    got: dict[str, Any] = doc["content"]["settings"]
    return got


SHOP = {"name": "X", "sender": None, "cc": [], "reply_to": None, "order_url": None}
BROKEN: dict[str, Callable[[dict[str, Any]], object]] = {
    "no smtp": lambda d: _settings(d).pop("smtp"),
    "port as text": lambda d: _settings(d)["smtp"]["server"].update(port="25"),
    "port 0": lambda d: _settings(d)["smtp"]["server"].update(port=0),
    "bool port": lambda d: _settings(d)["smtp"]["server"].update(port=True),
    "unknown security": lambda d: _settings(d)["smtp"]["server"].update(security="ssl"),
    "sender null": lambda d: _settings(d)["smtp"].update(sender=None),
    "shop sender null (valid)": lambda d: _settings(d)["webshops"].update(x={**SHOP, "sender": None}),
    "shop sender without address": lambda d: _settings(d)["webshops"].update(x={**SHOP, "sender": {}}),
    "shop without cc": lambda d: _settings(d)["webshops"].update(x={"name": "X", "sender": None}),
    "extra field": lambda d: _settings(d).update(surprise=1),
    "role typo": lambda d: _settings(d)["workflow"]["triggers"]["order_received"].update(to=["custmer"]),
    "cc not a list": lambda d: _settings(d)["smtp"].update(cc="a@example.org"),
    "no languages": lambda d: _settings(d)["languages"].update(active=[]),
    "attachment kind": lambda d: _settings(d)["templates"]["order-received"].update(attachments=["x"]),
    "text without body": lambda d: d["content"]["compiled"]["templates"]["order-received"]["texts"]["en"]
    .pop("body"),
    "compiled format": lambda d: d["content"]["compiled"].update(format=2),
    "hash shape": lambda d: d.update(hash="md5:00"),
    "signature shape": lambda d: d.update(signature="hmac-sha256:XYZ"),
    "content a list": lambda d: d.update(content=[]),
    "no content": lambda d: d.pop("content"),
}


def _jsonschema_paths(doc: object) -> list[str]:
    out = []
    for e in Draft202012Validator(catalog.schema("bundle")).iter_errors(doc):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        if e.validator == "additionalProperties":  # the small checker names the extra field itself
            out.extend(f"{path}.{k}" for k in e.instance if k not in e.schema.get("properties", {}))
        else:
            out.append(path)
    return sorted(out)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_load_checker_agrees_with_jsonschema(name: str) -> None:
    doc = _broken(BROKEN[name])
    schema = bundle.bundle_schema()
    ours = sorted(json_path(p) for p, _ in schema_errors(doc, schema, schema))
    assert bool(ours) != name.endswith("(valid)"), f"{name}: the load checker found {ours}"
    assert ours == _jsonschema_paths(doc)
