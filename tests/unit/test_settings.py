"""The runtime settings: one typed model that the bundle writes and the dispatcher reads, with
its own JSON Schema (schemas/bundle.schema.json) that every built bundle satisfies."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from mailgitops import bundle, catalog
from mailgitops.identity import Sender
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
    assert isinstance(again.smtp.sender, Sender)
    assert again.workflow.triggers["order_received"].to == ("customer",)
    assert again.catalog["price_approval"].default_recipients == ("approver",)


def test_a_webshop_sender_override_is_typed_and_schema_valid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    (repo / "config" / "webshops").mkdir(exist_ok=True)
    (repo / "config" / "webshops" / "campus.yaml").write_text(
        "name: Campus shop\nsender: {address: campus@example.com, name: Campus Print}\n", encoding="utf-8")
    out = tmp_path / "b.json"
    bundle.write(repo, out)
    doc = json.loads(out.read_bytes())
    assert _problems(doc) == []
    shop = bundle.load(out).settings.webshops["campus"]
    assert shop.sender == Sender("campus@example.com", "Campus Print")
    assert shop.name == "Campus shop"
