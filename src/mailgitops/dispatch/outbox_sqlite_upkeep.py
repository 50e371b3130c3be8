"""The SQLite outbox's upkeep: pauses, counts, recovery of rows a dead process held, retention."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

from mailgitops.dispatch import lease
from mailgitops.dispatch.outbox import FINISHED, STATUSES, Pause
from mailgitops.dispatch.outbox_sqlite_conn import Readers

P = ParamSpec("P")
T = TypeVar("T")


def locked(fn: Callable[P, T]) -> Callable[P, T]:
    """One connection shared by the request thread and the sender loop: one call at a time, so
    a transaction never interleaves with another thread's statements."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with args[0].lock:  # type: ignore[attr-defined]  # only SqliteOutbox methods are wrapped
            return fn(*args, **kwargs)

    return wrapper


class SqliteUpkeep:
    db: sqlite3.Connection  # the writer's; reads go to `readers` and never wait for it
    lock: threading.RLock
    readers: Readers

    def _write(self, sql: str, params: Sequence[object] = ()) -> int:
        return self.db.execute(sql, params).rowcount

    @locked
    def recover(self) -> int:
        """Rows left `sending` by a process on this host that no longer runs are due again now: the
        one it may have been sending counts ambiguous (same Message-ID), the others were never tried."""
        held = self.db.execute("SELECT id, worker, lease_pid, lease_started FROM messages"
                               " WHERE status='sending' AND lease_host=?", (lease.host(),)).fetchall()
        maybe, untried = lease.orphans([tuple(r) for r in held])
        now, n = time.time(), 0
        for rows, amb, why in ((maybe, 1, lease.IN_FLIGHT), (untried, 0, lease.UNTRIED)):
            for row_id, worker in rows:
                n += self._write(
                    "UPDATE messages SET status=?, ambiguous=ambiguous+?, attempts=attempts-?,"
                    " lease_until=NULL, next_attempt_at=?, updated_at=?, last_error=?"
                    " WHERE id=? AND status='sending' AND worker=?",
                    ("ambiguous" if amb else "queued", amb, 1 - amb, now, now, why, row_id, worker))
        return n

    @locked
    def prune(self, before: float) -> dict[str, int]:
        """Drop the bodies (and attachments no kept message needs) of messages finished before
        `before`; the delivery record stays: who, what, when, Message-ID, per-recipient results."""
        where = (f"status IN ({','.join('?' * len(FINISHED))}) AND updated_at<?"  # noqa: S608 -- placeholders
                 " AND (raw IS NOT NULL OR draft_json IS NOT NULL OR id IN (SELECT id FROM raws))")
        params = (*FINISHED, before)
        # overwrite what is dropped: without it (an SQLite built without SECURE_DELETE) the bodies
        # stayed readable in the file's free pages, and so in every later backup of it
        self.db.execute("PRAGMA secure_delete=ON")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            ids = [r[0] for r in self.db.execute(f"SELECT id FROM messages WHERE {where}", params)]  # noqa: S608 -- placeholders only
            n, size = len(ids), 0
            for i in range(0, len(ids), 500):  # below SQLite's limit of bound parameters
                part = ids[i:i + 500]
                marks = ",".join("?" * len(part))
                size += self.db.execute(
                    f"SELECT coalesce(sum(length(coalesce(r.raw, m.raw))), 0) FROM messages m"  # noqa: S608
                    f" LEFT JOIN raws r USING (id) WHERE id IN ({marks})", part).fetchone()[0]
                self.db.execute(f"DELETE FROM raws WHERE id IN ({marks})", part)  # noqa: S608
                self.db.execute(f"UPDATE messages SET raw=NULL, draft_json=NULL, blobs_json='[]', pruned_at=?"  # noqa: S608
                                f" WHERE id IN ({marks})", (time.time(), *part))
            gone = self.db.execute(
                "SELECT coalesce(sum(length(data)), 0), count(*) FROM blobs WHERE sha256 NOT IN"
                " (SELECT b.value FROM messages, json_each(messages.blobs_json) AS b)").fetchone()
            self.db.execute("DELETE FROM blobs WHERE sha256 NOT IN"
                            " (SELECT b.value FROM messages, json_each(messages.blobs_json) AS b)")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return {"pruned": int(n), "attachments_dropped": int(gone[1]),
                "bytes_freed": int(size) + int(gone[0])}

    @locked
    def pause(self, until: float | None, reason: str, *, secret: str | None = None) -> None:
        """Pause sending (`until` None: until resumed); pause(0, "") ends a pause."""
        self._write("INSERT OR REPLACE INTO meta VALUES ('paused', ?)",
                    (json.dumps({"until": until, "reason": reason, "secret": secret}),))

    def paused(self) -> Pause | None:
        with self.readers.read() as db:
            r = db.execute("SELECT value FROM meta WHERE key='paused'").fetchone()
        if r is None:
            return None
        v = json.loads(r[0])
        if v["until"] is not None and v["until"] <= time.time():
            return None
        return Pause(None if v["until"] is None else float(v["until"]), str(v["reason"]), v.get("secret"))

    def backlog(self, limit: int | None = None) -> tuple[int, float | None]:
        """Messages waiting to be sent (counted up to `limit`: enough to compare with a cap) and
        when the oldest of them was queued; both read from the (status, ...) index's range."""
        pending = "status IN ('queued','sending','ambiguous')"
        with self.readers.read() as db:
            depth = db.execute(f"SELECT count(*) FROM (SELECT 1 FROM messages WHERE {pending} LIMIT ?)",  # noqa: S608 -- fixed text
                               (-1 if limit is None else limit,)).fetchone()[0]
            oldest = db.execute(f"SELECT min(created_at) FROM messages WHERE {pending}").fetchone()[0]  # noqa: S608 -- fixed text
        return int(depth), oldest

    def next_attempt(self) -> float | None:
        """When the next waiting message is due (queued or ambiguous): now, or after a backoff."""
        with self.readers.read() as db:
            got = db.execute("SELECT min(next_attempt_at) FROM messages"
                             " WHERE status IN ('queued','ambiguous')").fetchone()[0]
        return None if got is None else float(got)

    def newest_accepted(self) -> float | None:
        with self.readers.read() as db:
            got = db.execute("SELECT created_at FROM messages ORDER BY id DESC LIMIT 1").fetchone()
        return None if got is None else float(got[0])

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        with self.readers.read() as db:
            for status, n in db.execute("SELECT status, count(*) FROM messages GROUP BY status"):
                out[status] = n
            out["ambiguous_redeliveries"] = db.execute(
                "SELECT coalesce(sum(ambiguous),0) FROM messages").fetchone()[0]
        return out

    def recipient_counts(self) -> dict[tuple[str, str], int]:
        """(kind, result) -> how many envelope recipients, over every message kept."""
        with self.readers.read() as db:
            got = db.execute(
                "SELECT json_extract(r.value, '$.kind'), json_extract(r.value, '$.result'), count(*)"
                " FROM messages, json_each(messages.recipients_json) AS r GROUP BY 1, 2").fetchall()
        return {(str(k), str(v)): int(n) for k, v, n in got}
