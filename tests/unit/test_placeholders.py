"""The example addresses a new repository ships with are named before going live, wherever they
are kept, and real addresses are not: by validate at each one's line (a warning: the repository
still validates), by `smtp check` and serve's start, through one list and in one wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mailgitops.bundle import settings_of
from mailgitops.cli.main import cli
from mailgitops.placeholders import found, reserved, warning
from mailgitops.repo import load_repo


@pytest.mark.parametrize(("address", "is_example"), [
    ("archive@example.com", True), ("a@EXAMPLE.ORG", True), ("x@mail.example.net", True),
    ("a@shop.example", True), ("a@printroom.test", True), ("a@nowhere.invalid", True),
    ("archive@druckhaus-nord.de", False), ("a@example.com.au", False), ("a@myexample.com", False),
    ("a@examples.com", False),
])
def test_reserved_domains(address: str, is_example: bool) -> None:
    assert reserved(address) is is_example


def test_the_shipped_repository_names_each_example_where_it_is(repo_copy: Path) -> None:
    shop = repo_copy / "config/webshops/campus.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("campus@example.com", "campus@uni-nord.de"),
                    encoding="utf-8")
    places = {p.where: p.address for p in found(settings_of(load_repo(repo_copy).repo))}
    assert places["config/smtp.yaml sender.address"] == "printroom@example.com"
    assert places["config/smtp.yaml cc"] == "archive@example.com"
    assert places["config/workflow.yaml triggers.budget_threshold.cc"] == "controlling@example.com"
    assert not any(w.startswith("config/webshops/campus.yaml") for w in places)  # a real address is not named


def validate(root: Path, *extra: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", "json", *extra])
    return result.exit_code, json.loads(result.output[result.output.index("["):])


def _edit(path: Path, change: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_validate_warns_at_each_example_address_and_still_passes(repo_copy: Path) -> None:
    smtp = repo_copy / "config/smtp.yaml"
    two = 'cc: "archive@druckhaus-nord.de; records@example.net"'
    text = smtp.read_text(encoding="utf-8")
    smtp.write_text(text.replace('cc: "archive@example.com"', two), encoding="utf-8")
    code, diags = validate(repo_copy)
    assert code == 0  # a warning: CI passes until the print room goes live
    got = {(d["file"], d["line"], d["col"], d["severity"]) for d in diags if d["code"] == "example-address"}
    assert got == {("config/smtp.yaml", 5, 12, "warning"),  # sender.address
                   ("config/smtp.yaml", 7, 33, "warning"),  # the second of two addresses in one text
                   ("config/webshops/campus.yaml", 4, 12, "warning"),
                   ("config/webshops/campus.yaml", 6, 11, "warning"),
                   ("config/workflow.yaml", 89, 10, "warning")}
    cc = next(d for d in diags if d["line"] == 7 and d["file"] == "config/smtp.yaml")
    assert cc["message"] == ("example address `records@example.net` (a domain reserved for examples, where "
                             "no mail arrives) still in the settings")
    assert cc["hint"] == "put the print room's own address there before going live"
    assert validate(repo_copy, "--strict")[0] == 1


def test_validate_and_the_start_of_sending_name_the_same_addresses(repo_copy: Path) -> None:
    """One list: what validate names in the pull request is what smtp check and serve name later,
    a trigger's bcc and a webshop's cc list included."""
    _edit(repo_copy / "config/webshops/staff.yaml", {"cc": ["staff-archive@example.org", "hr@uni-nord.de"]})
    wf = repo_copy / "config/workflow.yaml"
    data = yaml.safe_load(wf.read_text(encoding="utf-8"))
    data["triggers"]["order_ready"]["bcc"] = "records@example.net"
    wf.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code, diags = validate(repo_copy)
    assert code == 0
    named = sorted((str(d["file"]), str(d["message"]).split("`")[1]) for d in diags
                   if d["code"] == "example-address")
    settings = settings_of(load_repo(repo_copy).repo)
    assert named == sorted((p.file, p.address) for p in found(settings))
    assert ("config/webshops/staff.yaml", "staff-archive@example.org") in named
    assert ("config/workflow.yaml", "records@example.net") in named
    lines = warning(settings)
    assert lines[0].startswith(f"{len(named)} example addresses (domains reserved for examples, where no "
                               "mail arrives) still in the settings; put the print room's own address there")
    assert "  config/workflow.yaml triggers.order_ready.bcc: records@example.net" in lines


def test_a_repository_made_its_own_has_no_example_warning(repo_copy: Path) -> None:
    for f in [*(repo_copy / "config").glob("*.yaml"), *(repo_copy / "config/webshops").glob("*.yaml")]:
        text = f.read_text(encoding="utf-8")
        own = text.replace("@example.com", "@druckhaus-nord.de")  # the addresses, and the order link
        f.write_text(own.replace("print.example.com", "druckhaus-nord.de"), encoding="utf-8")
    assert validate(repo_copy, "--strict") == (0, [])
    assert warning(settings_of(load_repo(repo_copy).repo)) == []
