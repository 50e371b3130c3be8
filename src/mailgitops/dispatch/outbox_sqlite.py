"""The SQLite outbox backend: WAL, synchronous=FULL, lease-based claims in short transactions.

Durability (RELIABILITY 1 and 4): every commit waits for the disk (FULL), except the sender's
record of an attempt (`update`), written with synchronous=NORMAL. In WAL mode NORMAL is still
atomic and survives a crash of the process; only a power cut or an OS crash can lose the last
such commits. Losing "sent" leaves the row as its claim left it, `sending` under a lease, so once
the lease ends it is claimed again, counted ambiguous and sent with the same Message-ID: exactly
the window RELIABILITY 4 allows ("a crash after the server's 250 and before the outbox records
it"). It saves one fsync per message; accepting an event, queuing a draft and claiming stay FULL
(tests/unit/dispatch/test_outbox.py checks which level each commit runs at)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from mailgitops import private
from mailgitops.dispatch import blobs, lease, outbox_schema
from mailgitops.dispatch.outbox import (
    NewMessage,
    Recipient,
    Row,
    StoredEvent,
    initial_recipients,
    json_column,
    read_draft,
    sha_of,
)
from mailgitops.dispatch.outbox_page import page_where
from mailgitops.dispatch.outbox_sqlite_conn import GroupWriter, Readers, why_unopenable, wrong_path
from mailgitops.dispatch.outbox_sqlite_hand import SqliteHandActions
from mailgitops.dispatch.outbox_sqlite_upkeep import locked
from mailgitops.errors import EventConflict, ExitCode, MailgitopsError, UsageError

_JSON_FIELDS = {"to": "to_json", "cc": "cc_json", "rcpts": "rcpts_json", "delivered": "delivered_json",
                "refused": "refused_json", "draft": "draft_json", "bcc": "bcc_json",
                "recipients": "recipients_json"}
_PLAIN_FIELDS = {"status", "attempts", "ambiguous", "next_attempt_at", "lease_until", "worker",
                 "last_error", "sent_at"}


def _recipients(r: sqlite3.Row) -> tuple[Recipient, ...]:
    stored = r["recipients_json"]
    if stored != "[]" or r["to_json"] == "[]":
        return tuple(json.loads(stored))
    # written by a mailgitops older than schema version 2 into a migrated file (a rollback, an old
    # process left running): judged against no recipients, a server's 250 was recorded as failed
    return tuple(outbox_schema.v1_recipients(
        to=r["to_json"], cc=r["cc_json"], rcpts=r["rcpts_json"], delivered=r["delivered_json"],
        refused=r["refused_json"], status=r["status"]))


def _row(r: sqlite3.Row, raw: bytes | None, *, with_draft: bool = True) -> Row:
    # a damaged record does not stop the read: the Row says what is wrong (draft_problem), so a
    # listing still shows it and only a command on this row refuses it
    draft, problem = read_draft(r["draft_json"]) if with_draft else (None, None)
    return Row(
        id=r["id"], event_id=r["event_id"], role=r["role"], lang=r["lang"], template_id=r["template_id"],
        message_id=r["message_id"], envelope_from=r["envelope_from"],
        to=tuple(json.loads(r["to_json"])), cc=tuple(json.loads(r["cc_json"])),
        rcpts=tuple(json.loads(r["rcpts_json"])), delivered=tuple(json.loads(r["delivered_json"])),
        refused=json.loads(r["refused_json"]), raw=raw,
        draft=draft, status=r["status"], attempts=r["attempts"],
        ambiguous=r["ambiguous"], next_attempt_at=r["next_attempt_at"], last_error=r["last_error"],
        created_at=r["created_at"], updated_at=r["updated_at"], sent_at=r["sent_at"],
        bcc=tuple(json.loads(r["bcc_json"])), recipients=_recipients(r),
        sha256=r["raw_sha256"], pruned_at=r["pruned_at"], draft_problem=problem,
        lease_host=r["lease_host"], lease_pid=r["lease_pid"], lease_until=r["lease_until"])


# a message row with its bytes: in `raws` since schema version 4, in the row itself when an older
# version wrote it (USING: `id` stays one column, so the callers' WHERE and ORDER BY name it bare)
_WITH_BYTES = "SELECT m.*, coalesce(r.raw, m.raw) AS stored FROM messages m LEFT JOIN raws r USING (id)"

BUSY_SECONDS = 10.0  # how long a statement waits for another process's lock on the file
# how long `outbox migrate` waits for another one (a large file takes seconds each way)
MIGRATE_WAIT_SECONDS = 600.0


def _enter_wal(db: sqlite3.Connection, wait: float = BUSY_SECONDS) -> None:
    """PRAGMA journal_mode=WAL. Several processes opening a new file at once (the order system
    retrying while the first dispatch runs) find it locked while one of them converts it, and
    SQLite answers "database is locked" at once instead of waiting: try again, as long as the
    connection's own busy timeout would have waited."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class SqliteOutbox(SqliteHandActions):
    """One file; per instance one writer connection (shared by threads under a lock, accepted
    events committed in groups) and reader connections that never wait for it
    (outbox_sqlite_conn.py); safe for several processes (WAL, leases)."""

    def __init__(self, path: str | Path, *, migrate: bool = False) -> None:
        self.path = str(path)
        try:
            self.lock = threading.RLock()
            # customers' names, addresses, orders and attachments: made 0600 whatever the umask; an
            # existing file keeps its group (a deliberate shared group), never others' access
            private.sqlite_file(self.path, strip=0o007)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_SECONDS,
                                      check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            _enter_wal(self.db)
            # FULL: a committed row survives power loss, so "accepted" really means on disk
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            if migrate:  # another `outbox migrate` may hold the file for a while: wait for it
                self.db.execute(f"PRAGMA busy_timeout={int(MIGRATE_WAIT_SECONDS * 1000)}")
            self.migrated, self.backup = outbox_schema.prepare(self.db, self.path, migrate=migrate)
            self.db.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            self.writer = GroupWriter(self.db, self.lock)
            self.readers = Readers(self.path)
        except sqlite3.Error as e:
            self._close_quietly()
            raise unusable(self.path, e, "nothing was stored") from e
        except BaseException:  # refused (a schema version this one does not use) or interrupted
            self._close_quietly()
            raise

    def _close_quietly(self) -> None:
        """A connection opened before a refusal is closed: serve tries again every few seconds,
        and each one left open held the file's -shm for good (and its locks, see private.py)."""
        db = getattr(self, "db", None)
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    @staticmethod
    def _row(r: sqlite3.Row, db: sqlite3.Connection, raw: bytes | None, *, with_draft: bool = True) -> Row:
        """A row with its bytes (`raw`, as stored) joined again from their stored attachment parts
        (read on `db`, in the same transaction as the row)."""
        if raw is not None and r["blobs_json"] != "[]":
            def fetch(hashes: list[str]) -> dict[str, bytes]:
                got = db.execute(f"SELECT sha256, data FROM blobs WHERE sha256 IN "  # noqa: S608 -- placeholders
                                      f"({','.join('?' * len(hashes))})", hashes)
                return {h: d for h, d in got}
            raw = blobs.join(raw, fetch)
        return _row(r, raw, with_draft=with_draft)

    def answer_within(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """Nothing to shorten: reads see the last commit (WAL) without waiting for a writer."""
        return contextlib.nullcontext()

    def schema_refusal(self) -> MailgitopsError | None:
        with self.readers.read() as db:
            return outbox_schema.refusal(db, self.path, outbox_schema.version(db))

    @locked
    def fold_log(self, done: str) -> None:
        """After `outbox migrate`: the log (-wal) folded into the file while the command still
        runs. A migration writes the outbox's bytes once more; with the disk full after it, the
        fold failed unseen at close, and the next dispatch found the disk full."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as e:
            if getattr(e, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                raise
            raise MailgitopsError(
                f"{done}, but the disk the outbox {self.path} is on is now full: SQLite could not "
                f"fold its log ({self.path}-wal) into the file ({e})",
                hint="free space on that disk before anything uses the outbox (the migration is kept "
                     "in the log); `outbox migrate` needs about four times the outbox's size free",
                exit_code=ExitCode.TEMPORARY) from e

    def _schema_refusal_quietly(self) -> MailgitopsError | None:
        try:
            return self.schema_refusal()
        except sqlite3.Error:
            return None

    @locked
    def close(self) -> None:
        self.readers.close()
        self.db.close()

    def record_event(self, event: StoredEvent, messages: Sequence[NewMessage], *,
                     claim_for: tuple[str, float] | None = None) -> list[int]:
        """Insert the event and its messages atomically, durably (FULL) before returning; events
        recorded by other threads meanwhile share the commit. Same id again: EventConflict
        (callers check get_event first for the duplicate answer). With `claim_for` (worker, lease
        seconds) queued messages are claimed in the same commit: one fsync less before delivering."""
        try:
            return self.writer.run(lambda db: self._record(db, event, messages, claim_for))
        except sqlite3.IntegrityError as e:
            raise EventConflict(f"event {event.event_id} could not be stored: {e}") from e
        except sqlite3.Error as e:
            # the file migrated (or taken back) under a running serve, before its next look at the
            # schema: its refusal, not SQLite's words for the table it no longer finds
            changed = self._schema_refusal_quietly()
            if changed is not None:
                raise changed from e
            raise MailgitopsError(f"the outbox could not store event {event.event_id}: {e}; "
                                  "nothing was accepted, send it again",
                                  exit_code=ExitCode.TEMPORARY) from e

    def _record(self, db: sqlite3.Connection, event: StoredEvent, messages: Sequence[NewMessage],
                claim_for: tuple[str, float] | None) -> list[int]:
        """One event's writes, inside the writer's open transaction."""
        now = time.time()
        worker, lease_until = (claim_for[0], now + claim_for[1]) if claim_for else (None, None)
        ids: list[int] = []
        prior = db.execute("SELECT payload_hash FROM events WHERE event_id=?", (event.event_id,)).fetchone()
        if prior is not None:
            raise EventConflict(f"event {event.event_id} was already handled"
                                + ("" if prior[0] == event.payload_hash else " with different content"),
                                hint="give each distinct event its own event_id")
        db.execute("INSERT INTO events VALUES (?,?,?,'[]',?)",
                   (event.event_id, event.payload_hash, event.bundle_hash, now))
        for m in messages:
            claimed = worker is not None and m.status == "queued"
            recips = initial_recipients(m.to, m.cc, m.bcc)
            rcpts = [r["address"] for r in recips]
            skeleton, parts = self._store(m.raw, m.bodies)
            cur = db.execute(
                "INSERT INTO messages (event_id, role, lang, template_id, message_id, envelope_from,"
                " to_json, cc_json, bcc_json, rcpts_json, recipients_json, raw, raw_sha256, draft_json,"
                " status, next_attempt_at, created_at, updated_at, attempts, worker, lease_until,"
                " lease_host, lease_pid, lease_started, blobs_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (event.event_id, m.role, m.lang, m.template_id, m.message_id, m.envelope_from,
                 json.dumps(m.to), json.dumps(m.cc), json.dumps(m.bcc), json.dumps(rcpts),
                 json.dumps(recips), sha_of(m.raw),
                 json.dumps(m.draft.to_json()) if m.draft is not None else None,
                 "sending" if claimed else m.status, now, now, now, 1 if claimed else 0,
                 worker if claimed else None, lease_until if claimed else None,
                 *(lease.me() if claimed else (None, None, None)), parts))
            assert cur.lastrowid is not None
            if skeleton is not None:  # in a table of its own: the row's later changes stay small
                db.execute("INSERT INTO raws VALUES (?, ?)", (cur.lastrowid, skeleton))
            ids.append(cur.lastrowid)
        entries = event.with_rows(ids).entries
        db.execute("UPDATE events SET entries=? WHERE event_id=?", (json.dumps(entries), event.event_id))
        return ids

    def get_event(self, event_id: str) -> StoredEvent | None:
        with self.readers.read() as db:
            r = db.execute("SELECT * FROM events WHERE event_id=?", (event_id,)).fetchone()
        if r is None:
            return None
        return StoredEvent(r["event_id"], r["payload_hash"], r["bundle_hash"], json.loads(r["entries"]))

    def event_bundles(self, event_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self.readers.read() as db:
            for i in range(0, len(event_ids), 500):  # below SQLite's limit of bound parameters
                part = event_ids[i:i + 500]
                got = db.execute(f"SELECT event_id, bundle_hash FROM events WHERE event_id IN"  # noqa: S608 -- placeholders only
                                 f" ({','.join('?' * len(part))})", part)
                out.update({r["event_id"]: r["bundle_hash"] for r in got})
        return out

    def get(self, row_id: int) -> Row | None:
        with self.readers.read() as db:
            r = db.execute(f"{_WITH_BYTES} WHERE id=?", (row_id,)).fetchone()
            return self._row(r, db, r["stored"]) if r is not None else None

    def find_message(self, message_id: str) -> Row | None:
        with self.readers.read() as db:
            r = db.execute(f"{_WITH_BYTES} WHERE message_id=?", (message_id,)).fetchone()
            return self._row(r, db, r["stored"]) if r is not None else None

    def rows(self, status: str | None = None, limit: int = 1000, *, newest: bool = False,
             before: int | None = None, after: int | None = None) -> list[Row]:
        """Oldest first; with `newest`, the last `limit` rows (still oldest first); `before` and
        `after` keep only ids below / above a cursor (a page of the console's Deliveries)."""
        where, params = page_where(status, before, after, "?")
        order = "DESC" if newest else "ASC"
        with self.readers.read() as db:
            # fixed text: the WHERE names only placeholders, the order is one of two literals
            rows = db.execute(f"{_WITH_BYTES}{where} ORDER BY id {order} LIMIT ?",
                              (*params, limit))
            out = [self._row(r, db, r["stored"]) for r in rows]
        return out[::-1] if newest else out

    @locked
    def claim(self, *, worker: str, lease_seconds: float, limit: int,
              ids: Sequence[int] | None = None, due_before: float | None = None) -> list[Row]:
        """Due rows become `sending` under this worker's lease. A `sending` row whose lease ran
        out belongs to a worker that died mid-conversation: it may have gone out, so it is
        counted ambiguous before it is sent again (same Message-ID)."""
        now = time.time()
        due = now if due_before is None else min(now, due_before)
        where = ("((status IN ('queued','ambiguous') AND next_attempt_at<=?)"
                 " OR (status='sending' AND lease_until<?))")
        params: list[object] = [now + lease_seconds, worker, now, *lease.me(), due, now]
        if ids is not None:
            where += f" AND id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            # fixed text with ? placeholders only: nothing from the caller is spliced in
            sql = ("UPDATE messages SET ambiguous = ambiguous + (status='sending'), status='sending',"  # noqa: S608
                   " lease_until=?, worker=?, attempts=attempts+1, updated_at=?,"
                   " lease_host=?, lease_pid=?, lease_started=?, claims=claims+1"
                   f" WHERE id IN (SELECT id FROM messages WHERE {where} ORDER BY next_attempt_at, id"
                   " LIMIT ?) RETURNING *")
            rows = self.db.execute(sql, (*params, limit)).fetchall()
            raws = self._raws([r["id"] for r in rows])
            self.db.execute("COMMIT")
        except BaseException as e:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            # taken back (`outbox migrate --to`) or migrated under a running flush or serve: its
            # refusal, not SQLite's "no such table" reported as a bug
            changed = self._schema_refusal_quietly() if isinstance(e, sqlite3.Error) else None
            if changed is not None:
                raise changed from e
            raise
        # the sender reads only the bytes: a draft record (even a damaged one) is not parsed here
        return sorted((self._row(r, self.db, raws.get(r["id"], r["raw"]), with_draft=False) for r in rows),
                      key=lambda r: r.id)

    def _raws(self, ids: Sequence[int]) -> dict[int, bytes]:
        """The stored bytes of these messages (a row an older version wrote keeps its own)."""
        out: dict[int, bytes] = {}
        for i in range(0, len(ids), 500):  # below SQLite's limit of bound parameters
            part = ids[i:i + 500]
            got = self.db.execute(f"SELECT id, raw FROM raws WHERE id IN ({','.join('?' * len(part))})",  # noqa: S608
                                  part)
            out.update({row_id: raw for row_id, raw in got})
        return out

    @locked
    def update(self, row_id: int, worker: str | None, **fields: object) -> bool:
        """Set fields of a row this worker holds (worker None: any row): the sender's record of
        an attempt. Written without waiting for fsync (WAL, synchronous=NORMAL): it survives a
        process crash; a power cut may lose it, which leaves the row `sending` until its lease
        runs out and it is sent again as ambiguous, the window RELIABILITY 4 already counts.
        A lost retry or failure mark is the same: one more attempt, never a lost message; a
        later FULL commit makes the earlier NORMAL ones durable too (one log, synced in order).
        Accepting an event (record_event) always waits for the disk."""
        sets: list[str] = ["updated_at=?"]
        params: list[object] = [time.time()]
        for k, v in fields.items():
            if k in _JSON_FIELDS:
                sets.append(f"{_JSON_FIELDS[k]}=?")
                params.append(json.dumps(json_column(k, v)))
            elif k in _PLAIN_FIELDS:
                sets.append(f"{k}=?")
                params.append(v)
            else:
                raise KeyError(k)
        if fields.get("status", "sending") != "sending":
            # the row stops being sent: its lease holder goes with it here, in the same write,
            # where the messages_lease_ends trigger (kept for older processes) would add one
            sets.append(outbox_schema.LEASE_COLUMNS)
        sql = f"UPDATE messages SET {', '.join(sets)} WHERE id=?"  # noqa: S608 -- column names from fixed sets
        params.append(row_id)
        if worker is not None:
            sql += " AND status='sending' AND worker=?"
            params.append(worker)
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            return self._write(sql, params) == 1
        finally:
            self.db.execute("PRAGMA synchronous=FULL")


def step_down(path: str, to: int) -> tuple[int, int, str | None]:
    """`outbox migrate --to`: (version found, version now, the copy made first)."""
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=MIGRATE_WAIT_SECONDS)
        try:
            return outbox_schema.step_down(db, path, to)
        finally:
            db.close()
    except sqlite3.Error as e:
        raise unusable(path, e, "nothing was changed") from e


def unusable(path: str, e: sqlite3.Error, nothing: str) -> MailgitopsError:
    """What SQLite's refusal of the file means to the person who named it, and the exit code: 2
    when the path is wrong (retrying for ever would not help), else 75 (a missing folder or
    permission, a full disk: put right, the order system's next try succeeds; nothing was
    accepted meanwhile)."""
    if getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        import glob

        copies = sorted(glob.glob(f"{glob.escape(path)}.before-migrate-v*"))
        kept = "; copies an `outbox migrate` made beside it: " + ", ".join(
            f"{c} ({os.path.getsize(c) // 1_000_000} MB)" for c in copies) if copies else ""
        return MailgitopsError(
            f"cannot use the outbox {path}: the disk it is on is full ({e}); {nothing}",
            hint="free space on that disk and try again; `outbox migrate` needs about four times the "
                 f"outbox's size free (its copy, the moved bytes and SQLite's log){kept}",
            exit_code=ExitCode.TEMPORARY)
    if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
        return MailgitopsError(
            f"cannot use the outbox {path}: another process holds it ({e}): an `outbox migrate` "
            f"still running, or a long write; {nothing}",
            hint="try again once it has finished", exit_code=ExitCode.TEMPORARY)
    why = why_unopenable(path) or e
    if wrong_path(path):
        return UsageError(f"cannot open the outbox {path}: {why}",
                          hint="pass --outbox (or MAILGITOPS_OUTBOX) the outbox file that dispatch and serve "
                               f"use, or a new file's name in a folder this user can write; {nothing}")
    return MailgitopsError(f"cannot open the outbox {path}: {why}",
                           hint=f"pass --outbox PATH (or MAILGITOPS_OUTBOX) to a file in a folder this user "
                                f"can write; {nothing}",
                           exit_code=ExitCode.TEMPORARY)
