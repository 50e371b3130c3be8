"""The SQLite outbox under concurrent use: accepted events committed several to one fsync, each
call returning only once its event is on disk; reads that never wait for the writer."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.outbox import NewMessage, StoredEvent
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox
from mailgitops.errors import EventConflict, ExitCode, MailgitopsError


def _msg(n: int) -> NewMessage:
    return NewMessage("customer", "en", "order-received", f"<m{n}@example.com>", "p@example.com",
                      ("a@example.org",), (), b"raw")


def _event(n: int, digest: str = "h") -> StoredEvent:
    return StoredEvent(f"e{n}", digest, "b", [{"row": 0}])


@pytest.fixture
def ob(tmp_path: Path) -> Iterator[SqliteOutbox]:
    got = SqliteOutbox(tmp_path / "o.sqlite")
    yield got
    got.close()


def _stored_elsewhere(ob: SqliteOutbox) -> set[str]:
    """What another process would find: the committed events, read on a connection of its own."""
    db = sqlite3.connect(ob.path)
    try:
        return {r[0] for r in db.execute("SELECT event_id FROM events")}
    finally:
        db.close()


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a state another thread reaches (its piece queued for the writer)."""
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "the other threads never got there"
        time.sleep(0.001)


class Recorders:
    """Threads each recording one event while the test holds the writer's lock (as a commit in
    progress would): one of them leads a group and waits for the lock, the others queue behind
    it; once the lock is free, the leader commits its group and the next leader all the rest."""

    def __init__(self, ob: SqliteOutbox, events: list[tuple[StoredEvent, int]]) -> None:
        self.ob = ob
        self.results: dict[int, Any] = {}  # by message number
        self.seen_on_return: dict[int, bool] = {}
        self.threads = [threading.Thread(target=self._one, args=(ev, n)) for ev, n in events]

    def _one(self, ev: StoredEvent, n: int) -> None:
        try:
            self.results[n] = self.ob.record_event(ev, [_msg(n)])
        except MailgitopsError as e:
            self.results[n] = e
        # the promise behind "accepted": once the call returns, the event is on disk
        self.seen_on_return[n] = ev.event_id in _stored_elsewhere(self.ob)

    def run(self) -> list[str]:
        """The SQL the writer ran while the threads' pieces were committed."""
        trace: list[str] = []
        with self.ob.lock:
            for t in self.threads:
                t.start()
            _until(lambda: self.ob.writer._leading and len(self.ob.writer._queue) == len(self.threads) - 1)
            self.ob.db.set_trace_callback(trace.append)
        for t in self.threads:
            t.join(30)
        self.ob.db.set_trace_callback(None)
        return trace


def test_events_recorded_together_share_a_commit_and_each_is_durable_on_return(ob: SqliteOutbox) -> None:
    run = Recorders(ob, [(_event(n), n) for n in range(6)])
    trace = run.run()
    assert [s for s in trace if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"] * 2
    assert ob.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # that commit waited for the disk
    assert _stored_elsewhere(ob) == {f"e{n}" for n in range(6)}
    assert all(run.seen_on_return.values()) and len(run.seen_on_return) == 6
    rows = {r.event_id: r for r in ob.rows()}
    assert {e: rows[e].message_id for e in rows} == {f"e{n}": f"<m{n}@example.com>" for n in range(6)}
    assert (ob.writer.commits, ob.writer.pieces) == (2, 6)  # the first leader's, then the five queued


def test_a_conflict_in_a_group_refuses_only_that_event(ob: SqliteOutbox) -> None:
    ob.record_event(_event(0), [_msg(0)])
    run = Recorders(ob, [(_event(1), 1), (_event(0, "other"), 9), (_event(2), 2)])
    run.run()
    refused = run.results[9]
    assert isinstance(refused, EventConflict) and "with different content" in refused.message
    assert isinstance(run.results[1], list) and isinstance(run.results[2], list)
    assert _stored_elsewhere(ob) == {"e0", "e1", "e2"}
    assert ob.find_message("<m9@example.com>") is None  # nothing of the refused event stayed
    assert [r.message_id for r in ob.rows()] == ["<m0@example.com>", "<m1@example.com>", "<m2@example.com>"]


def test_the_same_new_event_twice_in_one_group_is_stored_once(ob: SqliteOutbox) -> None:
    run = Recorders(ob, [(_event(5), 5), (_event(5), 6)])
    run.run()
    got = list(run.results.values())
    assert sum(isinstance(g, list) for g in got) == 1
    assert sum(isinstance(g, EventConflict) for g in got) == 1
    assert len(ob.rows()) == 1


def test_a_group_that_cannot_commit_accepts_none_of_its_events_and_says_try_again(ob: SqliteOutbox) -> None:
    other = sqlite3.connect(ob.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    ob.db.execute("PRAGMA busy_timeout=50")
    try:
        run = Recorders(ob, [(_event(n), n) for n in range(3)])
        run.run()
    finally:
        other.execute("ROLLBACK")
        other.close()
    for got in run.results.values():
        assert isinstance(got, MailgitopsError) and got.exit_code == ExitCode.TEMPORARY
        assert "nothing was accepted, send it again" in got.message
    assert _stored_elsewhere(ob) == set()
    ob.db.execute("PRAGMA busy_timeout=10000")
    assert ob.record_event(_event(7), [_msg(7)])  # the writer is usable again


def test_reads_do_not_wait_for_the_writer(ob: SqliteOutbox) -> None:
    """While a commit holds the writer (here: the test holds its lock, and another connection
    has a write transaction open), every read answers at once with what is committed."""
    ob.record_event(_event(1), [_msg(1)])
    ob.pause(time.time() + 60, "tls")
    other = sqlite3.connect(ob.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO events VALUES ('uncommitted', 'h', 'b', '[]', 0)")
    got: dict[str, Any] = {}

    def read() -> None:
        got["event"] = ob.get_event("e1")
        got["uncommitted"] = ob.get_event("uncommitted")
        got["backlog"] = ob.backlog()[0]
        got["counts"] = ob.counts()["queued"]
        got["paused"] = ob.paused()
        got["rows"] = len(ob.rows())
        got["recipients"] = ob.recipient_counts()

    with ob.lock:
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(10)
        alive = reader.is_alive()
    other.execute("ROLLBACK")
    other.close()
    assert not alive, "a read waited for the writer's lock"
    assert got["event"] is not None and got["uncommitted"] is None
    assert (got["backlog"], got["counts"], got["rows"]) == (1, 1, 1)
    assert got["paused"] is not None and got["paused"].reason == "tls"
    assert got["recipients"] == {("to", "deferred"): 1}
