"""Upgrading with mail in flight: an outbox a mailgitops from before schema versions wrote, then
migrated; and that older mailgitops rolled back onto the migrated file."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch import outbox_schema
from mailgitops.dispatch.outbox import iso
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

_V1_INSERT = ("INSERT INTO messages (event_id, role, lang, template_id, message_id, envelope_from, to_json,"
              " cc_json, rcpts_json, raw, status, next_attempt_at, created_at, updated_at)"
              " VALUES (?,'customer','en','order-dispatched',?,'printroom@example.com',"
              "?,?,?,?,'queued',0,?,?)")
_RAW = (b"From: Print Room <printroom@example.com>\r\nTo: ada@example.org\r\nCc: archive@example.com\r\n"
        b"Subject: Your order is on its way\r\nMessage-ID: <old-1@example.com>\r\n\r\nHello Ada.\r\n")


def _insert_as_version_1(db: sqlite3.Connection, event_id: str, message_id: str) -> None:
    """What the dispatcher of 2026-11-27 (3dc8d0b) writes for one queued message: no
    per-recipient record, no checksum, no lease owner; it knows none of those columns."""
    now = time.time()
    db.execute("INSERT INTO events VALUES (?, 'h', 'b', '[]', ?)", (event_id, now))
    db.execute(_V1_INSERT, (event_id, message_id, json.dumps(["ada@example.org"]),
                            json.dumps(["archive@example.com"]),
                            json.dumps(["ada@example.org", "archive@example.com"]), _RAW, now, now))


def _version_1_outbox(path: Path, event_id: str, message_id: str) -> sqlite3.Connection:
    """A version 1 outbox at `path` holding one queued message, as the 2026-11-27 release made
    it; the connection stays open for the test to change the row further."""
    db = sqlite3.connect(path)
    db.executescript(outbox_schema._V1)
    _insert_as_version_1(db, event_id, message_id)
    return db


@pytest.fixture(scope="module")
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer().start()
    yield srv
    srv.stop()


def test_a_queued_version_1_message_is_sent_once_after_migrate_with_its_message_id(
        server: SmtpServer, tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    db = _version_1_outbox(path, "e1", "<old-1@example.com>")
    db.commit()
    db.close()
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    env = {"MAILGITOPS_DELIVERY": "production"}
    refused = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path), env=env)
    assert refused.returncode == 75
    assert "outbox migrate" in refused.stderr
    assert "Traceback" not in refused.stderr
    # the order system's events between installing and migrating: kept by it (75), none stored
    event = write_event(tmp_path, sample_event(event_id="during-upgrade"))
    waiting = cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", str(path), env=env)
    assert waiting.returncode == 75, waiting.stderr
    assert "outbox migrate" in waiting.stderr
    first = outcome(cli("outbox", "migrate", "--outbox", str(path)))
    assert (first["changed"], first["backup"]) == (True, f"{path}.before-migrate-v1")
    second = outcome(cli("outbox", "migrate", "--outbox", str(path)))
    assert (second["changed"], second["backup"]) == (False, None)
    assert sorted(p.name for p in tmp_path.glob("outbox.sqlite.*")) == ["outbox.sqlite.before-migrate-v1"]
    # the copy is the file as the old version left it: what a rollback restores
    copy = sqlite3.connect(first["backup"])
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 0
    assert copy.execute("SELECT message_id, status FROM messages").fetchall() == [
        ("<old-1@example.com>", "queued")]
    copy.close()
    before = len(server.messages)
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path), env=env)
    assert flushed.returncode == 0, flushed.stderr
    assert json.loads(flushed.stdout)["sent"] == 1
    again = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path), env=env)
    assert json.loads(again.stdout)["sent"] == 0
    got = server.messages[before:]
    assert len(got) == 1
    assert b"Message-ID: <old-1@example.com>" in got[0].data
    [row] = open_outbox(str(path)).rows()
    assert row.status == "sent"
    assert {r["address"]: r["result"] for r in row.recipients} == {
        "ada@example.org": "accepted", "archive@example.com": "accepted"}


def test_a_row_an_older_mailgitops_left_in_a_migrated_outbox_is_recorded_as_the_server_answered(
        server: SmtpServer, tmp_path: Path) -> None:
    # an old process still running after `outbox migrate` (or rolled back before the guard existed)
    # wrote a row without recipients; a server's 250 for it was recorded as `failed`
    path = tmp_path / "outbox.sqlite"
    open_outbox(str(path)).close()
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER messages_from_older_mailgitops")  # as on a file migrated before it
    _insert_as_version_1(db, "e2", "<old-2@example.com>")
    db.commit()
    db.close()
    listed = outcome(cli("outbox", "list", "--outbox", str(path)))
    [shown] = listed["messages"]
    assert [r["address"] for r in shown["recipients"]] == ["ada@example.org", "archive@example.com"]
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path),
                  env={"MAILGITOPS_DELIVERY": "production"})
    assert json.loads(flushed.stdout)["sent"] == 1, flushed.stdout
    [row] = open_outbox(str(path)).rows()
    assert (row.status, row.last_error) == ("sent", None)


def test_an_older_mailgitops_rolled_back_onto_a_migrated_outbox_cannot_accept_mail(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    open_outbox(str(path)).close()
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="migrated by a newer mailgitops"):
        _insert_as_version_1(db, "e3", "<old-3@example.com>")
    db.rollback()
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    db.close()
    # reopening (and migrating an old file) brings the guard back
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER messages_from_older_mailgitops")
    db.commit()
    db.close()
    open_outbox(str(path)).close()
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError):
        _insert_as_version_1(db, "e4", "<old-4@example.com>")
    db.close()


FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outbox-26a7483.sqlite"


def test_an_outbox_made_by_the_release_of_2026_11_28_keeps_its_drafts_and_queue(
        server: SmtpServer, tmp_path: Path) -> None:
    # made once by 26a7483 itself (dispatch and drafts edit): a quotation draft as made, one the
    # operator edited ("Revised quotation"), and an order_dispatched email queued while the
    # server was down
    before = len(server.messages)
    path = tmp_path / "outbox.sqlite"
    shutil.copy(FIXTURE, path)
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    drafts = {d["id"]: d for d in outcome(cli("drafts", "list", "--outbox", str(path)))}
    assert {i: (d["subject"], d["draft_damaged"]) for i, d in drafts.items()} == {
        3: ("Preisangebot für Ihren Auftrag PO-1001", None), 4: ("Revised quotation", None)}
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    env = {"MAILGITOPS_DELIVERY": "production"}
    common = ("--bundle", str(bundle), "--outbox", str(path))
    outcome(cli("drafts", "edit", "3", "--subject", "Ihr Angebot, überarbeitet", *common, env=env))
    for draft in ("3", "4", "4"):  # the second send of 4 sends nothing
        outcome(cli("drafts", "send", draft, *common, env=env))
    flushed = cli("outbox", "flush", *common, env=env)
    assert flushed.returncode == 0, flushed.stderr
    got = {m.message_id: m for m in server.messages[before:]}
    rows = {r.id: r for r in open_outbox(str(path)).rows()}
    assert {r.status for r in rows.values()} == {"sent"}
    assert sorted(got) == sorted(r.message_id for r in rows.values())  # each once, its own Message-ID
    assert len(server.messages) - before == 3
    subject = {i: email.message_from_bytes(got[r.message_id].data, policy=email.policy.default)["Subject"]
               for i, r in rows.items()}
    assert (subject[3], subject[4]) == ("Ihr Angebot, überarbeitet", "Revised quotation")


def test_flush_says_when_a_message_a_killed_older_version_left_sending_goes_again(
        server: SmtpServer, tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    db = _version_1_outbox(path, "e5", "<old-5@example.com>")
    lease_until = time.time() + 900  # the older version's 15-minute lease, then kill -9
    db.execute("UPDATE messages SET status='sending', worker='4242-ab', lease_until=?, attempts=1",
               (lease_until,))
    db.commit()
    db.close()
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path),
                  env={"MAILGITOPS_DELIVERY": "production"})
    assert flushed.returncode == 75, flushed.stderr
    [waiting] = json.loads(flushed.stdout)["waiting_messages"]
    assert waiting["status"] == "sending"
    assert waiting["next_attempt_at"] == iso(lease_until)  # was null: it looked stuck for good
    assert "before 2026-11-30" in waiting["reason"]
    assert "sent again when its lease ends" in waiting["reason"]
