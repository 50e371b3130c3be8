"""docs/upgrading.md's procedure, run as written (its `sh` block) on an outbox of the first
release's schema with a message queued: the message goes out once, with its Message-ID, and the
old file is kept. Only the two steps that belong to the machine (systemctl, pip) are recorded
instead of run: the version under test is already installed."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch import outbox_schema
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import make_repo
from support.smtpd import SmtpServer

DOC = Path(__file__).resolve().parents[3] / "docs" / "upgrading.md"


def procedure() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The procedure, one machine", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.S)
    assert found, "docs/upgrading.md: the procedure's sh block is gone"
    return found.group(1)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer().start()
    yield srv
    srv.stop()


def _version_1_outbox(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(outbox_schema._V1)
    now = time.time()
    raw = (b"From: Print Room <printroom@example.com>\r\nTo: ada@example.org\r\nSubject: On its way\r\n"
           b"Message-ID: <queued-before@example.com>\r\n\r\nHello Ada.\r\n")
    db.execute("INSERT INTO events VALUES ('e1', 'h', 'b', '[]', ?)", (now,))
    db.execute("INSERT INTO messages (event_id, role, lang, template_id, message_id, envelope_from, to_json,"
               " cc_json, rcpts_json, raw, status, next_attempt_at, created_at, updated_at) VALUES"
               " ('e1','customer','en','order-dispatched','<queued-before@example.com>',"
               " 'printroom@example.com',?,'[]',?,?,'queued',0,?,?)",
               (json.dumps(["ada@example.org"]), json.dumps(["ada@example.org"]), raw, now, now))
    db.commit()
    db.close()


def test_the_documented_upgrade_sends_what_was_queued_once(server: SmtpServer, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.sqlite"
    _version_1_outbox(outbox)
    repo = make_repo(tmp_path / "repo", port=server.port)
    script = "systemctl() { echo \"systemctl $*\"; }\npip() { echo \"pip $*\"; }\n" + procedure()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "MAILGITOPS_OUTBOX": str(outbox), "MAILGITOPS_BUNDLE": str(tmp_path / "bundle.json"),
           "REPO": str(repo), "NEW_VERSION": "0", "MAILGITOPS_DELIVERY": "production"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "systemctl stop" in done.stdout.split("outbox")[0]  # stopped before the outbox is touched
    assert [m.message_id for m in server.messages] == ["<queued-before@example.com>"]
    [row] = open_outbox(str(outbox)).rows()
    assert row.status == "sent"
    kept = sqlite3.connect(tmp_path / "outbox.sqlite.before-migrate-v1")
    assert kept.execute("SELECT status FROM messages").fetchall() == [("queued",)]
    kept.close()
