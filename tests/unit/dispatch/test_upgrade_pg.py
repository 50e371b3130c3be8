"""Upgrading onto a PostgreSQL outbox made by an earlier mailgitops: the database as the mailgitops
of c92a3b4 left it (tests/fixtures/outbox-pg-c92a3b4.sql, made by that release's own code with
make_outbox_pg_c92a3b4.py: mail in every state), loaded into a throwaway cluster, migrated and
flushed by this version. The PostgreSQL outbox had no schema before version 3 (the release of
2026-11-28 had none: it refused a postgresql:// outbox), so c92a3b4's is the oldest there is."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from support import oldrelease
from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.pgcluster import PgCluster
from support.smtpd import SmtpServer

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outbox-pg-c92a3b4.sql"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 80 + b"\n%%EOF\n"  # the file the fixture's events attached


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer().start()
    yield srv
    srv.stop()


def _load(cluster: PgCluster) -> str:
    url = cluster.new_database(owner="postgres")  # a database of its own: the dump names schema public
    subprocess.run([str(cluster.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(FIXTURE), url],
                   check=True, capture_output=True)
    with psycopg.connect(url) as conn:  # the retries c92a3b4 planned are due (minutes after it made them)
        conn.execute("UPDATE messages SET next_attempt_at = 0 WHERE status IN ('queued', 'ambiguous')")
    return url


def _rows(url: str) -> dict[str, tuple[str, str]]:
    with psycopg.connect(url) as conn:
        got = conn.execute("SELECT event_id, status, message_id FROM messages").fetchall()
    return {e: (s, m) for e, s, m in got}


@pytest.mark.slow
def test_a_postgresql_outbox_of_c92a3b4_sends_every_waiting_message_once_with_its_message_id(
        pg_cluster: PgCluster, server: SmtpServer, tmp_path: Path) -> None:
    url = _load(pg_cluster)
    before = _rows(url)
    assert {e: s for e, (s, _) in before.items()} == {
        "pg-sent": "sent", "pg-draft": "draft", "pg-failed": "failed", "pg-ambiguous": "ambiguous",
        "pg-queued": "queued", "pg-killed": "sending"}
    migrated = outcome(cli("outbox", "migrate", "--outbox", url))
    assert (migrated["found_version"], migrated["version"], migrated["changed"]) == (3, 3, False)
    # the SQLite outbox's way back for a rollback: PostgreSQL has had one schema, nothing to do
    back = outcome(cli("outbox", "migrate", "--to", "3", "--outbox", url))
    assert (back["version"], back["changed"]) == (3, False)
    older = cli("outbox", "migrate", "--to", "2", "--outbox", url)
    assert older.returncode == 2
    assert "has had schema version 3 only" in older.stderr
    listed = outcome(cli("outbox", "list", "--outbox", url))
    assert len(listed["messages"]) == 6
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    env = {"MAILGITOPS_DELIVERY": "production"}
    common = ("--bundle", str(bundle), "--outbox", url)
    # the killed dispatcher's message: at once on its machine (its process is gone), after its
    # lease elsewhere; either way this flush or the next takes it, as ambiguous, same Message-ID
    flushed = cli("outbox", "flush", *common, env=env)
    assert flushed.returncode in (0, 75), flushed.stderr
    draft_id = next(m["id"] for m in listed["messages"] if m["status"] == "draft")
    outcome(cli("drafts", "send", str(draft_id), *common, env=env))
    outcome(cli("outbox", "flush", *common, env=env))
    after = _rows(url)
    waiting = ("pg-draft", "pg-ambiguous", "pg-queued", "pg-killed")
    got = server.wait_for(len(waiting))
    assert sorted(m.message_id for m in got) == sorted(before[e][1] for e in waiting)  # each once, its own
    assert {e: s for e, (s, _) in after.items()} == {
        "pg-sent": "sent", "pg-draft": "sent", "pg-failed": "failed", "pg-ambiguous": "sent",
        "pg-queued": "sent", "pg-killed": "sent"}
    [queued] = [m for m in got if m.message_id == before["pg-queued"][1]]
    parts = email.message_from_bytes(queued.data, policy=email.policy.default)
    assert [p.get_payload(decode=True) for p in parts.walk() if p.get_filename() == "proof.pdf"] == [PDF]
    again = cli("outbox", "flush", *common, env=env)
    assert json.loads(again.stdout)["sent"] == 0
    assert len(server.messages) == len(waiting)


@pytest.mark.slow
def test_an_instance_of_c92a3b4_left_running_sends_what_this_version_queued_whole(
        pg_cluster: PgCluster, tmp_path: Path) -> None:
    # the PostgreSQL outbox stored attachments once per event from its start: an instance of the
    # previous version sharing the outbox during a machine-by-machine upgrade sends a message this
    # version stored with the attachment whole (docs/upgrading.md, several machines)
    old = oldrelease.checkout(oldrelease.RELEASE_2026_11_30, tmp_path / "old")
    url = pg_cluster.new_database()
    root = tmp_path / "files"
    (root / "jobs/PO-7").mkdir(parents=True)
    (root / "jobs/PO-7/proof.pdf").write_bytes(PDF)
    server = SmtpServer().start()
    port = server.port
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    old_bundle = oldrelease.bundle(old, port)
    server.stop()
    env = {"MAILGITOPS_DELIVERY": "production", "MAILGITOPS_ATTACHMENTS_ROOT": str(root)}
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="pg-rolling",
                                               operator_attachments=["jobs/PO-7/proof.pdf"]))
    outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", url, env=env))
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE messages SET next_attempt_at = 0")
        assert conn.execute("SELECT count(*) FROM blobs").fetchone() == (1,)
    [(_, message_id)] = _rows(url).values()
    server = SmtpServer(port=port).start()
    try:
        flushed = oldrelease.run(old, "outbox", "flush", "--bundle", str(old_bundle), "--outbox", url)
        assert flushed.returncode == 0, flushed.stderr
        [got] = server.wait_for(1)
        assert got.message_id == message_id
        parts = email.message_from_bytes(got.data, policy=email.policy.default)
        assert [p.get_payload(decode=True) for p in parts.walk() if p.get_filename() == "proof.pdf"] == [PDF]
        again = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", url, env=env)
        assert json.loads(again.stdout)["sent"] == 0
        assert len(server.messages) == 1
    finally:
        server.stop()
