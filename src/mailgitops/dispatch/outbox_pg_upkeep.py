"""The PostgreSQL outbox's upkeep: pauses, counts, the backlog, recovery of rows a dead process
held, and retention. Each method is one short transaction on a pooled connection."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from mailgitops.dispatch import lease
from mailgitops.dispatch.outbox import FINISHED, STATUSES, Pause


class PgUpkeep:
    def _conn(self) -> AbstractContextManager[psycopg.Connection[DictRow]]:
        raise NotImplementedError  # PgOutbox provides the pooled connection

    def pause(self, until: float | None, reason: str, *, secret: str | None = None) -> None:
        value = Jsonb({"until": until, "reason": reason, "secret": secret})
        with self._conn() as conn, conn.transaction():
            conn.execute("INSERT INTO meta VALUES ('paused', %s) ON CONFLICT (key) DO UPDATE"
                         " SET value=EXCLUDED.value", (value,))

    def paused(self) -> Pause | None:
        with self._conn() as conn:
            r = conn.execute("SELECT value FROM meta WHERE key='paused'").fetchone()
        if r is None:
            return None
        v = r["value"]
        if v["until"] is not None and v["until"] <= time.time():
            return None
        return Pause(None if v["until"] is None else float(v["until"]), str(v["reason"]), v.get("secret"))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        with self._conn() as conn:
            for r in conn.execute("SELECT status, count(*) AS n FROM messages GROUP BY status"):
                out[r["status"]] = int(r["n"])
            got = conn.execute("SELECT coalesce(sum(ambiguous), 0) AS n FROM messages").fetchone()
        out["ambiguous_redeliveries"] = int(got["n"]) if got else 0
        return out

    def backlog(self, limit: int | None = None) -> tuple[int, float | None]:
        """Messages waiting to be sent (counted up to `limit`) and when the oldest was queued."""
        pending = "status IN ('queued','sending','ambiguous')"
        with self._conn() as conn:
            depth = conn.execute(f"SELECT count(*) AS n FROM (SELECT 1 FROM messages WHERE {pending}"  # noqa: S608 -- fixed text
                                 " LIMIT %s) AS x", (limit,)).fetchone()
            oldest = conn.execute(f"SELECT min(created_at) AS t FROM messages WHERE {pending}").fetchone()  # noqa: S608 -- fixed text
        assert depth is not None and oldest is not None
        return int(depth["n"]), oldest["t"]

    def next_attempt(self) -> float | None:
        """When the next waiting message is due (queued or ambiguous): now, or after a backoff."""
        with self._conn() as conn:
            got = conn.execute("SELECT min(next_attempt_at) AS t FROM messages"
                               " WHERE status IN ('queued','ambiguous')").fetchone()
        return None if got is None or got["t"] is None else float(got["t"])

    def newest_accepted(self) -> float | None:
        with self._conn() as conn:
            got = conn.execute("SELECT created_at AS t FROM messages ORDER BY id DESC LIMIT 1").fetchone()
        return None if got is None else float(got["t"])

    def recipient_counts(self) -> dict[tuple[str, str], int]:
        with self._conn() as conn:
            got = conn.execute("SELECT r->>'kind' AS k, r->>'result' AS v, count(*) AS n FROM messages,"
                               " jsonb_array_elements(recipients_json) AS r GROUP BY 1, 2").fetchall()
        return {(str(x["k"]), str(x["v"])): int(x["n"]) for x in got}

    def recover(self) -> int:
        """Rows left `sending` by a dead process on this host are due again now: the one it may
        have been sending counts ambiguous (same Message-ID), the others were never tried."""
        with self._conn() as conn:
            held = conn.execute("SELECT id, worker, lease_pid, lease_started FROM messages"
                                " WHERE status='sending' AND lease_host=%s", (lease.host(),)).fetchall()
            # each record is a committed transaction: a restart of this machine loses none
            maybe, untried = lease.orphans([(r["id"], r["worker"], r["lease_pid"], r["lease_started"])
                                            for r in held], durable_records=True)
            now, n = time.time(), 0
            with conn.transaction():
                for rows, amb, why in ((maybe, 1, lease.IN_FLIGHT), (untried, 0, lease.UNTRIED)):
                    for row_id, worker in rows:
                        n += conn.execute(
                            "UPDATE messages SET status=%s, ambiguous=ambiguous+%s, attempts=attempts-%s,"
                            " lease_until=NULL, next_attempt_at=%s, updated_at=%s, last_error=%s"
                            " WHERE id=%s AND status='sending' AND worker=%s",
                            ("ambiguous" if amb else "queued", amb, 1 - amb, now, now, why, row_id,
                             worker)).rowcount
            return n

    def prune(self, before: float) -> dict[str, int]:
        where = "status = ANY(%s) AND updated_at<%s AND (raw IS NOT NULL OR draft_json IS NOT NULL)"
        params = (list(FINISHED), before)
        unused = ("FROM blobs WHERE sha256 NOT IN (SELECT b FROM messages,"
                  " jsonb_array_elements_text(blobs_json) AS b)")
        with self._conn() as conn, conn.transaction():
            got = conn.execute(f"SELECT count(*) AS n, coalesce(sum(length(raw)), 0) AS size FROM messages"  # noqa: S608
                               f" WHERE {where}", params).fetchone()
            conn.execute(f"UPDATE messages SET raw=NULL, draft_json=NULL, blobs_json='[]', pruned_at=%s"  # noqa: S608
                         f" WHERE {where}", (time.time(), *params))
            gone = conn.execute(f"SELECT count(*) AS n, coalesce(sum(length(data)), 0) AS size {unused}"
                                ).fetchone()
            conn.execute(f"DELETE {unused}")
        assert got is not None and gone is not None
        return {"pruned": int(got["n"]), "attachments_dropped": int(gone["n"]),
                "bytes_freed": int(got["size"]) + int(gone["size"])}
