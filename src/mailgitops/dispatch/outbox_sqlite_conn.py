"""The SQLite outbox's connections: one writer that commits accepted events in groups, and a pool
of readers.

Group commit. An accepted event must be on disk before its "accepted" (synchronous=FULL: an
fsync per commit). One commit per event caps a process at what the disk does, every client in
line behind every other. So a thread that records an event queues its work; if no group is being
committed it leads one: it takes every piece queued by then, runs them in one transaction under
the writer lock, each under its own SAVEPOINT (a conflict undoes only its own piece), commits
once and marks them all done. Threads that queued meanwhile wait for the leader (not for the
writer lock, which the senders need), then find their piece done, or lead the next group.
No timer: a group is what queued while the previous commit waited for the disk, so a lone event
waits for nothing but its own commit.

Readers. Each read runs on a connection of its own, in a short read transaction (one snapshot
for the statements of that read). In WAL mode a reader sees the last commit and never waits for
the writer, so duplicate checks, the backlog check, /health and /metrics do not queue behind a
commit's fsync."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class _Piece(Generic[T]):
    __slots__ = ("done", "error", "job", "result")

    def __init__(self, job: Callable[[sqlite3.Connection], T]) -> None:
        self.job = job
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


def _again(e: BaseException) -> BaseException:
    """A copy for each waiting thread: one exception object raised in several threads at once
    would have its traceback rewritten under the others."""
    return type(e)(*e.args) if isinstance(e, sqlite3.Error) else e


class GroupWriter:
    """Runs jobs on the writer connection, several per commit. `lock` is the outbox's lock, held
    by every other write too, so a group never interleaves with another transaction."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db, self.lock = db, lock
        self._queue: list[_Piece[object]] = []
        self._turn = threading.Condition()  # guards the queue and `_leading`
        self._leading = False
        self.commits = 0  # groups committed, and pieces in them: benchmarks and tests read both
        self.pieces = 0

    def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """The job's result once its transaction has committed (durably, at the connection's
        synchronous level); its exception if it raised (its own writes undone); sqlite3.Error
        when the group's transaction failed (nothing of it stored). Never called with the
        outbox's lock held: a follower would wait for a leader that waits for that lock."""
        piece: _Piece[T] = _Piece(job)
        group: list[_Piece[object]] = []
        with self._turn:  # the queue holds pieces of every result type; this one is read back as T
            self._queue.append(cast("_Piece[object]", piece))
            while self._leading and not piece.done:
                self._turn.wait()
            if not piece.done:  # no group took it: lead one, with whatever else is queued
                self._leading = True
                group, self._queue = self._queue, []
        if group:
            try:
                with self.lock:
                    self._commit(group)
            finally:
                with self._turn:
                    self._leading = False
                    self._turn.notify_all()
        if piece.error is not None:
            raise piece.error
        return piece.result  # type: ignore[return-value]  # set: the job returned without error

    def _commit(self, group: list[_Piece[object]]) -> None:
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            for piece in group:
                db.execute("SAVEPOINT piece")
                try:
                    piece.result = piece.job(db)
                except Exception as e:  # this piece's own problem (a conflict): the others go on
                    db.execute("ROLLBACK TO piece")
                    piece.error = e
                db.execute("RELEASE piece")
            db.execute("COMMIT")
            self.commits += 1
            self.pieces += len(group)
        except BaseException as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            for piece in group:  # none of it was stored
                piece.result = None
                piece.error = piece.error or _again(e)
        finally:
            for piece in group:
                piece.done = True


class Readers:
    """Connections for reading, opened as needed and kept for the next read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._free: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA query_only=ON")  # a read must never become a second writer
        return db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._free.pop() if self._free else None
        if db is None:
            db = self._open()
        try:
            db.execute("BEGIN")  # deferred: a snapshot for this read's statements, no lock
            try:
                yield db
            finally:
                db.execute("COMMIT")
        except BaseException:
            db.close()  # in an unknown state: not reused
            raise
        with self._lock:
            if self._closed:
                db.close()
            else:
                self._free.append(db)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            free, self._free = self._free, []
        for db in free:
            db.close()


def why_unopenable(path: str, what: str = "an outbox") -> str | None:
    """In a person's words, why SQLite could not open `path` ("unable to open database file")."""
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        return "that is a folder; name a file in it"
    if not folder.exists():
        return f"the folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"this user cannot write in the folder {folder}"
    if target.exists() and not os.access(target, os.R_OK | os.W_OK):
        return "this user cannot read and write that file"
    return f"that file is not {what} (not a SQLite database)" if _other_file(target) else None


def wrong_path(path: str) -> bool:
    """`path` names something that is no outbox and never becomes one by waiting: a folder, a
    file where the folder should be, a document (README.md). A missing folder (a volume not
    mounted yet) or a missing permission can be put right while the caller retries."""
    target = Path(path)
    try:
        return (target.is_dir() or (target.parent.exists() and not target.parent.is_dir())
                or _other_file(target))
    except OSError:  # unreadable: the permission may still be granted
        return False


def _other_file(target: Path) -> bool:
    """A file with content that is no SQLite database (an empty file becomes a new outbox)."""
    from mailgitops import private

    if not target.is_file() or target.stat().st_size == 0 or private.known_sqlite(target):
        return False  # a database this process has open is never opened outside SQLite (private.py)
    with target.open("rb") as f:
        return f.read(16) != b"SQLite format 3\x00"  # what every SQLite database begins with
