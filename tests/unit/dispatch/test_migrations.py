"""Versioned outbox schema: an older file is refused until `outbox migrate`, a newer one always."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from mailgitops.dispatch import outbox_schema
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.errors import MailgitopsError
from support.dispatchrepo import cli, outcome


def _version_1_file(path: Path) -> None:
    """An outbox as mailgitops wrote it before schema versions: one sent, one refused copy."""
    db = sqlite3.connect(path)
    db.executescript(outbox_schema._V1)
    now = time.time()
    db.execute("INSERT INTO events VALUES ('e1', 'h', 'b', '[]', ?)", (now,))
    db.execute("INSERT INTO messages (event_id, role, lang, template_id, message_id, envelope_from, to_json,"
               " cc_json, rcpts_json, delivered_json, refused_json, raw, status, next_attempt_at, created_at,"
               " updated_at) VALUES ('e1','customer','en','t','<m@x>','p@x',?,?,'[]',?,?,?,'sent',?,?,?)",
               (json.dumps(["a@x.org"]), json.dumps(["cc@x.org"]), json.dumps(["a@x.org"]),
                json.dumps({"cc@x.org": "550 5.1.1 nope"}), b"raw bytes", now, now, now))
    db.commit()
    db.close()


def test_an_older_outbox_is_refused_until_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _version_1_file(path)
    with pytest.raises(MailgitopsError, match="schema version 1") as got:
        open_outbox(str(path))
    assert "mailgitops outbox migrate" in str(got.value.hint)
    listed = cli("outbox", "list", "--outbox", str(path))
    assert listed.returncode == 75  # nothing accepted; works once migrated
    assert "outbox migrate" in listed.stderr
    assert "Traceback" not in listed.stderr
    done = outcome(cli("outbox", "migrate", "--outbox", str(path)))
    assert (done["found_version"], done["version"], done["changed"]) == (1, outbox_schema.VERSION, True)
    ob = open_outbox(str(path))
    [row] = ob.rows()
    ob.close()
    assert row.sha256 is not None
    assert len(row.sha256) == 64
    by = {r["address"]: r for r in row.recipients}
    assert by["a@x.org"]["result"] == "accepted"
    assert (by["cc@x.org"]["result"], by["cc@x.org"]["code"]) == ("refused", 550)
    again = outcome(cli("outbox", "migrate", "--outbox", str(path)))
    assert again["changed"] is False


def test_an_outbox_from_a_newer_mailgitops_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    open_outbox(str(path)).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={outbox_schema.VERSION + 1}")
    db.commit()
    db.close()
    for args in (["outbox", "list"], ["outbox", "migrate"]):
        proc = cli(*args, "--outbox", str(path))
        assert proc.returncode == 75, proc.stderr
        assert "newer mailgitops" in proc.stderr, proc.stderr


def test_a_new_outbox_starts_at_the_current_version(tmp_path: Path) -> None:
    ob = open_outbox(str(tmp_path / "fresh.sqlite"))
    assert ob.migrated == (0, outbox_schema.VERSION)
    ob.close()


def test_a_migrated_outbox_keeps_each_message_s_bytes_apart_from_its_row(tmp_path: Path) -> None:
    # the claim and the record of each attempt rewrite the message's row: without its 10-30 KB
    # of bytes that row is small, and `outbox flush` writes a fraction of what it did
    path = tmp_path / "old.sqlite"
    _version_1_file(path)
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    db = sqlite3.connect(path)
    assert db.execute("SELECT raw FROM messages").fetchall() == [(None,)]
    assert db.execute("SELECT raw FROM raws").fetchall() == [(b"raw bytes",)]
    db.close()
    ob = open_outbox(str(path))
    [row] = ob.rows()
    assert ob.get(row.id) == row
    ob.close()
    assert row.raw == b"raw bytes"


def test_a_version_3_process_left_running_cannot_take_a_message_from_a_version_4_file(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    _version_1_file(path)
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET status='queued', next_attempt_at=0")
    db.commit()
    # the claim of the release of 2026-11-30 (schema 3), word for word: it names its lease holder
    # but does not count the claim, and would find no bytes in the row
    older_claim = ("UPDATE messages SET ambiguous = ambiguous + (status='sending'), status='sending',"
                   " lease_until=?, worker=?, attempts=attempts+1, updated_at=?,"
                   " lease_host=?, lease_pid=?, lease_started=? WHERE id IN (SELECT id FROM messages)")
    older = (time.time() + 900, "old", time.time(), "host", 1, 1.0)
    with pytest.raises(sqlite3.IntegrityError, match=r"newer mailgitops \(schema version 4\)"):
        db.execute(older_claim, older)
    db.rollback()
    # nor take over a message this version was sending when its lease ran out
    ob = open_outbox(str(path))
    [taken] = ob.claim(worker="new", lease_seconds=0.01, limit=10)
    ob.close()
    time.sleep(0.05)
    with pytest.raises(sqlite3.IntegrityError, match=r"newer mailgitops \(schema version 4\)"):
        db.execute(older_claim, older)
    db.rollback()
    assert db.execute("SELECT worker, status FROM messages").fetchone() == ("new", "sending")
    db.close()
    ob = open_outbox(str(path))  # this version takes it over: counted ambiguous, as any takeover
    [again] = ob.claim(worker="newer", lease_seconds=900, limit=10)
    ob.close()
    assert (again.id, again.ambiguous, again.raw) == (taken.id, 1, b"raw bytes")


def test_migrate_to_names_the_versions_it_can_go_back_to(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    open_outbox(str(path)).close()
    for to in ("2", str(outbox_schema.VERSION + 1)):
        proc = cli("outbox", "migrate", "--to", to, "--outbox", str(path))
        assert proc.returncode == 2, proc.stderr
        assert f"--to {to} is not a way back this version knows" in proc.stderr
        assert "--to goes back as far as schema version 3, never up" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert sorted(f.name for f in tmp_path.iterdir() if "before-migrate" in f.name) == []  # no copy made
    same = outcome(cli("outbox", "migrate", "--to", str(outbox_schema.VERSION), "--outbox", str(path)))
    assert (same["changed"], same["backup"]) == (False, None)
    missing = cli("outbox", "migrate", "--to", "3", "--outbox", str(tmp_path / "typo.sqlite"))
    assert missing.returncode == 1
    assert "there is no outbox at" in missing.stderr
    assert not (tmp_path / "typo.sqlite").exists()


def test_a_full_disk_during_migrate_names_the_disk_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    # SQLite ends the transaction itself when the disk fills; a ROLLBACK after that hid the cause
    # behind "cannot rollback - no transaction is active" and a hint about folders
    from mailgitops.dispatch.outbox_sqlite import unusable

    path = tmp_path / "old.sqlite"
    _version_1_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")  # not one page more: the disk is full
    with pytest.raises(sqlite3.OperationalError) as got:
        outbox_schema.prepare(db, str(path), migrate=True)
    db.close()
    assert "full" in str(got.value)
    said = unusable(str(path), got.value, "nothing was changed")
    assert said.exit_code == 75  # free space, and the next try works
    assert "the disk it is on is full" in str(said)
    assert "four times the outbox's size" in str(said.hint)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert outbox_schema.version(check) == 1
    check.close()


def test_two_migrations_at_once_migrate_and_copy_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "big.sqlite"
    _version_1_file(path)
    db = sqlite3.connect(path)
    row = db.execute("SELECT * FROM messages").fetchone()
    cols = [c[1] for c in db.execute("PRAGMA table_info(messages)")]
    body = b"x" * 20_000
    for i in range(1500):  # some 30 MB: the first migration takes a while
        values = dict(zip(cols, row, strict=True), id=None, message_id=f"<m{i}@x>", raw=body)
        db.execute(f"INSERT INTO messages ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                   list(values.values()))
    db.commit()
    db.close()
    cmd = [sys.executable, "-m", "mailgitops", "outbox", "migrate", "--outbox", str(path)]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.1)
    second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = [p.communicate(timeout=120) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), done
    said = [json.loads(out) for out, _ in done]
    assert sorted(s["changed"] for s in said) == [False, True]  # one migrated; the other waited for it
    assert [s["backup"] is None for s in said].count(True) == 1
    copies = sorted(f.name for f in tmp_path.iterdir() if "before-migrate" in f.name)
    assert copies == ["big.sqlite.before-migrate-v1"]


def test_an_outbox_taken_back_for_a_rollback_is_named_so_and_not_migrated_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    _version_1_file(path)
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    outcome(cli("outbox", "migrate", "--to", "3", "--outbox", str(path)))
    listed = cli("outbox", "list", "--outbox", str(path))
    assert listed.returncode == 75
    assert "was taken back to schema version 3 (`outbox migrate --to 3`) for a rollback" in listed.stderr
    assert "run the older mailgitops on it" in listed.stderr
    up = outcome(cli("outbox", "migrate", "--outbox", str(path)))  # going on with this version after all
    assert (up["found_version"], up["version"]) == (3, outbox_schema.VERSION)
    assert outcome(cli("outbox", "list", "--outbox", str(path)))["counts"]["sent"] == 1
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    refused = cli("outbox", "migrate", "--outbox", str(empty))
    assert refused.returncode == 1
    assert "is an empty file, not an outbox" in refused.stderr
    assert empty.stat().st_size == 0


def test_a_running_dispatcher_refuses_an_event_in_words_once_the_file_was_taken_back(tmp_path: Path) -> None:
    # a serve left running while the administrator runs `--to 3`: before its next look at the
    # schema, an event met "no such table: raws", SQLite's words, in the 503 and the journal
    from mailgitops.dispatch.outbox import NewMessage, StoredEvent
    from mailgitops.dispatch.outbox_backends import migrate

    path = str(tmp_path / "o.sqlite")
    ob = open_outbox(path)
    migrate(path, 3)
    message = NewMessage("customer", "en", "order-received", "<m@example.com>", "p@example.com",
                         ("a@example.org",), (), b"raw", None, "queued")
    with pytest.raises(MailgitopsError) as got:
        ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}]), [message])
    ob.close()
    assert got.value.exit_code == 75  # the order system keeps the event
    assert "was taken back to schema version 3" in str(got.value)
    assert "no such table" not in str(got.value)


def test_migrate_says_when_it_waits_for_another_process(tmp_path: Path) -> None:
    # a second `outbox migrate` (or a process not stopped first) holding the file: the migration
    # waited without a word, up to 10 minutes
    import select
    import subprocess
    import sys

    path = tmp_path / "o.sqlite"
    _version_1_file(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    cmd = [sys.executable, "-m", "mailgitops", "outbox", "migrate", "--outbox", str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        # held until it says so, however slowly it starts; a migration that waits without a word
        # fails here instead of holding the test for its 10 minutes
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        said = proc.stderr.readline() if ready else ""
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, rest = proc.communicate(timeout=120)
    assert proc.returncode == 0, said + rest
    assert "the outbox is busy" in said
    assert "waiting for it" in said
    assert json.loads(out)["changed"] is True
