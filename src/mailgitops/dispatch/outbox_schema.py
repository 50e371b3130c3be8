"""The SQLite outbox's schema and its versioned migrations (PRAGMA user_version).

A fresh file is made at the newest version. An older one is never used as it is: the process
stops and names `mailgitops outbox migrate`, which applies each step in one transaction. A file
from a newer mailgitops is refused: this version cannot know what its columns mean."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable

from mailgitops.dispatch.outbox import Recipient, initial_recipients, version_refusal

_V1 = """
CREATE TABLE IF NOT EXISTS events (
  event_id TEXT PRIMARY KEY, payload_hash TEXT NOT NULL, bundle_hash TEXT NOT NULL,
  entries TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL REFERENCES events(event_id),
  role TEXT NOT NULL, lang TEXT NOT NULL, template_id TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE, envelope_from TEXT NOT NULL,
  to_json TEXT NOT NULL, cc_json TEXT NOT NULL, rcpts_json TEXT NOT NULL,
  delivered_json TEXT NOT NULL DEFAULT '[]', refused_json TEXT NOT NULL DEFAULT '{}',
  raw BLOB, draft_json TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  ambiguous INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, lease_until REAL,
  worker TEXT, last_error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, sent_at REAL);
CREATE INDEX IF NOT EXISTS messages_due ON messages(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS messages_event ON messages(event_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# version 2: per-recipient results, BCC, the checksum of the stored bytes, and who holds a lease
# (host, pid, process start) so a row left by a dead process is recovered at once
_V2 = """
ALTER TABLE messages ADD COLUMN bcc_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN recipients_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN raw_sha256 TEXT;
ALTER TABLE messages ADD COLUMN lease_host TEXT;
ALTER TABLE messages ADD COLUMN lease_pid INTEGER;
ALTER TABLE messages ADD COLUMN lease_started REAL;
"""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def v1_recipients(*, to: str, cc: str, rcpts: str, delivered: str, refused: str,
                  status: str) -> list[Recipient]:
    """Each recipient's result as far as a version 1 row knows it (JSON columns as stored): who
    accepted and who refused, from the lists it kept. Version 1 kept no reply code for an
    acceptance, so none is made up here."""
    recips = initial_recipients(json.loads(to), json.loads(cc))
    done, no, waiting = set(json.loads(delivered)), json.loads(refused), set(json.loads(rcpts))
    for r in recips:
        if r["address"] in done:
            r.update(result="accepted", text="accepted (recorded before version 2, without the reply)")
        elif r["address"] in no:
            code, _, text = str(no[r["address"]]).partition(" ")
            r.update(result="refused", code=int(code) if code.isdigit() else None, text=text)
        elif status not in ("queued", "sending", "ambiguous", "draft") or r["address"] not in waiting:
            r.update(text="no per-recipient result (recorded before version 2)")
    return recips


def _to_v2(db: sqlite3.Connection) -> None:
    for sql in _statements(_V2):
        db.execute(sql)
    rows = db.execute("SELECT id, to_json, cc_json, rcpts_json, delivered_json, refused_json, raw, status"
                      " FROM messages").fetchall()
    for rid, to, cc, rcpts, delivered, refused, raw, status in rows:
        recips = v1_recipients(to=to, cc=cc, rcpts=rcpts, delivered=delivered, refused=refused, status=status)
        db.execute("UPDATE messages SET recipients_json=?, raw_sha256=? WHERE id=?",
                   (json.dumps(recips), hashlib.sha256(raw).hexdigest() if raw is not None else None, rid))


# version 3: retention (pruned_at) and large attachment parts stored once (blobs.py)
_V3 = """
ALTER TABLE messages ADD COLUMN pruned_at REAL;
ALTER TABLE messages ADD COLUMN blobs_json TEXT NOT NULL DEFAULT '[]';
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE INDEX messages_finished ON messages(status, updated_at);
"""


def _to_v3(db: sqlite3.Connection) -> None:
    for sql in _statements(_V3):
        db.execute(sql)


# A mailgitops from before version 2 checks no version: rolled back onto a newer file, or left
# running (a cron `outbox flush`, a `serve`) while the file was migrated, it would accept events
# as rows without per-recipient records, and send rows whose large attachments sit in `blobs`
# (which it does not know) without them: the customer gets the email and a marker where the PDF
# was. Two things only such a process does are refused, each stopping it with this text:
# - an insert without recipients (every message this version writes has them);
# - a claim (a row becoming `sending`) that names no lease holder: this version's claim always
#   writes lease_host, and lease_host is cleared whenever a row stops being `sending`, so an
#   older process's claim leaves it empty.
_OLDER = ("this outbox was migrated by a newer mailgitops (schema version 3); run that version on it,"
          " or any from 2026-11-30 or later (docs/upgrading.md, rolling back)")
_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS messages_from_older_mailgitops BEFORE INSERT ON messages"
    " WHEN NEW.recipients_json = '[]' AND NEW.to_json <> '[]'"
    f" BEGIN SELECT RAISE(ABORT, '{_OLDER}'); END")
_CLAIM_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS messages_claimed_by_older_mailgitops BEFORE UPDATE OF status ON messages"
    " WHEN NEW.status = 'sending' AND NEW.lease_host IS NULL"
    f" BEGIN SELECT RAISE(ABORT, '{_OLDER}'); END")
