"""A new admin's slips, each answered with the fix that works. First: a trigger's setting moved left
by the indentation of one level reads, to YAML, as a trigger of
that name: the message says which trigger it belongs under, and what was written (`false`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mailgitops.validate import validate_repo
from support.dispatchrepo import ROOT


def test_a_setting_outdented_is_named_as_such_with_the_trigger_it_belongs_to(tmp_path: Path) -> None:
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    wf = tmp_path / "config/workflow.yaml"
    after = "\n  order_received_operator:"
    text = wf.read_text(encoding="utf-8")
    wf.write_text(text.replace("    edit_before_send: false" + after, "  edit_before_send: false" + after),
                  encoding="utf-8")
    found = {d.code: d for d in validate_repo(tmp_path, workers=1).errors}
    slip = found["unknown-trigger"]
    assert slip.message.startswith("`edit_before_send` is a trigger's setting, not a trigger")
    assert "indent it under the trigger above (`order_received`)" in (slip.hint or "")
    assert found["wrong-type"].message.endswith("got boolean `false`")  # as YAML writes it, not False


def test_an_offset_for_the_time_zone_is_answered_with_a_place_not_quotes(tmp_path: Path) -> None:
    """Quoted as the YAML hint said, `"+01:00"` was refused again as no zone name."""
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    wf = tmp_path / "config/workflow.yaml"
    wf.write_text(re.sub(r"(?m)^timezone: .*$", "timezone: +01:00", wf.read_text(encoding="utf-8")),
                  encoding="utf-8")
    [found] = validate_repo(tmp_path, workers=1).errors
    assert found.code == "yaml-ambiguous" and "Europe/Berlin" in (found.hint or "")
    assert "quote" not in (found.hint or "")


@pytest.mark.parametrize(("written", "hint"), [
    ("5", "write a list, in brackets, of: customer, operator, approver (e.g. [customer])"),
    ("customer", "write it as a list, in brackets: [customer]"),
])
def test_a_single_value_for_a_list_of_choices_names_the_choices(tmp_path: Path, written: str,
                                                                hint: str) -> None:
    """`to: 5` was told to write [5], which is no role either."""
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    wf = tmp_path / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("    to: [customer]", f"    to: {written}", 1),
                  encoding="utf-8")
    [found] = validate_repo(tmp_path, workers=1).errors
    assert found.code == "wrong-type" and found.hint == hint


def test_a_template_folder_named_in_capitals_gets_one_fix_not_two_that_disagree(tmp_path: Path) -> None:
    """`templates/Order-Ready/`: one error said to rename the folder, the trigger's said "did you
    mean `Order-Ready`?" and a warning to write `template: Order-Ready`, which no trigger can."""
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    (tmp_path / "templates/order-ready").rename(tmp_path / "templates/Order-Ready")
    found = validate_repo(tmp_path, workers=1).diagnostics
    fixes = [d.hint for d in found if d.code in ("missing-template", "bad-file-name", "unused-template")]
    assert fixes == ["the folder is named `Order-Ready`: rename it to templates/order-ready/",
                     "rename the folder templates/Order-Ready/ to templates/order-ready/"]


def test_a_setting_left_empty_says_how_to_fill_it_or_leave_it_out(tmp_path: Path) -> None:
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    wf = tmp_path / "config/workflow.yaml"
    text = wf.read_text(encoding="utf-8")
    wf.write_text(re.sub(r"(?m)^timezone: .*$", "timezone:", text), encoding="utf-8")
    [found] = validate_repo(tmp_path, workers=1).errors
    assert found.message == "expected text, got null"
    assert found.hint == ("write the value after the `:`, or delete the line for the default "
                          "(where there is one)")


def test_a_misspelt_end_tag_is_placed_on_its_own_line(tmp_path: Path) -> None:
    """`{% endfr %}` was placed at the `{% for %}` it was to close: the pull request's annotation
    marked a line it did not change, and not the edited one (a reviewer's walk)."""
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    nl = tmp_path / "templates/order-ready/nl.md"
    lines = nl.read_text(encoding="utf-8").split("\n")
    at = lines.index("{% endfor %}")
    lines[at] = "{% endfr %}"
    nl.write_text("\n".join(lines), encoding="utf-8")
    [found] = validate_repo(tmp_path, workers=1).errors
    assert (found.code, found.line, found.col) == ("jinja-syntax", at + 1, 4)
