"""One draft record changed by hand (in SQL) no longer hides every other draft and message: the
listings (`outbox list`, `drafts list`) show all rows, the damaged one marked with what is wrong
and the fix, while a command on that one row (`drafts show`, `drafts discard`) still refuses it
by name, exit 1, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from mailgitops.dispatch.draft_shape import DAMAGED_HINT, Draft
from mailgitops.dispatch.outbox import NewMessage, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import cli

# how a hand edit breaks a record, as SQL per backend; the words the error then uses
DAMAGE: dict[str, tuple[str, str, str]] = {
    "markdown-removed": ("UPDATE messages SET draft_json = json_remove(draft_json, '$.markdown') WHERE id=?",
                         "UPDATE messages SET draft_json = draft_json - 'markdown' WHERE id = %s",
                         "`markdown` is missing"),
    "not-json": ("UPDATE messages SET draft_json = '{\"subject\": \"Your quo' WHERE id = ?",
                 # JSONB holds only JSON: the nearest a hand edit gets is a value that is no object
                 "UPDATE messages SET draft_json = '\"Your quotation\"'::jsonb WHERE id = %s",
                 "it is not JSON"),
}
NOT_JSON_PG = "`draft` must be a JSON object"


def _drafts(location: str) -> list[int]:
    """Three drafts waiting for an operator, as the dispatcher holds them."""
    ob = open_outbox(location)
    try:
        ids = []
        for n in (1, 2, 3):
            draft = Draft(f"Your quotation PO-100{n}", f"Dear customer {n},\n", ("print@example.com", None),
                          ((f"Customer {n}", f"c{n}@example.org"),), order_number=f"PO-100{n}")
            msg = NewMessage("customer", "en", "quotation", f"<d{n}@example.com>", "print@example.com",
                             (f"c{n}@example.org",), (), None, draft, "draft")
            ids += ob.record_event(StoredEvent(f"e{n}", "h", "b", [{"row": 0}]), [msg])
        return ids
    finally:
        ob.close()


def _damage(location: str, row_id: int, how: str) -> str:
    """Edit the row's draft_json by hand, in SQL; the reason the error gives for it."""
    sqlite_sql, pg_sql, reason = DAMAGE[how]
    if location.startswith("postgresql"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            assert conn.execute(pg_sql, (row_id,)).rowcount == 1
        return NOT_JSON_PG if how == "not-json" else reason
    with sqlite3.connect(location) as db:
        assert db.execute(sqlite_sql, (row_id,)).rowcount == 1
    db.close()
    return reason


def _json(*args: str) -> Any:
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("how", list(DAMAGE))
def test_listings_show_every_row_and_mark_the_damaged_one(outbox_location: str, how: str) -> None:
    good1, good2, bad = _drafts(outbox_location)
    reason = _damage(outbox_location, bad, how)
    said = f"the draft stored for outbox message {bad} (<d3@example.com>) is damaged: {reason}"

    listed = _json("outbox", "list", "--outbox", outbox_location)
    rows = {m["id"]: m for m in listed["messages"]}
    assert sorted(rows) == [good1, good2, bad]
    assert rows[bad]["draft_damaged"]["error"].startswith(said)
    assert rows[bad]["draft_damaged"]["hint"] == DAMAGED_HINT
    # its own columns still show: the operator finds the row by its id and Message-ID
    assert (rows[bad]["message_id"], rows[bad]["to"], rows[bad]["status"]) == (
        "<d3@example.com>", ["c3@example.org"], "draft")
    assert rows[bad]["created_at"] is not None
    assert rows[good1]["draft_damaged"] is None
    assert rows[good2]["draft_damaged"] is None
    only_drafts = _json("outbox", "list", "--status", "draft", "--outbox", outbox_location)
    assert only_drafts["counts"]["draft"] == 3  # still a draft row: the count stays true
    assert len(only_drafts["messages"]) == 3

    waiting = {d["id"]: d for d in _json("drafts", "list", "--outbox", outbox_location)}
    assert sorted(waiting) == [good1, good2, bad]
    assert waiting[good1]["subject"] == "Your quotation PO-1001"
    assert waiting[good2]["subject"] == "Your quotation PO-1002"
    assert waiting[bad]["subject"] is None  # nothing invented from a record that cannot be read
    assert waiting[bad]["draft_damaged"]["error"].startswith(said)
    assert waiting[bad]["status"] == "draft"

    for command in ("show", "discard"):
        proc = cli("drafts", command, str(bad), "--outbox", outbox_location)
        assert proc.returncode == 1, proc.stderr
        assert said in proc.stderr
        assert "put the row's draft_json back from a backup" in proc.stderr
        assert "Traceback" not in proc.stderr
    shown = _json("drafts", "show", str(good1), "--outbox", outbox_location)
    assert shown["markdown"] == "Dear customer 1,\n"
    ob = open_outbox(outbox_location)
    try:
        row = ob.get(bad)
        assert row is not None
        assert row.status == "draft"  # the refused discard changed nothing
    finally:
        ob.close()
