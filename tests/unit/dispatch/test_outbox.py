"""The outbox on both backends (SQLite file, PostgreSQL): idempotent events, leases, drafts sent
once, pauses; and the SQLite file's durable settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.draft_shape import Draft
from mailgitops.dispatch.outbox import NewMessage, Outbox, Status, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox
from mailgitops.errors import EventConflict, ExitCode, MailgitopsError
from support.smtpd import free_port


def _msg(n: int = 0, status: Status = "queued") -> NewMessage:
    return NewMessage("customer", "en", "order-received", f"<m{n}@example.com>", "p@example.com",
                      ("a@example.org",), ("cc@example.org",), None if status == "draft" else b"raw",
                      Draft("s", "m", ("p@example.com", None), ((None, "a@example.org"),))
                      if status == "draft" else None, status)


@pytest.fixture
def ob(outbox_location: str) -> Iterator[Outbox]:
    got = open_outbox(outbox_location)
    yield got
    got.close()


@pytest.fixture
def sq(tmp_path: Path) -> SqliteOutbox:
    return SqliteOutbox(tmp_path / "o.sqlite")


def test_wal_and_full_sync(sq: SqliteOutbox) -> None:
    ob = sq
    assert ob.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ob.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_event_and_messages_are_stored_together_with_message_ids(ob: Outbox, outbox_location: str) -> None:
    ids = ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}, {"role": "x", "status": "skipped"}]),
                          [_msg(1)])
    again = open_outbox(outbox_location)  # another process sees it: it is committed
    row = again.get(ids[0])
    assert row is not None
    assert row.message_id == "<m1@example.com>"
    assert row.rcpts == ("a@example.org", "cc@example.org")
    stored = again.get_event("e1")
    again.close()
    assert stored is not None
    assert stored.entries[0] == {"row": ids[0]}


def test_same_event_id_again_is_refused_and_adds_nothing(ob: Outbox) -> None:
    ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}]), [_msg(1)])
    with pytest.raises(EventConflict, match="different content"):
        ob.record_event(StoredEvent("e1", "h2", "b", [{"row": 0}]), [_msg(2)])
    assert len(ob.rows()) == 1


def test_claim_leases_and_an_expired_lease_counts_as_ambiguous(ob: Outbox) -> None:
    ob.record_event(StoredEvent("e1", "h", "b", [{"row": 0}]), [_msg(1)])
    first = ob.claim(worker="w1", lease_seconds=60, limit=10)
    assert [r.status for r in first] == ["sending"]
    assert ob.claim(worker="w2", lease_seconds=10, limit=10) == []  # still held by w1
    # w1 "died" mid-conversation on another host and its lease ran out: set, not slept, so a
    # busy machine cannot decide the outcome (and the same on both backends)
    assert ob.update(first[0].id, "w1", lease_until=time.time() - 1)
    second = ob.claim(worker="w2", lease_seconds=10, limit=10)
    assert len(second) == 1
    assert second[0].ambiguous == 1
    assert second[0].message_id == first[0].message_id
    assert not ob.update(first[0].id, "w1", status="sent")  # w1 no longer holds it


def test_draft_is_queued_once(ob: Outbox) -> None:
    [row_id] = ob.record_event(StoredEvent("e1", "h", "b", [{"row": 0}]), [_msg(1, "draft")])
    assert ob.claim(worker="w", lease_seconds=10, limit=10) == []  # never sent by itself
    assert ob.queue_draft(row_id, b"final", ["a@example.org"], []) is True
    assert ob.queue_draft(row_id, b"final", ["a@example.org"], []) is False
    assert ob.discard_draft(row_id) is False
    assert [r.id for r in ob.claim(worker="w", lease_seconds=10, limit=10)] == [row_id]


def test_pause_expires(ob: Outbox) -> None:
    ob.pause(time.time() + 60, "auth rejected")
    assert ob.paused() == (pytest.approx(time.time() + 60, abs=2), "auth rejected", None)
    ob.pause(0, "")
    assert ob.paused() is None
    ob.pause(None, "password rejected", secret="pbkdf2-sha256$1$00$ab")  # until resumed
    assert ob.paused() == (None, "password rejected", "pbkdf2-sha256$1$00$ab")


def test_a_password_in_the_postgresql_url_is_refused_and_never_shown() -> None:
    with pytest.raises(MailgitopsError, match="carries a password") as got:
        open_outbox("postgresql://mail:s3cret-pw@127.0.0.1:1/outbox")
    assert "s3cret-pw" not in str(got.value)


def test_the_postgresql_outbox_is_named_by_its_url_in_messages() -> None:
    from mailgitops.dispatch.outbox_pg_schema import shown

    assert shown("postgresql://mail@db.example:5433/outbox") == "postgresql://mail@db.example:5433/outbox"
    assert shown("postgresql:///?service=mailgitops") == "postgresql:///?service=mailgitops"
    assert shown("postgresql://mail@/outbox?host=/run/postgresql") == "postgresql://mail@/outbox?host=/run/postgresql"
    assert "s3cret" not in shown("postgresql://mail:s3cret@db.example/outbox")


def test_an_unreachable_postgresql_is_temporary() -> None:
    port = free_port()
    with pytest.raises(MailgitopsError, match="cannot use the outbox") as got:
        open_outbox(f"postgresql://mail@127.0.0.1:{port}/outbox?connect_timeout=2")
    assert got.value.exit_code == ExitCode.TEMPORARY
    assert f"postgresql://mail@127.0.0.1:{port}/outbox?connect_timeout=2:" in got.value.message


def _sync_at_each_commit(trace: list[str]) -> list[tuple[str, str]]:
    """Each commit (a BEGIN..COMMIT, or a write on its own) and the synchronous level in force then."""
    level, in_transaction, out = "FULL", False, []
    # a statement that fires a trigger is reported again for the trigger and each statement in it
    trace = [sql for i, sql in enumerate(trace) if i == 0 or sql != trace[i - 1]]
    for sql in trace:
        s = " ".join(sql.split()).upper()
        if s.startswith("PRAGMA SYNCHRONOUS="):
            level = s.split("=", 1)[1]
        elif s.startswith("BEGIN"):
            in_transaction = True
        elif s.startswith("COMMIT"):
            out.append(("BEGIN", level))
            in_transaction = False
        elif s.startswith(("INSERT", "UPDATE", "DELETE")) and not in_transaction:
            out.append((s.split()[0], level))
    return out


def test_accepting_an_event_waits_for_the_disk_and_only_the_attempt_record_does_not(sq: SqliteOutbox) -> None:
    """RELIABILITY 1: record_event commits with synchronous=FULL (fsync before "accepted"). The
    sender's record of an attempt (update) uses NORMAL: lost only to a power cut, which leaves the
    row `sending` until its lease ends and it is sent again as ambiguous, same Message-ID
    (RELIABILITY 4). Drafts queued by an operator and claims stay FULL too."""
    ob = sq
    trace: list[str] = []
    ob.db.set_trace_callback(trace.append)
    [row_id] = ob.record_event(StoredEvent("e1", "h", "b", [{"row": 0}]), [_msg(1)],
                               claim_for=("w1", 60.0))
    assert ob.update(row_id, "w1", status="sent", rcpts=(), delivered=("a@example.org",))
    [draft_id] = ob.record_event(StoredEvent("e2", "h", "b", [{"row": 0}]), [_msg(2, "draft")])
    assert ob.queue_draft(draft_id, b"raw", ["a@example.org"], [])
    assert [r.id for r in ob.claim(worker="w2", lease_seconds=60, limit=10)] == [draft_id]
    ob.db.set_trace_callback(None)
    commits = _sync_at_each_commit(trace)
    assert commits == [
        ("BEGIN", "FULL"),  # record_event e1
        ("UPDATE", "NORMAL"),  # the "sent" mark
        ("BEGIN", "FULL"),  # record_event e2 (a draft)
        ("BEGIN", "FULL"),  # queue_draft: the operator's send is accepted durably
        ("BEGIN", "FULL"),  # claim
    ]
    assert ob.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # back to FULL after update()


_OPEN_AT = r"""
import sys, time
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox
from mailgitops.errors import MailgitopsError
start = float(sys.argv[2])
while time.time() < start:
    pass
try:
    SqliteOutbox(sys.argv[1]).close()
    print("opened")
except MailgitopsError as e:
    print(e)
"""


def test_processes_opening_a_new_outbox_at_the_same_moment_all_open_it(tmp_path: Path) -> None:
    """The order system may retry while the first dispatch still starts: each process waits for
    the one that makes the file a WAL database instead of failing with "database is locked"."""
    import subprocess
    import sys

    answers: list[str] = []
    for round_ in range(8):
        start = str(time.time() + 0.4)  # every process is started and waiting by then
        path = str(tmp_path / f"o{round_}.sqlite")
        procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AT, path, start], stdout=subprocess.PIPE,
                                  text=True) for _ in range(5)]
        answers += [p.communicate(timeout=30)[0].strip() for p in procs]
    assert [a for a in answers if a != "opened"] == []
