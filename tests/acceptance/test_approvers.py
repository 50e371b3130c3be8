"""One answer to "who is the approver?" for dispatch, plan and the previews: the singular
`approver` the event schema allows counts as much as the `approvers` list."""

from __future__ import annotations

import email
import email.policy
import shutil
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

GRACE = {"name": "Grace Budget", "email": "grace@example.com", "language": "fr"}
BOB = {"name": "Bob Budget", "email": "budget@example.com", "language": "nl"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("approvers") / "repo", port=2525))


def _plan(bundle: Path, tmp: Path, **changes: Any) -> list[dict[str, Any]]:
    event = sample_event("flyers", trigger="price_approval", event_id="evt-approver", **changes)
    event.pop("approvers") if "approvers" not in changes else None
    got = outcome(cli("plan", "--bundle", str(bundle), "--event", str(write_event(tmp, event)),
                      "--attachments-root", str(SAMPLES / "files"), "--out", str(tmp / "out")))
    messages: list[dict[str, Any]] = got["messages"]
    for m in messages:
        m["text"] = Path(m["files"]["text"]).read_text(encoding="utf-8")
    return messages


def test_a_singular_approver_gets_the_message_and_is_greeted(bundle: Path, tmp_path: Path) -> None:
    (m,) = _plan(bundle, tmp_path, approver=GRACE)
    assert (m["role"], m["to"], m["status"]) == ("approver", ["grace@example.com"], "sent")
    assert m["language"]["used"] == "fr"
    assert "Grace Budget" in m["text"]


def test_approver_and_approvers_together_each_get_one_message(bundle: Path, tmp_path: Path) -> None:
    msgs = _plan(bundle, tmp_path, approver=GRACE, approvers=[BOB, {**GRACE, "email": "GRACE@example.com"}])
    assert [m["to"] for m in msgs] == [["grace@example.com"], ["budget@example.com"]]
    assert "Grace Budget" in msgs[0]["text"] and "Bob Budget" in msgs[1]["text"]


def test_the_preview_goes_to_the_same_approver_dispatch_would_pick(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, repo / part)
    for name in ("flyers", "business-cards"):
        path = repo / "config" / "samples" / f"{name}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.pop("approvers", None)
        data["approver"] = GRACE
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    proc = cli("render", "--root", str(repo), "--out", str(out), "--template", "price-approval",
               "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    msg = email.message_from_bytes((out / "price-approval" / "en.eml").read_bytes(),
                                   policy=email.policy.default)
    assert msg["To"] == "Grace Budget <grace@example.com>"
    assert "Dear Grace Budget" in (out / "price-approval" / "en.txt").read_text(encoding="utf-8")
