"""Who gets which wording: `to:` left out means the trigger's catalog recipients, a template per
recipient role (`templates:`), and validate's warning when a role gets wording written for
someone else. Through the real CLI (validate, plan)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.dispatchrepo import (
    ROOT,
    SAMPLES,
    build_bundle,
    cli,
    make_repo,
    outcome,
    sample_event,
    write_event,
)


def _workflow(repo: Path, change: Any) -> None:
    path = repo / "config" / "workflow.yaml"
    wf = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(wf["triggers"])
    path.write_text(yaml.safe_dump(wf, sort_keys=False), encoding="utf-8")


def _plan(bundle: Path, tmp: Path, trigger: str) -> list[dict[str, Any]]:
    event = sample_event("flyers", trigger=trigger, event_id=f"evt-{trigger}")
    got = outcome(cli("plan", "--bundle", str(bundle), "--event", str(write_event(tmp, event)),
                      "--attachments-root", str(SAMPLES / "files"), "--out", str(tmp / "out")))
    messages: list[dict[str, Any]] = got["messages"]
    for m in messages:
        m["text"] = Path(m["files"]["text"]).read_text(encoding="utf-8") if "files" in m else ""
    return messages


def _validate(repo: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    proc = cli("validate", "--root", str(repo), "--format", "json", *extra)
    # the example addresses make_repo keeps are named in every run (placeholders.py): left aside
    return proc.returncode, [p for p in json.loads(proc.stdout)
                             if p["code"] not in ("example-address", "example-link")]


def test_to_left_out_means_the_catalogs_recipients(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    _workflow(repo, lambda t: t["price_approval"].pop("to"))
    code, problems = _validate(repo)
    assert (code, problems) == (0, [])
    (m,) = _plan(build_bundle(repo), tmp_path, "price_approval")
    assert (m["role"], m["to"]) == ("approver", ["budget@example.com"])  # not the customer


def test_wording_for_someone_else_is_a_located_warning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    _workflow(repo, lambda t: t["order_accepted"].update(to=["customer", "operator"]))
    code, problems = _validate(repo)
    assert code == 0
    (w,) = [p for p in problems if p["code"] == "audience-mismatch"]
    lines = (repo / "config" / "workflow.yaml").read_text(encoding="utf-8").splitlines()
    assert w["file"] == "config/workflow.yaml" and w["severity"] == "warning"
    assert lines[w["line"] - 1][w["col"] - 1:].startswith("operator")
    assert w["message"] == ("trigger `order_accepted` sends template `order-accepted`, written for the "
                            "customer, to the operator")
    assert "templates: {operator: <template-id>}" in w["hint"]


def test_each_role_gets_its_own_template(tmp_path: Path) -> None:
    """The shipped repository tells operators about an approver's decision in their own words."""
    repo = make_repo(tmp_path / "repo", port=2525)
    assert _validate(repo) == (0, [])
    by_role = {m["role"]: m for m in _plan(build_bundle(repo), tmp_path, "price_approved")}
    assert set(by_role) == {"customer", "operator"}
    customer, operator = by_role["customer"], by_role["operator"]
    assert (customer["template"], operator["template"]) == ("price-approved", "price-approved-operator")
    assert customer["to"] == ["ada@example.org"] and operator["to"] == ["op@example.com"]
    assert "Ada Lovelace" in customer["text"]
    assert "Ada Lovelace" in operator["text"] and "Dear Ada" not in operator["text"]
    assert operator["subject"] == "Price approved: order PO-1001 can go into production"


def test_a_per_role_template_must_exist_and_be_sent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    _workflow(repo, lambda t: t["order_ready"].update(templates={"operator": "order-ready-operatr",
                                                                   "approver": "order-ready"}))
    code, problems = _validate(repo)
    assert code == 1
    got = {(p["code"], p["severity"]) for p in problems}
    assert ("missing-template", "error") in got and ("template-role-not-sent", "warning") in got
    missing = next(p for p in problems if p["code"] == "missing-template")
    assert "templates/order-ready-operatr/" in missing["message"]


@pytest.mark.parametrize("trigger", ["order_received_operator", "export_completed", "price_approved",
                                     "price_rejected"])
def test_every_shipped_trigger_that_reaches_operators_has_operator_wording(trigger: str) -> None:
    wf = yaml.safe_load((ROOT / "config" / "workflow.yaml").read_text(encoding="utf-8"))["triggers"]
    t = wf[trigger]
    assert "operator" in t["to"]
    template = (t.get("templates") or {}).get("operator", t["template"])
    meta = yaml.safe_load((ROOT / "templates" / template / "template.yaml").read_text(encoding="utf-8"))
    assert meta["audience"] == "operator"
    assert {p.stem for p in (ROOT / "templates" / template).glob("*.md")} == {"en", "de", "fr", "nl", "zh"}


def test_the_shipped_list_of_operator_triggers_is_complete() -> None:
    wf = yaml.safe_load((ROOT / "config" / "workflow.yaml").read_text(encoding="utf-8"))["triggers"]
    assert sorted(t for t, e in wf.items() if "operator" in e.get("to", ())) == [
        "export_completed", "order_received_operator", "price_approved", "price_rejected"]


def test_an_operators_own_copy_is_not_held_as_a_draft(tmp_path: Path) -> None:
    """price_rejected is reviewed before the customer gets it; the operators' notice is not."""
    repo = make_repo(tmp_path / "repo", port=2525)
    by_role = {m["role"]: m for m in _plan(build_bundle(repo), tmp_path, "price_rejected")}
    assert (by_role["customer"]["status"], by_role["operator"]["status"]) == ("draft", "sent")
    assert by_role["operator"]["rule"].endswith("edit_before_send: true, but an operator's own copy is "
                                                "sent as it is")
    assert by_role["operator"]["subject"] == "Price not approved: order PO-1001 is on hold"
