"""The PostgreSQL outbox's schema, its versioned migrations, and how its URL is checked.

Versions count as in the SQLite outbox (outbox_schema.py): a new database is made at the newest;
an older one is refused until `mailgitops outbox migrate`; a newer one always. One instance at a
time decides and applies (an advisory lock inside the transaction)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mailgitops.dispatch.outbox import version_refusal
from mailgitops.errors import ExitCode, MailgitopsError

if TYPE_CHECKING:  # psycopg is imported only where PostgreSQL is used
    import psycopg
    from psycopg.rows import DictRow

_V3 = """
CREATE TABLE events (
  event_id TEXT PRIMARY KEY, payload_hash TEXT NOT NULL, bundle_hash TEXT NOT NULL,
  entries JSONB NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL REFERENCES events(event_id),
  role TEXT NOT NULL, lang TEXT NOT NULL, template_id TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE, envelope_from TEXT NOT NULL,
  to_json JSONB NOT NULL, cc_json JSONB NOT NULL, bcc_json JSONB NOT NULL DEFAULT '[]',
  rcpts_json JSONB NOT NULL, delivered_json JSONB NOT NULL DEFAULT '[]',
  refused_json JSONB NOT NULL DEFAULT '{}', recipients_json JSONB NOT NULL DEFAULT '[]',
  raw BYTEA, raw_sha256 TEXT, blobs_json JSONB NOT NULL DEFAULT '[]', draft_json JSONB,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, ambiguous INTEGER NOT NULL DEFAULT 0,
  next_attempt_at DOUBLE PRECISION NOT NULL, lease_until DOUBLE PRECISION, worker TEXT,
  lease_host TEXT, lease_pid INTEGER, lease_started DOUBLE PRECISION, last_error TEXT,
  created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
  sent_at DOUBLE PRECISION, pruned_at DOUBLE PRECISION);