_LEASE_ENDS = (
    "CREATE TRIGGER IF NOT EXISTS messages_lease_ends AFTER UPDATE OF status ON messages"
    " WHEN NEW.status <> 'sending' AND NEW.lease_host IS NOT NULL"
    " BEGIN UPDATE messages SET lease_host = NULL, lease_pid = NULL, lease_started = NULL"
    " WHERE id = NEW.id; END")


def _guard(db: sqlite3.Connection) -> None:
    """The triggers above, also on files migrated before they existed (checked at every open: a
    lookup in sqlite_master; the one-time clearing reads the rows only when they are first made)."""
    db.execute(_GUARD)
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='messages_claimed_by_older_mailgitops'").fetchone():
        return
    db.execute("UPDATE messages SET lease_host = NULL, lease_pid = NULL, lease_started = NULL"
               " WHERE status <> 'sending' AND lease_host IS NOT NULL")
    db.execute(_LEASE_ENDS)
    db.execute(_CLAIM_GUARD)


STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _to_v2, 3: _to_v3}
VERSION = max(STEPS)


def migrate_hint(path: str) -> str:
    return (f"run: mailgitops outbox migrate --outbox {path} (it keeps a copy of the file as it was "
            "first, beside it)")


def version(db: sqlite3.Connection) -> int:
    v = int(db.execute("PRAGMA user_version").fetchone()[0])
    if v == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE name='messages'").fetchone():
        return 1  # made before versions were recorded
    return v


def backup_before(db: sqlite3.Connection, path: str) -> str | None:
    """`outbox migrate` on an older file: a consistent copy of it as it is, next to it, before any
    step runs (the way back for a rollback, and what a crash half-way would need); None when
    nothing is to be migrated. Taken outside the migration's transaction (SQLite's backup cannot
    read through a connection that holds the write lock), so the writers must be stopped first,
    as the upgrade procedure says; a row one writes meanwhile is migrated, only not in the copy."""
    found = version(db)
    if not 0 < found < VERSION:
        return None
    target = f"{path}.before-migrate-v{found}"
    n = 1
    while os.path.exists(target):  # an earlier attempt's copy is kept, never overwritten
        n += 1
        target = f"{path}.before-migrate-v{found}.{n}"
    partial = f"{target}.partial"  # renamed when complete: a copy cut short never looks like one
    from mailgitops import private

    private.sqlite_file(partial)  # the whole outbox, customers and all: 0600, not the umask's 0644
    copy = sqlite3.connect(partial)
    try:
        db.backup(copy)
    finally:
        copy.close()
    os.replace(partial, target)
    return target


def prepare(db: sqlite3.Connection, path: str, *, migrate: bool = False) -> tuple[int, int]:
    """Make a fresh file, check an existing one, or (with `migrate`) bring it up to date.
    Returns (version found, version now); 0 found means the file was new."""
    db.execute("BEGIN IMMEDIATE")  # one process at a time decides and applies
    try:
        found = version(db)
        problem = version_refusal(path, found, VERSION, migrate_hint(path))
        if problem is not None and not (migrate and found < VERSION):
            raise problem
        if found == 0:
            for sql in _statements(_V1):
                db.execute(sql)
        for step in range(max(found, 1) + 1, VERSION + 1):
            STEPS[step](db)
        _guard(db)
        db.execute(f"PRAGMA user_version={VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return found, VERSION
