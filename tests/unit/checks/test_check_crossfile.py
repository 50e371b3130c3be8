"""crossfile: who a trigger may send to, and the shipped repository passing every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops import catalog
from mailgitops.checks import crossfile
from mailgitops.checks.crossfile import allowed_roles
from mailgitops.repo import load_repo


@pytest.mark.parametrize(
    ("trigger", "roles"),
    [
        ("order_accepted", {"customer", "operator"}),
        ("price_approval", {"customer", "operator", "approver"}),
        ("export_completed", {"operator"}),
        ("budget_threshold", {"customer", "operator", "approver"}),
    ],
)
def test_allowed_roles(trigger: str, roles: set[str]) -> None:
    assert allowed_roles(catalog.triggers()[trigger]) == roles


def test_missing_language_names_the_file(repo_copy: Path) -> None:
    (repo_copy / "templates/quotation/nl.md").unlink()
    diags = [d for d in crossfile.check(load_repo(repo_copy)) if d.code == "missing-language"]
    assert [(d.file, d.message.split(" ")[0]) for d in diags] == [
        ("templates/quotation/template.yaml", "templates/quotation/nl.md")]


def test_unknown_trigger_suggests_the_catalog_id(repo_copy: Path) -> None:
    wf = repo_copy / "config/workflow.yaml"
    wf.write_text(wf.read_text().replace("  order_ready:\n", "  order_redy:\n"))
    [d] = [d for d in crossfile.check(load_repo(repo_copy)) if d.code == "unknown-trigger"]
    assert d.hint is not None and d.hint.startswith("did you mean `order_ready`?")


def test_a_new_trigger_not_in_the_catalog_is_told_where_triggers_are_declared(repo_copy: Path) -> None:
    """`proof_reminder` was told only "did you mean `proof_ready`?": an admin adding a trigger of
    the print room's own was led to rename it to another (an admin's walk)."""
    wf = repo_copy / "config/workflow.yaml"
    added = "triggers:\n  proof_reminder:\n    template: proof-ready\n"
    wf.write_text(wf.read_text().replace("triggers:\n", added, 1))
    [d] = [d for d in crossfile.check(load_repo(repo_copy)) if d.code == "unknown-trigger"]
    assert d.hint is not None
    assert "If `proof_reminder` is a new trigger of the print room's own, declare it under `triggers:` in " \
           "config/catalog.yaml" in d.hint


def test_a_repository_without_any_layout_fails_validation(repo_copy: Path) -> None:
    """`render` cannot compile a template without its layout, so `validate` must not pass it."""
    for mjml in (repo_copy / "templates/_layouts").glob("*.mjml"):
        mjml.unlink()
    found = [d for d in crossfile.check(load_repo(repo_copy)) if d.code == "unknown-layout"]
    assert {d.file for d in found} == {f"templates/{p.name}/template.yaml"
                                       for p in (repo_copy / "templates").iterdir()
                                       if p.is_dir() and not p.name.startswith("_")}
    assert all("templates/_layouts/default.mjml" in (d.hint or "") for d in found)

