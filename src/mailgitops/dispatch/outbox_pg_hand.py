"""The PostgreSQL outbox's actions on one message at a person's request: `outbox retry`, and a
draft's edit, send and discard. Each is one transaction guarded by the row's status, so of two
concurrent requests from any instances exactly one wins; what makes work NOTIFYs every instance."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from mailgitops.dispatch import blobs
from mailgitops.dispatch.outbox import DISCARDED, Row, initial_recipients, requeued_by_hand, sha_of
from mailgitops.dispatch.outbox_pg_upkeep import PgUpkeep

if TYPE_CHECKING:
    from mailgitops.dispatch.draft_shape import Draft

CHANNEL = "mailgitops_outbox"


class PgHandActions(PgUpkeep):
    def get(self, row_id: int) -> Row | None:
        raise NotImplementedError  # PgOutbox reads rows

    @staticmethod
    def _store(conn: psycopg.Connection[DictRow], raw: bytes | None,
               bodies: Sequence[bytes] | None = None) -> tuple[bytes | None, list[str]]:
        if raw is None:
            return None, []
        skeleton, parts = blobs.split(raw, bodies)
        for digest, data in parts.items():
            conn.execute("INSERT INTO blobs VALUES (%s, %s) ON CONFLICT DO NOTHING", (digest, data))
        return skeleton, sorted(parts)

    def _notify_if(self, conn: psycopg.Connection[DictRow], changed: bool) -> bool:
        if changed:  # idle senders on every instance wake for it
            conn.execute(f"NOTIFY {CHANNEL}")
        return changed

    def retry(self, row_id: int) -> bool:
        row = self.get(row_id)
        again = requeued_by_hand(row) if row is not None else None
        if row is None or again is None:
            return False  # not a message to send again, or retention dropped its body
        pending, recips = again
        now = time.time()
        with self._conn() as conn, conn.transaction():
            n = conn.execute(
                "UPDATE messages SET status='queued', next_attempt_at=%s, created_at=%s, updated_at=%s,"
                " lease_until=NULL, rcpts_json=%s, recipients_json=%s, refused_json='{}'"
                " WHERE id=%s AND status=%s",
                (now, now, now, Jsonb(pending), Jsonb(recips), row_id, row.status)).rowcount
            return self._notify_if(conn, n == 1)

    def due_now(self) -> int:
        now = time.time()
        with self._conn() as conn, conn.transaction():
            n = int(conn.execute("UPDATE messages SET next_attempt_at=%s, updated_at=%s"
                                 " WHERE status IN ('queued','ambiguous') AND next_attempt_at>%s",
                                 (now, now, now)).rowcount)
            self._notify_if(conn, n > 0)
            return n

    def set_draft(self, row_id: int, draft: Draft, cc: Sequence[str]) -> bool:
        with self._conn() as conn, conn.transaction():
            return conn.execute("UPDATE messages SET draft_json=%s, cc_json=%s, updated_at=%s WHERE id=%s"
                                " AND status='draft'", (Jsonb(draft.to_json()), Jsonb(list(cc)), time.time(),
                                                        row_id)).rowcount == 1

    def queue_draft(self, row_id: int, raw: bytes, rcpts: Sequence[str], cc: Sequence[str]) -> bool:
        """draft -> queued in one statement: of two concurrent sends from any instances, one wins."""
        now = time.time()
        with self._conn() as conn, conn.transaction():
            got = conn.execute("SELECT to_json FROM messages WHERE id=%s", (row_id,)).fetchone()
            to = list(got["to_json"]) if got else []
            recips = initial_recipients(to, cc, [r for r in rcpts if r not in to and r not in cc])
            skeleton, parts = self._store(conn, raw)
            n = conn.execute(
                "UPDATE messages SET status='queued', raw=%s, raw_sha256=%s, blobs_json=%s, rcpts_json=%s,"
                " recipients_json=%s, cc_json=%s, next_attempt_at=%s, created_at=%s, updated_at=%s"
                " WHERE id=%s AND status='draft'",
                (skeleton, sha_of(raw), Jsonb(parts), Jsonb([r["address"] for r in recips]), Jsonb(recips),
                 Jsonb(list(cc)), now, now, now, row_id)).rowcount
            return self._notify_if(conn, n == 1)

    def discard_draft(self, row_id: int) -> bool:
        with self._conn() as conn, conn.transaction():
            # each recipient's result in the same statement: never tried, and never will be
            return conn.execute(
                "UPDATE messages SET status='discarded', updated_at=%s, recipients_json=(SELECT"
                " coalesce(jsonb_agg(r || jsonb_build_object('result', 'discarded', 'code', NULL,"
                " 'text', %s::text) ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements(recipients_json)"
                " WITH ORDINALITY AS t(r, i)) WHERE id=%s AND status='draft'",
                (time.time(), DISCARDED, row_id)).rowcount == 1
