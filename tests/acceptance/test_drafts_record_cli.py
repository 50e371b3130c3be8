"""Every way a draft is edited leaves its line in the change record: `mailgitops drafts edit`
changed a subject and body with no trace, and the console's "original", taken at the first console
edit, already held them (an operator's walk)."""

from __future__ import annotations

import json
from pathlib import Path

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, sample_event, write_event


def _draft(tmp_path: Path, event_id: str) -> tuple[Path, str, int]:
    """A quotation held as a draft, dispatched through the CLI: (bundle, outbox, the draft's id)."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=9))
    ob = str(tmp_path / "o.sqlite")
    event = write_event(tmp_path, sample_event("flyers", trigger="quotation", event_id=event_id))
    out = json.loads(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", ob,
                         "--attachments-root", str(SAMPLES / "files"),
                         env={"MAILGITOPS_DELIVERY": "production"}).stdout)
    [draft_id] = [m["draft_id"] for m in out["messages"] if m["draft_id"]]
    return bundle, ob, draft_id


def test_an_edit_from_the_command_line_is_in_the_change_record(tmp_path: Path) -> None:
    bundle, ob, draft_id = _draft(tmp_path, "cli-edit-1")
    before = json.loads(cli("drafts", "show", str(draft_id), "--outbox", ob).stdout)
    edited = cli("drafts", "edit", str(draft_id), "--subject", "Revised by phone", "--bundle", str(bundle),
                 "--outbox", ob)
    assert edited.returncode == 0, edited.stderr
    shown = json.loads(cli("drafts", "show", str(draft_id), "--outbox", ob).stdout)
    [line] = shown["history"]
    assert line["what"] == "edited" and line["fields"] == ["subject"]
    assert line["who"].endswith("(command line)")
    assert shown["original"]["subject"] == before["subject"] != "Revised by phone"


def test_a_cc_written_with_a_name_on_the_command_line_is_kept_as_its_address(tmp_path: Path) -> None:
    bundle, ob, draft_id = _draft(tmp_path, "cli-cc-1")
    edited = cli("drafts", "edit", str(draft_id), "--cc", "Boss <boss@example.net>", "--cc", "a@example.org",
                 "--bundle", str(bundle), "--outbox", ob)
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["cc"] == ["boss@example.net", "a@example.org"]
    assert ("note: --cc 'Boss <boss@example.net>': the CC keeps boss@example.net without the name"
            in edited.stderr)
