"""A draft record changed by hand (in SQL) is one marked line in the console, not an error page
in place of every draft: the inbox and the deliveries list the good drafts and mark the damaged
one with what is wrong and the fix; its own page and its Send refuse it, and nothing is sent;
the waiting-drafts digest counts and names it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from starlette.testclient import TestClient

from mailgitops.console.accounts import Accounts
from mailgitops.console.notice import check
from support.console import ConsoleRig, csrf_of
from support.smtpd import SmtpServer

SAID = "the draft stored for outbox message {id} ({mid}) is damaged: `markdown` is missing"
FIX = "put the row&#39;s draft_json back from a backup of the outbox"


def _damaged(rig: ConsoleRig, tmp_path: Path) -> tuple[int, int, int, str]:
    """Two good drafts and a third whose draft_json lost its `markdown` key by hand."""
    good1, good2 = rig.draft("q-1"), rig.draft("q-2", order_number="PO-2002")
    bad = rig.draft("q-3", order_number="PO-3003")
    with sqlite3.connect(tmp_path / "outbox.sqlite") as db:
        db.execute("UPDATE messages SET draft_json = json_remove(draft_json, '$.markdown') WHERE id=?",
                   (bad,))
        (mid,) = db.execute("SELECT message_id FROM messages WHERE id=?", (bad,)).fetchone()
    db.close()
    return good1, good2, bad, SAID.format(id=bad, mid=mid).replace("<", "&lt;").replace(">", "&gt;")


def test_inbox_lists_the_good_drafts_and_marks_the_damaged_one(rig: ConsoleRig, signed_in: TestClient,
                                                                tmp_path: Path) -> None:
    good1, good2, bad, said = _damaged(rig, tmp_path)
    page = signed_in.get("/")
    assert page.status_code == 200
    assert "<title>Drafts (3) · mailgitops</title>" in page.text  # still a waiting draft row
    listed = re.findall(r'<td><a href="/draft/(\d+)">(PO-[^<]+)</a></td>', page.text)
    assert sorted(listed) == sorted([(str(good1), "PO-1001"), (str(good2), "PO-2002")])
    damaged_row = re.search(r'<tr class="damaged">(.*?)</tr>', page.text, re.S)
    assert damaged_row, page.text
    assert f'href="/draft/{bad}"' in damaged_row.group(1)
    assert "Damaged draft" in damaged_row.group(1)
    assert said in damaged_row.group(1)
    assert FIX in damaged_row.group(1)
    assert "PO-3003" not in page.text  # nothing is read from the damaged record

    deliveries = signed_in.get("/deliveries")
    assert deliveries.status_code == 200
    assert said in deliveries.text
    assert f'<a href="/draft/{good1}">' in deliveries.text


def test_the_damaged_drafts_page_and_send_refuse_it_and_send_nothing(
        rig: ConsoleRig, signed_in: TestClient, tmp_path: Path, sink: SmtpServer) -> None:
    good1, _, bad, said = _damaged(rig, tmp_path)
    page = signed_in.get(f"/draft/{bad}")
    assert page.status_code == 422
    assert said in page.text
    assert FIX in page.text
    token = csrf_of(signed_in.get(f"/draft/{good1}").text)
    for action in ("send", "discard", "save"):
        resp = signed_in.post(f"/draft/{bad}/{action}", data={"csrf": token, "confirm": "yes", "version": "x",
                                                             "subject": "s", "message": "m"})
        assert resp.status_code == 422, action
        assert said in resp.text
    row = rig.service.dispatcher().outbox.get(bad)
    assert row is not None
    assert row.status == "draft"
    assert sink.messages == []
    assert signed_in.get(f"/draft/{good1}").status_code == 200


def test_the_digest_counts_and_names_the_damaged_draft(rig: ConsoleRig, tmp_path: Path,
                                                        sink: SmtpServer) -> None:
    _, _, bad, _ = _damaged(rig, tmp_path)
    accounts = Accounts(rig.settings.operators_path)
    try:
        assert check(rig.service, rig.settings, accounts) is not None
    finally:
        accounts.close()
    rig.service.dispatcher().sender.flush()
    [digest] = sink.messages
    assert digest.message["Subject"] == "3 drafts waiting for review"
    body = digest.message.get_body(("plain",)).get_content()
    assert "PO-1001" in body
    assert "PO-2002" in body
    assert f"damaged draft (outbox message {bad}): `markdown` is missing" in body
