"""An older mailgitops still running (a cron `outbox flush`, a `serve`) after `outbox migrate`, or
rolled back onto the migrated outbox, run as that release itself. The release of 2026-11-28 knows
neither versions nor the blob store: it sent a message whose large attachment the current version
stores once per event with a marker where the PDF was. It must refuse to send and say why, and
the current version must then send everything once, attachments whole."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from support import oldrelease
from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outbox-26a7483.sqlite"
PDF = "jobs/PO-1/ticket.pdf"


def _attachments(data: bytes) -> dict[str, bytes]:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return {str(p.get_filename()): p.get_payload(decode=True) for p in msg.walk() if p.get_filename()}


@pytest.mark.slow
def test_the_release_of_2026_11_28_left_running_on_a_migrated_outbox_refuses_to_send(tmp_path: Path) -> None:
    old = oldrelease.checkout(oldrelease.RELEASE_2026_11_28, tmp_path / "old")
    path = tmp_path / "outbox.sqlite"
    shutil.copy(FIXTURE, path)  # made by that release: two drafts and one email queued
    outcome(cli("outbox", "migrate", "--outbox", str(path)))
    root = tmp_path / "files"
    (root / PDF).parent.mkdir(parents=True)
    pdf = b"%PDF-1.4\n" + os.urandom(60_000) + b"\n%%EOF\n"  # large: stored once, outside the message
    (root / PDF).write_bytes(pdf)
    server = SmtpServer().start()
    port = server.port
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    old_bundle = oldrelease.bundle(old, port)
    server.stop()  # the current version accepts an event while the server is down: it waits queued
    env = {"MAILGITOPS_DELIVERY": "production", "MAILGITOPS_ATTACHMENTS_ROOT": str(root)}
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="big-1",
                                               operator_attachments=[PDF]))
    outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", str(path), env=env))
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET next_attempt_at = 0")  # its retry is due: the old flush would take it
    db.commit()
    assert db.execute("SELECT count(*) FROM messages WHERE blobs_json <> '[]'").fetchone()[0] > 0
    before = db.execute("SELECT id, status, attempts FROM messages ORDER BY id").fetchall()
    db.close()
    server = SmtpServer(port=port).start()
    try:
        flushed = oldrelease.run(old, "outbox", "flush", "--bundle", str(old_bundle), "--outbox", str(path))
        assert flushed.returncode != 0
        assert "migrated by a newer mailgitops" in flushed.stderr
        assert "docs/upgrading.md, rolling back" in flushed.stderr
        late = write_event(tmp_path, sample_event(trigger="order_received", event_id="to-the-old-one"))
        taken = oldrelease.run(old, "dispatch", "--bundle", str(old_bundle), "--event", str(late),
                               "--outbox", str(path))
        assert taken.returncode != 0
        assert "migrated by a newer mailgitops" in taken.stderr
        assert server.messages == []  # nothing went out, with or without its attachment
        db = sqlite3.connect(path)
        assert db.execute("SELECT id, status, attempts FROM messages ORDER BY id").fetchall() == before
        db.close()
        # the current version, unharmed, sends every waiting message once, the PDF whole
        common = ("--bundle", str(bundle), "--outbox", str(path))
        assert cli("outbox", "flush", *common, env=env).returncode == 0
        rows = open_outbox(str(path)).rows()
        waiting = {r.message_id for r in rows if r.status != "draft"}
        got = server.wait_for(len(waiting))
        assert sorted(m.message_id for m in got) == sorted(waiting)
        assert {r.status for r in rows if r.status != "draft"} == {"sent"}
        with_pdf = [a for m in got if (a := _attachments(m.data)).get("ticket.pdf") is not None]
        assert with_pdf and all(a["ticket.pdf"] == pdf for a in with_pdf)
        assert not any(b"mailgitops-blob" in m.data for m in got)
    finally:
        server.stop()


@pytest.mark.slow
def test_a_rollback_to_the_mailgitops_of_2026_11_30_takes_the_outbox_back_and_it_sends_whole_once(
        tmp_path: Path) -> None:
    # schema 4 keeps each message's bytes in a table of their own, which the release of 2026-11-30
    # (c92a3b4, schema 3) does not know: it refuses the file until `outbox migrate --to 3`, run by
    # this version, puts the bytes back; then it sends what this version queued, the PDF whole,
    # once, and this version migrated up again sends nothing twice
    old = oldrelease.checkout(oldrelease.RELEASE_2026_11_30, tmp_path / "old")
    path = tmp_path / "outbox.sqlite"
    root = tmp_path / "files"
    (root / PDF).parent.mkdir(parents=True)
    pdf = b"%PDF-1.4\n" + os.urandom(60_000) + b"\n%%EOF\n"
    (root / PDF).write_bytes(pdf)
    server = SmtpServer().start()
    port = server.port
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    old_bundle = oldrelease.bundle(old, port)
    server.stop()
    env = {"MAILGITOPS_DELIVERY": "production", "MAILGITOPS_ATTACHMENTS_ROOT": str(root)}
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="big-2",
                                               operator_attachments=[PDF]))
    outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", str(path), env=env))
    db = sqlite3.connect(path)
    db.execute("UPDATE messages SET next_attempt_at = 0")
    db.commit()
    db.close()
    [row] = open_outbox(str(path)).rows()
    server = SmtpServer(port=port).start()
    try:
        refused = oldrelease.run(old, "outbox", "flush", "--bundle", str(old_bundle), "--outbox", str(path))
        assert refused.returncode != 0
        assert "newer mailgitops" in refused.stderr
        back = outcome(cli("outbox", "migrate", "--to", "3", "--outbox", str(path)))
        assert (back["found_version"], back["version"], back["changed"]) == (4, 3, True)
        assert Path(back["backup"]).name == "outbox.sqlite.before-migrate-v4"
        flushed = oldrelease.run(old, "outbox", "flush", "--bundle", str(old_bundle), "--outbox", str(path))
        assert flushed.returncode == 0, flushed.stderr
        [got] = server.wait_for(1)
        assert got.message_id == row.message_id
        assert _attachments(got.data)["ticket.pdf"] == pdf
        up = outcome(cli("outbox", "migrate", "--outbox", str(path)))
        assert (up["found_version"], up["version"]) == (3, 4)
        again = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(path), env=env)
        assert again.returncode == 0, again.stderr
        assert len(server.messages) == 1
        [after] = open_outbox(str(path)).rows()
        assert (after.status, after.lease_host, after.raw is not None) == ("sent", None, True)
    finally:
        server.stop()
