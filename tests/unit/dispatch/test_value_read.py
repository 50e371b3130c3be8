"""A value the filters cannot read (pages as a word) refuses the event only when an email of its
trigger reads that value: the shipped order_accepted emails never name job.pages, so such an
event is sent; order_received_operator prints the pages, so it is refused at the field. validate
judges a sample order by the same rule, so what it lets through, dispatch sends."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailgitops import bundle as bundle_mod
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.value_types import read_by
from mailgitops.errors import MailgitopsError
from mailgitops.validate import validate_repo
from support.dispatchrepo import ROOT, sample_event


@pytest.fixture
def dispatcher(tmp_path: Path) -> Any:
    disp = Dispatcher(bundle_mod.load(ROOT / "bundle" / "mailgitops.bundle.json"),
                      open_outbox(str(tmp_path / "o.sqlite")), delivery="redirect:qa@druckhaus-nord.de")
    yield disp
    disp.close()


def _event(trigger: str, pages: object) -> dict[str, Any]:
    ev = copy.deepcopy(sample_event("flyers", trigger=trigger, event_id=f"pages-{trigger}"))
    ev["order"]["jobs"][0]["pages"] = pages
    return ev


def test_a_value_no_email_of_the_trigger_reads_does_not_refuse_the_event(dispatcher: Any) -> None:
    out = dispatcher.handle(_event("order_accepted", "two"), deliver=False)
    assert [m["status"] for m in out.messages] == ["queued"]  # accepted: the email goes out
    assert dispatcher.outbox.get_event("pages-order_accepted") is not None


def test_a_value_an_email_of_the_trigger_reads_refuses_it_at_its_field(dispatcher: Any) -> None:
    with pytest.raises(MailgitopsError) as got:
        dispatcher.handle(_event("order_received_operator", "two"), deliver=False)
    said = "\n".join(d.message for d in got.value.diagnostics)
    assert '$.order.jobs[0].pages: `job.pages` must be a whole number such as 500, not "two"' in said
    assert dispatcher.outbox.get_event("pages-order_received_operator") is None  # nothing queued


def test_a_use_under_another_loop_name_counts() -> None:
    assert "job.pages" in read_by(["{% for j in order.jobs %}{{ j.pages | number }}{% endfor %}"])
    assert "job.pages" in read_by(["{{ job['pages'] }}"])
    assert "job.pages" not in read_by(["{{ job.copies | number }} pages? {{ order.number }}"])


def _repo_with_sample(tmp_path: Path, trigger: str) -> Path:
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, root / part)
    sample = root / "config/samples/flyers.yaml"
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    data["trigger"] = trigger
    data["order"]["jobs"][0]["pages"] = "two"
    sample.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.parametrize(("trigger", "refused"), [("order_accepted", False),
                                                  ("order_received_operator", True)])
def test_validate_judges_a_sample_as_dispatch_judges_the_event(tmp_path: Path, dispatcher: Any,
                                                               trigger: str, refused: bool) -> None:
    root = _repo_with_sample(tmp_path, trigger)
    found = [d for d in validate_repo(root).diagnostics if d.code == "wrong-value"]
    lines = (root / "config/samples/flyers.yaml").read_text(encoding="utf-8").splitlines()
    if refused:
        [d] = found
        assert d.file == "config/samples/flyers.yaml" and lines[d.line - 1][d.col - 1:] == "two"
        assert d.message.startswith("`job.pages` must be a whole number such as 500")
    else:
        assert found == []
    event = yaml.safe_load((root / "config/samples/flyers.yaml").read_text(encoding="utf-8"))
    try:
        dispatcher.handle(event, deliver=False)
        dispatched = True
    except MailgitopsError:
        dispatched = False
    assert dispatched is not refused  # validate and dispatch agree


def test_a_sample_value_that_breaks_the_emails_is_named_once_at_its_line(tmp_path: Path) -> None:
    """The sample is the cause: its line, not one render error per template and language."""
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, root / part)
    sample = root / "config/samples/flyers.yaml"
    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    data["trigger"] = "order_received"  # its emails print order.submitted_at with the datetime filter
    data["order"]["submitted_at"] = "2026-11-20T09:30:00"  # no UTC offset
    sample.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    errors = [d for d in validate_repo(root).diagnostics if d.severity == "error"]
    assert [(d.file, d.code) for d in errors] == [("config/samples/flyers.yaml", "wrong-value")], errors
    assert "it has no UTC offset" in errors[0].message
