"""The SQLite outbox's actions on one message at a person's request: `outbox retry`, and a
draft's edit, send and discard. Each is guarded by the row's status in its own statement or short
transaction, so of two concurrent requests exactly one wins."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailgitops.dispatch import blobs
from mailgitops.dispatch.outbox import DISCARDED, Row, initial_recipients, requeued_by_hand, sha_of
from mailgitops.dispatch.outbox_sqlite_upkeep import SqliteUpkeep, locked

if TYPE_CHECKING:
    from mailgitops.dispatch.draft_shape import Draft


class SqliteHandActions(SqliteUpkeep):
    def get(self, row_id: int) -> Row | None:
        raise NotImplementedError  # SqliteOutbox reads rows

    def _store(self, raw: bytes | None, bodies: Sequence[bytes] | None = None) -> tuple[bytes | None, str]:
        """The skeleton to keep in the row; each large part stored once (INSERT OR IGNORE)."""
        if raw is None:
            return None, "[]"
        skeleton, parts = blobs.split(raw, bodies)
        for digest, data in parts.items():
            self.db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (digest, data))
        return skeleton, json.dumps(sorted(parts))

    @locked
    def retry(self, row_id: int) -> bool:
        """By hand: to every recipient that has not accepted it yet, lifetime counted afresh."""
        row = self.get(row_id)
        again = requeued_by_hand(row) if row is not None else None
        if row is None or again is None:
            return False  # not a message to send again, or retention dropped its body
        pending, recips = again
        now = time.time()
        return self._write(
            "UPDATE messages SET status='queued', next_attempt_at=?, created_at=?, updated_at=?,"
            " lease_until=NULL, rcpts_json=?, recipients_json=?, refused_json='{}' WHERE id=? AND status=?",
            (now, now, now, json.dumps(pending), json.dumps(recips), row_id, row.status)) == 1

    @locked
    def due_now(self) -> int:
        """By hand, after an outage: every message waiting for its next attempt is due now (its
        attempts and lifetime unchanged). Returns how many were waiting."""
        now = time.time()
        return self._write("UPDATE messages SET next_attempt_at=?, updated_at=?"
                           " WHERE status IN ('queued','ambiguous') AND next_attempt_at>?", (now, now, now))

    @locked
    def set_draft(self, row_id: int, draft: Draft, cc: Sequence[str]) -> bool:
        return self._write("UPDATE messages SET draft_json=?, cc_json=?, updated_at=? WHERE id=?"
                           " AND status='draft'",
                           (json.dumps(draft.to_json()), json.dumps(list(cc)), time.time(), row_id)) == 1

    @locked
    def queue_draft(self, row_id: int, raw: bytes, rcpts: Sequence[str], cc: Sequence[str]) -> bool:
        """draft -> queued in one statement: of two concurrent sends, exactly one wins (RELIABILITY 7).
        `rcpts` is the whole envelope: To and `cc` are named as such, any other address is BCC."""
        now = time.time()
        got = self.db.execute("SELECT to_json FROM messages WHERE id=?", (row_id,)).fetchone()
        to = json.loads(got[0]) if got else []
        recips = initial_recipients(to, cc, [r for r in rcpts if r not in to and r not in cc])
        self.db.execute("BEGIN IMMEDIATE")
        try:
            skeleton, parts = self._store(raw)
            n = self._write(
                "UPDATE messages SET status='queued', raw=NULL, raw_sha256=?, blobs_json=?, rcpts_json=?,"
                " recipients_json=?, cc_json=?, next_attempt_at=?, created_at=?, updated_at=?"
                " WHERE id=? AND status='draft'",
                (sha_of(raw), parts, json.dumps([r["address"] for r in recips]), json.dumps(recips),
                 json.dumps(list(cc)), now, now, now, row_id))
            if n == 1 and skeleton is not None:
                self.db.execute("INSERT OR REPLACE INTO raws VALUES (?, ?)", (row_id, skeleton))
            self.db.execute("COMMIT" if n == 1 else "ROLLBACK")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return n == 1

    @locked
    def discard_draft(self, row_id: int) -> bool:
        # each recipient's result in the same statement: never tried, and never will be
        return self._write(
            "UPDATE messages SET status='discarded', updated_at=?, recipients_json=(SELECT"
            " json_group_array(json_set(value, '$.result', 'discarded', '$.code', NULL, '$.text', ?))"
            " FROM json_each(recipients_json)) WHERE id=? AND status='draft'",
            (time.time(), DISCARDED, row_id)) == 1
