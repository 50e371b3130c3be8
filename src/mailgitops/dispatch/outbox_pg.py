"""The PostgreSQL outbox backend: one queue shared by many dispatcher and `serve` instances.

Same contract as the SQLite file (outbox.py): an event and its messages in one transaction,
unique on event_id across instances; rows claimed with a lease in a short transaction
(`FOR UPDATE SKIP LOCKED`, so two instances never take the same row and never wait on each
other), sent with no lock held, then recorded. NOTIFY wakes idle senders when work arrives."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from mailgitops.dispatch import blobs, lease, outbox_pg_schema
from mailgitops.dispatch.outbox import (
    NewMessage,
    Row,
    StoredEvent,
    initial_recipients,
    json_column,
    read_draft,
    sha_of,
    version_refusal,
)
from mailgitops.dispatch.outbox_page import page_where
from mailgitops.dispatch.outbox_pg_hand import CHANNEL, PgHandActions
from mailgitops.errors import EventConflict, ExitCode, MailgitopsError

# psycopg_pool retries a lost server with a wait that doubles after each failed attempt, for up to
# reconnect_timeout (5 minutes by default): after 2.5 minutes down it next tried 87 s after the
# server was back, and events got 503 all that time. A short timeout ends each such attempt; the
# next request for a connection starts a fresh one, whose first wait is 1 s.
RECONNECT_SECONDS = 5.0
# The pool's warning for each failed attempt (two lines, every second or two while the server is
# down) is not serve's log: serve says once that the outbox is unavailable, and when it is back.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
WAIT_SECONDS = 15.0  # how long a request waits for one of the pool's connections
# ... and once one could not be had (the server is down), until one is had again: an event posted
# during an outage was answered 503 only after 15 s, past many order systems' HTTP timeout, each
# request holding a thread meanwhile. The pool goes on reconnecting in the background.
DOWN_WAIT_SECONDS = 2.0
# The first request of an outage does not know yet that the server is down: after this long
# without a connection from the pool, a connection of its own asks the server (2 s at most).
# Refused or unanswered: the server is down, said at once; answered: every pooled connection is
# busy, and the request waits on for one. The first requests of an outage waited the whole 15 s.
PROBE_AFTER_SECONDS = 1.0
POLL_SECONDS = 0.5  # how often the listener looks at the stop flag between notifications
_JSON = {"to": "to_json", "cc": "cc_json", "rcpts": "rcpts_json", "delivered": "delivered_json",
         "refused": "refused_json", "draft": "draft_json", "bcc": "bcc_json", "recipients": "recipients_json"}
_PLAIN = {"status", "attempts", "ambiguous", "next_attempt_at", "lease_until", "worker", "last_error",
          "sent_at"}


def _row(r: DictRow, raw: bytes | None, *, with_draft: bool = True) -> Row:
    # a damaged record does not stop the read: the Row says what is wrong (draft_problem), so a
    # listing still shows it and only a command on this row refuses it
    draft, problem = read_draft(r["draft_json"], decoded=True) if with_draft else (None, None)
    return Row(
        id=r["id"], event_id=r["event_id"], role=r["role"], lang=r["lang"], template_id=r["template_id"],
        message_id=r["message_id"], envelope_from=r["envelope_from"], to=tuple(r["to_json"]),
        cc=tuple(r["cc_json"]), rcpts=tuple(r["rcpts_json"]), delivered=tuple(r["delivered_json"]),
        refused=r["refused_json"], raw=raw, draft=draft, status=r["status"],
        attempts=r["attempts"], ambiguous=r["ambiguous"], next_attempt_at=r["next_attempt_at"],
        last_error=r["last_error"], created_at=r["created_at"], updated_at=r["updated_at"],
        sent_at=r["sent_at"], bcc=tuple(r["bcc_json"]), recipients=tuple(r["recipients_json"]),
        sha256=r["raw_sha256"], pruned_at=r["pruned_at"], draft_problem=problem,
        lease_host=r["lease_host"], lease_pid=r["lease_pid"], lease_until=r["lease_until"])


class PgOutbox(PgHandActions):
    """A psycopg connection pool; every method is one short transaction."""

    def __init__(self, url: str, *, migrate: bool = False, existing: bool = False) -> None:
        outbox_pg_schema.check_url(url)
        self.url, self.where = url, outbox_pg_schema.shown(url)
        # connection_class says to the type checker what row_factory says at run time
        # check: a connection the server dropped (it restarted) is replaced before a request gets it
        self.pool = ConnectionPool(url, min_size=1, max_size=4, open=False,
                                   reconnect_timeout=RECONNECT_SECONDS, check=ConnectionPool.check_connection,
                                   connection_class=psycopg.Connection[DictRow],
                                   kwargs={"row_factory": dict_row, "connect_timeout": 10})
        self._wait = threading.local()  # answer_within's shorter wait, for this thread only
        self._down = False  # the last attempt got no connection (DOWN_WAIT_SECONDS applies)
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        # close() says "stop" on a channel only this instance listens on: the listener would
        # otherwise notice only at its next half-second poll, and every close would wait for it
        self._stop_channel = f"mailgitops_stop_{os.getpid()}_{id(self):x}"
        self.listening = threading.Event()  # set once LISTEN is in place (on_work)
        try:  # one plain connection first: the pool would retry a refused login for its whole
            # timeout and then say only that it timed out; libpq's own reason is what to fix
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as e:
            raise (outbox_pg_schema.login_refused(self.where, e)
                   or outbox_pg_schema.bad_setting(self.where, e) or self._unavailable(e)) from None
        try:
            self.pool.open(wait=True, timeout=15)
        except (PoolTimeout, psycopg.Error) as e:
            self.pool.close()
            raise self._unavailable(e) from None
        with self._conn() as conn:
            self.migrated = outbox_pg_schema.prepare(conn, url, migrate=migrate, existing=existing)

    def _unavailable(self, e: BaseException) -> MailgitopsError:
        # temporary even for a refused login once running: an event is then answered 503 (sent
        # again later), never 4xx, which the order system would take as "this event is bad"
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return MailgitopsError(f"cannot use the outbox {self.where}: {why}",
                               hint="check that PostgreSQL runs, and the URL and PGPASSWORD or ~/.pgpass",
                               exit_code=ExitCode.TEMPORARY)

    @contextmanager
    def answer_within(self, seconds: float) -> Iterator[None]:
        """In this block (this thread), a connection is waited for `seconds` at most: /health
        answers "down" within a probe's timeout rather than after the usual 15 s."""
        before = getattr(self._wait, "seconds", None)
        self._wait.seconds = seconds
        try:
            yield
        finally:
            self._wait.seconds = before

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[DictRow]]:
        wait = getattr(self._wait, "seconds", None) or (DOWN_WAIT_SECONDS if self._down else WAIT_SECONDS)
        try:
            conn = self._getconn(wait)
            try:  # what the pool's own connection() does: commit or roll back, then give it back
                with conn:
                    self._down = False
                    yield conn
            finally:
                self.pool.putconn(conn)
        except PoolTimeout:  # its own words ("couldn't get a connection after 15.00 sec") hide why
            self._down = True
            why = (f"no connection to the PostgreSQL server within {wait:g} s (it is down or cannot be "
                   "reached, or every connection is busy)")
            raise self._unavailable(RuntimeError(why)) from None
        except psycopg.OperationalError as e:
            self._down = True
            raise self._unavailable(e) from None

    def _getconn(self, wait: float) -> psycopg.Connection[DictRow]:
        """One of the pool's connections within `wait` seconds. When the pool has none after
        PROBE_AFTER_SECONDS, a connection of our own asks the server whether it is there: its
        refusal (OperationalError) ends the wait at once; an answer means the pool is only busy."""
        first = min(wait, PROBE_AFTER_SECONDS)
        try:
            return self.pool.getconn(timeout=first)
        except PoolTimeout:
            if wait <= first:
                raise
        started = time.monotonic()
        try:
            psycopg.connect(self.url, connect_timeout=2).close()  # libpq's least: 2 s
        except psycopg.Error as e:
            self._down = True
            why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise self._unavailable(RuntimeError(f"no connection to the PostgreSQL server: {why}")) from None
        return self.pool.getconn(timeout=max(0.1, wait - first - (time.monotonic() - started)))

    def schema_refusal(self) -> MailgitopsError | None:
        with self._conn() as conn:
            row = conn.execute("SELECT version FROM mailgitops_schema").fetchone()
        found = int(row["version"]) if row else 0
        return version_refusal(self.where, found, outbox_pg_schema.VERSION, outbox_pg_schema.MIGRATE_HINT)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            if self.listening.is_set():
                # one of the pool's connections (committed, so delivered, as the block ends); if the
                # database cannot be reached, the listener's poll notices the stop within POLL_SECONDS
                with contextlib.suppress(Exception), self.pool.connection(timeout=2) as conn:
                    conn.execute(f"NOTIFY {self._stop_channel}")
            self._listener.join(5)
        self.pool.close()

    def on_work(self, wake: Callable[[], None]) -> None:
        """Call `wake` whenever another instance (or this one) queues work: LISTEN/NOTIFY."""
        def listen() -> None:
            while not self._stop.is_set():
                try:
                    with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                        conn.execute(f"LISTEN {CHANNEL}")
                        conn.execute(f"LISTEN {self._stop_channel}")
                        self.listening.set()
                        wake()  # work queued while nobody listened is not lost
                        while not self._stop.is_set():
                            for note in conn.notifies(timeout=POLL_SECONDS):
                                if note.channel == self._stop_channel:
                                    return
                                wake()
                except psycopg.Error:
                    self._stop.wait(1.0)  # the database went away: the poll interval covers it
        self._listener = threading.Thread(target=listen, name="mailgitops-pg-listen", daemon=True)
        self._listener.start()

    def _join(self, conn: psycopg.Connection[DictRow], r: DictRow, *, with_draft: bool = True) -> Row:
        raw = r["raw"]
        if raw is not None and r["blobs_json"]:
            def fetch(hashes: list[str]) -> dict[str, bytes]:
                got = conn.execute("SELECT sha256, data FROM blobs WHERE sha256 = ANY(%s)", (hashes,))
                return {x["sha256"]: bytes(x["data"]) for x in got}
            raw = blobs.join(bytes(raw), fetch)
        return _row(r, bytes(raw) if raw is not None else None, with_draft=with_draft)

    def record_event(self, event: StoredEvent, messages: Sequence[NewMessage], *,
                     claim_for: tuple[str, float] | None = None) -> list[int]:
        now = time.time()
        worker, lease_until = (claim_for[0], now + claim_for[1]) if claim_for else (None, None)
        ids: list[int] = []
        with self._conn() as conn, conn.transaction():
            got = conn.execute("INSERT INTO events VALUES (%s,%s,%s,'[]',%s) ON CONFLICT DO NOTHING"
                               " RETURNING event_id", (event.event_id, event.payload_hash, event.bundle_hash,
                                                       now)).fetchone()
            if got is None:  # unique across every instance sharing the database
                prior = conn.execute("SELECT payload_hash FROM events WHERE event_id=%s",
                                     (event.event_id,)).fetchone()
                same = prior is not None and prior["payload_hash"] == event.payload_hash
                raise EventConflict(f"event {event.event_id} was already handled"
                                    + ("" if same else " with different content"),
                                    hint="give each distinct event its own event_id")
            for m in messages:
                claimed = worker is not None and m.status == "queued"
                recips = initial_recipients(m.to, m.cc, m.bcc)
                skeleton, parts = self._store(conn, m.raw, m.bodies)
                held = lease.me() if claimed else (None, None, None)
                r = conn.execute(
                    "INSERT INTO messages (event_id, role, lang, template_id, message_id, envelope_from,"
                    " to_json, cc_json, bcc_json, rcpts_json, recipients_json, raw, raw_sha256, blobs_json,"
                    " draft_json, status, next_attempt_at, created_at, updated_at, attempts, worker,"
                    " lease_until, lease_host, lease_pid, lease_started) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,"
                    "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                    (event.event_id, m.role, m.lang, m.template_id, m.message_id, m.envelope_from,
                     Jsonb(list(m.to)), Jsonb(list(m.cc)), Jsonb(list(m.bcc)),
                     Jsonb([x["address"] for x in recips]), Jsonb(recips), skeleton, sha_of(m.raw),
                     Jsonb(parts), Jsonb(m.draft.to_json()) if m.draft is not None else None,
                     "sending" if claimed else m.status, now, now, now, 1 if claimed else 0,
                     worker if claimed else None, lease_until if claimed else None, *held)).fetchone()
                assert r is not None
                ids.append(int(r["id"]))
            entries = event.with_rows(ids).entries
            conn.execute("UPDATE events SET entries=%s WHERE event_id=%s", (Jsonb(entries), event.event_id))
            if any(m.status == "queued" for m in messages) and worker is None:
                conn.execute(f"NOTIFY {CHANNEL}")  # delivered at commit
        return ids

    def get_event(self, event_id: str) -> StoredEvent | None:
        with self._conn() as conn:
            r = conn.execute("SELECT * FROM events WHERE event_id=%s", (event_id,)).fetchone()
        return None if r is None else StoredEvent(r["event_id"], r["payload_hash"], r["bundle_hash"],
                                                  r["entries"])

    def event_bundles(self, event_ids: Sequence[str]) -> dict[str, str]:
        with self._conn() as conn:
            got = conn.execute("SELECT event_id, bundle_hash FROM events WHERE event_id = ANY(%s)",
                               (list(event_ids),)).fetchall()
        return {r["event_id"]: r["bundle_hash"] for r in got}

    def get(self, row_id: int) -> Row | None:
        with self._conn() as conn:
            r = conn.execute("SELECT * FROM messages WHERE id=%s", (row_id,)).fetchone()
            return self._join(conn, r) if r is not None else None

    def find_message(self, message_id: str) -> Row | None:
        with self._conn() as conn:
            r = conn.execute("SELECT * FROM messages WHERE message_id=%s", (message_id,)).fetchone()
            return self._join(conn, r) if r is not None else None

    def rows(self, status: str | None = None, limit: int = 1000, *, newest: bool = False,
             before: int | None = None, after: int | None = None) -> list[Row]:
        order = "DESC" if newest else "ASC"
        where, params = page_where(status, before, after, "%s")
        with self._conn() as conn:
            got = conn.execute(f"SELECT * FROM messages{where} ORDER BY id {order} LIMIT %s",  # noqa: S608 -- fixed text
                               (*params, limit)).fetchall()
            out = [self._join(conn, r) for r in got]
        return out[::-1] if newest else out

    def claim(self, *, worker: str, lease_seconds: float, limit: int,
              ids: Sequence[int] | None = None, due_before: float | None = None) -> list[Row]:
        """Due rows become `sending` under this worker's lease, in one short transaction; rows
        another instance is claiming right now are skipped, never waited for."""
        now = time.time()
        due = now if due_before is None else min(now, due_before)
        only = " AND id = ANY(%s)" if ids is not None else ""
        sql = ("WITH picked AS (SELECT id FROM messages WHERE ((status IN ('queued','ambiguous')"  # noqa: S608 -- fixed text
               " AND next_attempt_at<=%s) OR (status='sending' AND lease_until<%s))" + only +
               " ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
               " UPDATE messages m SET ambiguous = m.ambiguous + (CASE WHEN m.status='sending' THEN 1"
               " ELSE 0 END), status='sending', lease_until=%s, worker=%s, attempts=m.attempts+1,"
               " updated_at=%s, lease_host=%s, lease_pid=%s, lease_started=%s"
               " FROM picked WHERE m.id=picked.id RETURNING m.*")
        params: list[object] = [due, now, *([list(ids)] if ids is not None else []), limit,
                             now + lease_seconds, worker, now, *lease.me()]
        with self._conn() as conn:
            with conn.transaction():
                got = conn.execute(sql, params).fetchall()
            # the sender reads only the bytes: a draft record (even a damaged one) is not parsed here
            return sorted((self._join(conn, r, with_draft=False) for r in got), key=lambda r: r.id)

    def update(self, row_id: int, worker: str | None, **fields: object) -> bool:
        sets: list[str] = ["updated_at=%s"]
        params: list[object] = [time.time()]
        for k, v in fields.items():
            if k in _JSON:
                sets.append(f"{_JSON[k]}=%s")
                params.append(Jsonb(json_column(k, v)))
            elif k in _PLAIN:
                sets.append(f"{k}=%s")
                params.append(v)
            else:
                raise KeyError(k)
        sql = f"UPDATE messages SET {', '.join(sets)} WHERE id=%s"  # noqa: S608 -- column names from fixed sets
        params.append(row_id)
        if worker is not None:
            sql += " AND status='sending' AND worker=%s"
            params.append(worker)
        with self._conn() as conn, conn.transaction():
            return conn.execute(sql, params).rowcount == 1