CREATE INDEX messages_due ON messages(status, next_attempt_at);
CREATE INDEX messages_event ON messages(event_id);
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value JSONB NOT NULL);
"""

# The PostgreSQL outbox arrived with schema version 3 (the SQLite file's versions 1 and 2 came
# before it), so its history starts there; later versions add a step to both backends.
STEPS: dict[int, str] = {3: _V3}
VERSION = max(STEPS)
MIGRATE_HINT = "back the database up (pg_dump), then run: mailgitops outbox migrate --outbox URL"
LOCK_KEY = 0x6D61696C  # the advisory lock that serialises migrations across instances


def shown(url: str) -> str:
    """The URL as it may be logged, in the form it is written (postgresql://USER@HOST:PORT/DB),
    never with a password. It read `user=... dbname=... host=...`, libpq's keyword form, which the
    outbox refuses as input."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except Exception:
        return "postgresql://(unreadable URL)"
    parts.pop("password", None)
    user, db = parts.pop("user", ""), parts.pop("dbname", "")
    host = parts.pop("host", "") if not parts.get("host", "").startswith("/") else ""
    port = parts.pop("port", "")
    where = (f"{user}@" if user else "") + host + (f":{port}" if port else "")
    query = "&".join(f"{k}={v}" for k, v in sorted(parts.items()))  # a socket folder, a service...
    return f"postgresql://{where}/{db}" + (f"?{query}" if query else "")


# libpq's words when the server (or libpq itself) refuses the login: a setting to fix, not a
# passing problem, so exit 1 and no retry (a queue runner retrying on 75 would hide it forever)
_LOGIN_REFUSED = ("password authentication failed", "no password supplied", "authentication failed",
                  "no pg_hba.conf entry", "pg_hba.conf rejects", "SCRAM")
LOGIN_HINT = ("set PGPASSWORD, or name a password file with PGPASSFILE (default ~/.pgpass, mode 0600) "
                 "or a service file with PGSERVICEFILE and use postgresql:///?service=NAME; never put "
                 "the password in the URL")


def login_refused(where: str, e: BaseException) -> MailgitopsError | None:
    """The error to stop with when the server (or libpq) refused the login at start: exit 1, a
    setting to fix; None for anything else (server down, too many connections: temporary).
    psycopg's message names host, port and user, never the password (it is not in the URL)."""
    why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if not any(words in why for words in _LOGIN_REFUSED):
        return None
    return MailgitopsError(f"the PostgreSQL server refused the outbox's login, {where}: {why}",
                           hint=LOGIN_HINT, exit_code=ExitCode.PROBLEMS)


# a password written into the URL (`postgresql://user:secret@host/db`), found before parsing so
# that no parse error can quote it
_URL_PASSWORD = re.compile(r"^[a-z]+://[^/@?#]*:[^/@?#]*@", re.I)
URL_HINT = "write it as postgresql://USER@HOST:PORT/DATABASE, e.g. postgresql://mailgitops@db:5432/mailgitops"


def check_url(url: str) -> None:
    """A URL that cannot name a database is refused before any connection (exit 1: a setting to
    fix, which no retry cures), with libpq's reason; a server that does not answer is another
    matter (temporary, decided when connecting)."""
    from psycopg.conninfo import conninfo_to_dict

    if _URL_PASSWORD.match(url):
        raise MailgitopsError(
            "the outbox URL carries a password; it would be logged and shown with the URL",
            hint="remove it from the URL; " + LOGIN_HINT)
    try:
        parts = conninfo_to_dict(url)
    except Exception as e:
        why = (str(e).strip().splitlines() or [type(e).__name__])[0].replace(f'"{url}"', "").strip(" :")
        raise MailgitopsError(f"the outbox URL is not a PostgreSQL connection URL: {why}",
                              hint=URL_HINT) from None
    if parts.get("password"):
        raise MailgitopsError(
            "the outbox URL carries a password; it would be logged and shown with the URL",
            hint="remove it from the URL; " + LOGIN_HINT)
    for port in str(parts.get("port") or "").split(","):
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise MailgitopsError(f"the outbox URL {shown(url)} names the port `{port}`, which is no port "
                                  "number (1 to 65535)", hint=URL_HINT)


_NOT_THERE = re.compile(r'(database|role) "[^"]*" does not exist')


def bad_setting(where: str, e: BaseException) -> MailgitopsError | None:
    """libpq refusing a setting of the URL before it connects (`sslmode=bogus`), or a server that
    has no such database or user: exit 1, a setting to fix (retrying would not create them); None
    for anything else."""
    why = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if (found := _NOT_THERE.search(why)) is not None:
        return MailgitopsError(f"the outbox URL {where} names a {found.group(1)} the server does not have: "
                               f"{found.group(0)}", hint="correct the URL, or create it on that server "
                               "(createdb --owner USER DATABASE; createuser USER)")
    if not why.startswith("connection is bad: invalid"):
        return None
    return MailgitopsError(f"the outbox URL {where} has a setting libpq refuses: "
                           f"{why.removeprefix('connection is bad: ')}", hint=URL_HINT)


def prepare(conn: psycopg.Connection[DictRow], url: str, *, migrate: bool,
            existing: bool = False) -> tuple[int, int]:
    """Make a new database's tables, check an existing one, or (with `migrate`) bring it up to date.
    `existing`: a database without the outbox's tables is refused, not given them (what the
    commands that only read or change what is stored ask for). `conn` is a psycopg connection not
    in a transaction; returns (version found, version now)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        made = conn.execute("SELECT to_regclass('mailgitops_schema') IS NOT NULL AS made").fetchone()
        if existing and not (made and made["made"]):
            raise MailgitopsError(
                f"there is no outbox in {shown(url)} (none of mailgitops' tables); nothing was read or "
                "changed", hint="pass --outbox (or MAILGITOPS_OUTBOX) the URL that dispatch and serve "
                "use; a new database gets its tables with the first event, or `mailgitops outbox migrate`")
        conn.execute("CREATE TABLE IF NOT EXISTS mailgitops_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM mailgitops_schema").fetchone()
        found = int(row["version"]) if row else 0
        problem = version_refusal(shown(url), found, VERSION, MIGRATE_HINT)
        if problem is not None and not (migrate and found < VERSION):
            raise problem
        start = min(STEPS) if found == 0 else found + 1
        for step in range(start, VERSION + 1):
            for sql in (s.strip() for s in STEPS[step].split(";")):
                if sql:
                    conn.execute(sql)
        if found == 0:
            conn.execute("INSERT INTO mailgitops_schema VALUES (%s)", (VERSION,))
        else:
            conn.execute("UPDATE mailgitops_schema SET version=%s", (VERSION,))
    return found, VERSION
