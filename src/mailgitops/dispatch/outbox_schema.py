"""The SQLite outbox's schema and its versioned migrations (PRAGMA user_version).

A fresh file is made at the newest version. An older one is never used as it is: the process
stops and names `mailgitops outbox migrate`, which applies each step in one transaction. A file
from a newer mailgitops is refused: this version cannot know what its columns mean."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable

from mailgitops.dispatch.outbox import Recipient, initial_recipients, version_refusal
from mailgitops.errors import ExitCode, MailgitopsError, UsageError

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


# version 4: a message's bytes in a table of their own, so the claim and the record of each
# attempt rewrite a row of some hundred bytes instead of one with the message's 10-30 KB (SQLite
# writes a whole row again on every change); and a count of this version's claims (`claims`)
_V4 = """
CREATE TABLE raws (id INTEGER PRIMARY KEY, raw BLOB NOT NULL);
INSERT INTO raws SELECT id, raw FROM messages WHERE raw IS NOT NULL;
UPDATE messages SET raw = NULL WHERE raw IS NOT NULL;
DROP TRIGGER IF EXISTS messages_claimed_by_older_mailgitops;
DROP TRIGGER IF EXISTS messages_from_older_mailgitops;
"""


def _to_v4(db: sqlite3.Connection) -> None:
    for sql in _statements(_V4):
        db.execute(sql)
    db.execute("DELETE FROM meta WHERE key=?", (TAKEN_BACK,))
    # a file taken back to version 3 (`outbox migrate --to 3`) keeps the column, unused
    if not any(c[1] == "claims" for c in db.execute("PRAGMA table_info(messages)")):
        db.execute("ALTER TABLE messages ADD COLUMN claims INTEGER NOT NULL DEFAULT 0")


# An older mailgitops left running while the file was migrated (against the procedure), or
# rolled back onto it, must not take a message to send: one from before version 2 sends no
# large attachment whole (blobs), one of version 3 finds no bytes in the row (raws). Version 3
# and later refuse a newer file when they open it (serve looks again every 5 s); the guards
# below stop what is already running, each with _OLDER:
# - an insert without recipients (every message since version 2 has them);
# - a claim (a row becoming `sending`, or taken over while `sending`) that leaves `claims` as it
#   was: only this version's claim counts it up. This also stops an older process from taking
#   over a message whose lease ran out while it was `sending` under this version.
# A row whose bytes an older process stores in the row itself is still read and sent.
_OLDER = ("this outbox was migrated by a newer mailgitops (schema version 4); run that version or a later"
          " one on it (going back to an older one: docs/upgrading.md, rolling back)")


def _claim_guard(condition: str, older: str) -> str:
    return ("CREATE TRIGGER IF NOT EXISTS messages_claimed_by_older_mailgitops BEFORE UPDATE OF status"
            f" ON messages WHEN NEW.status = 'sending' AND ({condition})"
            f" BEGIN SELECT RAISE(ABORT, '{older}'); END")


def _insert_guard(older: str) -> str:
    return ("CREATE TRIGGER IF NOT EXISTS messages_from_older_mailgitops BEFORE INSERT ON messages"
            " WHEN NEW.recipients_json = '[]' AND NEW.to_json <> '[]'"
            f" BEGIN SELECT RAISE(ABORT, '{older}'); END")


_GUARD = _insert_guard(_OLDER)
_CLAIM_GUARD = _claim_guard("NEW.lease_host IS NULL OR NEW.claims IS OLD.claims", _OLDER)
LEASE_COLUMNS = "lease_host = NULL, lease_pid = NULL, lease_started = NULL"
_LEASE_ENDS = (
    "CREATE TRIGGER IF NOT EXISTS messages_lease_ends AFTER UPDATE OF status ON messages"  # noqa: S608 -- fixed text
    " WHEN NEW.status <> 'sending' AND NEW.lease_host IS NOT NULL"
    f" BEGIN UPDATE messages SET {LEASE_COLUMNS} WHERE id = NEW.id; END")

# version 3's own guards, put back by `outbox migrate --to 3` for that version to run on the file
_OLDER_V3 = ("this outbox was migrated by a newer mailgitops (schema version 3); run that version on it,"
             " or any from 2026-11-30 or later (docs/upgrading.md, rolling back)")
_GUARD_V3 = _insert_guard(_OLDER_V3)
_CLAIM_GUARD_V3 = _claim_guard("NEW.lease_host IS NULL", _OLDER_V3)


def _guard(db: sqlite3.Connection) -> None:
    """The triggers above, also on files migrated before they existed (checked at every open: a
    lookup in sqlite_master; the one-time clearing reads the rows only when they are first made)."""
    db.execute(_GUARD)
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='messages_claimed_by_older_mailgitops'").fetchone():
        return
    db.execute(f"UPDATE messages SET {LEASE_COLUMNS}"  # noqa: S608 -- fixed text
               " WHERE status <> 'sending' AND lease_host IS NOT NULL")
    db.execute(_LEASE_ENDS)
    db.execute(_CLAIM_GUARD)


# set by a step back (`outbox migrate --to`): this version then says the file was taken back for
# a rollback, instead of asking for the `outbox migrate` that would undo it
TAKEN_BACK = "taken_back"


def _back_to_v3(db: sqlite3.Connection) -> None:
    """`outbox migrate --to 3`: each message's bytes back in its row, version 3's guards."""
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
               (TAKEN_BACK, json.dumps({"from": 4, "to": 3, "at": time.time()})))
    db.execute("UPDATE messages SET raw = (SELECT raw FROM raws WHERE raws.id = messages.id)"
               " WHERE id IN (SELECT id FROM raws)")
    db.execute("DROP TABLE raws")
    for name in ("messages_claimed_by_older_mailgitops", "messages_from_older_mailgitops"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    for sql in (_GUARD_V3, _CLAIM_GUARD_V3):
        db.execute(sql)


STEPS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _to_v2, 3: _to_v3, 4: _to_v4}
VERSION = max(STEPS)
# the way back, for a rollback: the step that takes a file from version N to N - 1
DOWN: dict[int, Callable[[sqlite3.Connection], None]] = {4: _back_to_v3}


def migrate_hint(path: str) -> str:
    return (f"run: mailgitops outbox migrate --outbox {path} (it keeps a copy of the file as it was "
            "first, beside it)")


def version(db: sqlite3.Connection) -> int:
    v = int(db.execute("PRAGMA user_version").fetchone()[0])
    if v == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE name='messages'").fetchone():
        return 1  # made before versions were recorded
    return v


def copy_before(path: str, found: int) -> str:
    """A consistent copy of the file as it is, next to it, before a migration changes it (the way
    back for a rollback, and what a crash half-way would need). Called with the migration's
    write lock held on another connection: in WAL mode this copy reads beside it, and a second
    `outbox migrate` waits for the lock instead of copying a file that is being migrated."""
    target = f"{path}.before-migrate-v{found}"
    n = 1
    while os.path.exists(target):  # an earlier attempt's copy is kept, never overwritten
        n += 1
        target = f"{path}.before-migrate-v{found}.{n}"
    partial = f"{target}.partial"  # renamed when complete: a copy cut short never looks like one
    from mailgitops import private

    private.sqlite_file(partial)  # the whole outbox, customers and all: 0600, not the umask's 0644
    try:
        source, copy = sqlite3.connect(path), sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    except BaseException:
        # a copy cut short (a full disk) would only take the space the migration needs
        for leftover in (partial, f"{partial}-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    os.replace(partial, target)
    return target


def refusal(db: sqlite3.Connection, path: str, found: int) -> MailgitopsError | None:
    """Why this version does not use a file of version `found` (None: it does): newer, older, or
    taken back on purpose for a rollback (then `outbox migrate` is not the fix to offer)."""
    if 0 < found < VERSION and db.execute("SELECT 1 FROM meta WHERE key=?", (TAKEN_BACK,)).fetchone():
        return MailgitopsError(
            f"the outbox {path} was taken back to schema version {found} (`outbox migrate --to "
            f"{found}`) for a rollback to a mailgitops that knows only that version; this one needs "
            f"version {VERSION} and does not use it",
            hint=f"run the older mailgitops on it; or, to go on with this version instead, run: "
                 f"mailgitops outbox migrate --outbox {path}",
            exit_code=ExitCode.TEMPORARY, code="outbox-taken-back",
            values={"found": found, "version": VERSION})
    return version_refusal(path, found, VERSION, migrate_hint(path))


def prepare(db: sqlite3.Connection, path: str, *,
            migrate: bool = False) -> tuple[tuple[int, int], str | None]:
    """Make a fresh file, check an existing one, or (with `migrate`) bring it up to date, copying
    it first. Returns ((version found, version now), the copy); 0 found means the file was new."""
    db.execute("BEGIN IMMEDIATE")  # one process at a time decides, copies and applies
    backup = None
    try:
        found = version(db)
        problem = refusal(db, path, found)
        if problem is not None and not (migrate and found < VERSION):
            raise problem
        if migrate and 0 < found < VERSION:
            backup = copy_before(path, found)
        if found == 0:
            for sql in _statements(_V1):
                db.execute(sql)
        for step in range(max(found, 1) + 1, VERSION + 1):
            STEPS[step](db)
        _guard(db)
        if found != VERSION:  # a file already current is not written: no commit to wait for
            db.execute(f"PRAGMA user_version={VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite ends it itself on some errors (a full disk)
            db.execute("ROLLBACK")
        raise
    return (found, VERSION), backup


def step_down(db: sqlite3.Connection, path: str, to: int) -> tuple[int, int, str | None]:
    """`outbox migrate --to`: take the file back to version `to`, for a rollback to a mailgitops
    that knows only that one, copying it first. Returns (version found, version now, the copy)."""
    db.execute("BEGIN IMMEDIATE")
    backup = None
    try:
        found = version(db)
        refuse_down(path, found, to)
        if to != found:
            backup = copy_before(path, found)
        for step in range(found, to, -1):
            DOWN[step](db)
        if to != found:
            db.execute(f"PRAGMA user_version={to}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return found, to, backup


def refuse_down(path: str, found: int, to: int) -> None:
    """Raises when this version cannot take a file of version `found` to `to`."""
    problem = version_refusal(path, found, VERSION, migrate_hint(path))
    if found > VERSION and problem is not None:
        raise problem
    oldest = min(DOWN) - 1
    if to > found or to < oldest:
        raise UsageError(
            f"the outbox {path} is at schema version {found}; --to {to} is not a way back this "
            f"version knows", hint=f"--to goes back as far as schema version {oldest}, never up; to "
            f"bring an outbox up to this version's {VERSION}, run `mailgitops outbox migrate` "
            "without --to")
