"""`outbox forget`: after a longer time than bodies are kept, a finished message's delivery record
loses who it went to. Retention (prune) drops bodies and attachments but keeps To/CC/BCC, each
recipient's address and the server's text (which often quotes the address) for good: customers'
addresses stayed in the outbox, and in every backup of it, forever.

What stays: the row (event id, role, template, language, Message-ID, times, attempts, status) and
each recipient's kind and result, so counts, /metrics and duplicate detection are unchanged (the
event's id and body hash stay in the events table: an old event sent again is still a duplicate)."""

from __future__ import annotations

import shutil
from pathlib import Path

from mailgitops.dispatch.outbox import FINISHED, Outbox, Row

FORGOTTEN = "(forgotten)"
# console uploads are kept per draft (its outbox row id) under the attachments root
UPLOADS_FOLDER = "console-uploads"
_KEPT = ("kind", "result", "code", "status", "bounced_at", "notified", "posted")  # no address, no server text
PAGE = 500


def remove_uploads(attachments_root: Path, row_id: int) -> bool:
    """Remove the files the console stored for this message's draft; whether there were any."""
    folder = attachments_root / UPLOADS_FOLDER / str(row_id)
    if not folder.is_dir() or folder.is_symlink():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _done(row: Row) -> bool:
    return not (row.to or row.cc or row.bcc or row.rcpts or row.delivered or row.refused) \
        and row.last_error in (None, FORGOTTEN) and all(r.get("address") == FORGOTTEN for r in row.recipients)


def forget(ob: Outbox, before: float, attachments_root: Path | None = None) -> dict[str, int]:
    """Prune bodies older than `before`, then drop the addresses of finished messages whose last
    change is older than that, and the files attached to them in the console."""
    counts = ob.prune(before)  # on SQLite this also overwrites what the updates below replace
    forgotten = files = 0
    for status in FINISHED:
        after: int | None = 0
        while after is not None and (page := ob.rows(status, PAGE, after=after)):
            after = page[-1].id
            for row in page:
                if row.created_at >= before:
                    # oldest first: from here on every row is newer, and still has its body (and
                    # attachments) to read; a run stops here instead of reading the whole outbox
                    after = None
                    break
                if row.updated_at >= before or _done(row):
                    continue
                recipients = [{**{k: r[k] for k in _KEPT if k in r}, "address": FORGOTTEN}
                              for r in row.recipients]
                if ob.update(row.id, None, to=(), cc=(), bcc=(), rcpts=(), delivered=(), refused={},
                             recipients=recipients,
                             # a reason stays a reason (the console shows "expired: ..."), without its words
                             last_error=FORGOTTEN if row.last_error else None):
                    forgotten += 1
                if attachments_root is not None and remove_uploads(attachments_root, row.id):
                    files += 1
    return {"forgotten": forgotten, "upload_folders_removed": files, **counts}
