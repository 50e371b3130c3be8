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
