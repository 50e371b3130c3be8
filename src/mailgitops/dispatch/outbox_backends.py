"""Which outbox backend a location names: the registry `open_outbox` reads, and `outbox migrate`.

Apart from outbox.py (the value types and the `Outbox` protocol) so that a backend module can
import those types without a circle back to the code that chooses it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mailgitops.dispatch.outbox import DEFAULT_PATH, Outbox
from mailgitops.errors import MailgitopsError, UsageError
from mailgitops.redact import unsecret

if TYPE_CHECKING:
    from mailgitops.jsonshape import JsonDict


def _sqlite(location: str, migrate: bool, existing: bool) -> Outbox:
    from mailgitops.dispatch.outbox_sqlite import SqliteOutbox  # loaded only when chosen

    return SqliteOutbox(location, migrate=migrate)  # `existing`: open_outbox looked for the file


def _postgresql(location: str, migrate: bool, existing: bool) -> Outbox:
    try:
        from mailgitops.dispatch.outbox_pg import PgOutbox  # loaded only when chosen
    except ImportError as e:  # psycopg is an extra: the SQLite outbox needs nothing
        raise MailgitopsError(f"the PostgreSQL outbox needs psycopg, which is not installed ({e.name})",
                              hint="pip install 'mailgitops[postgresql]' (psycopg, psycopg-pool)") from None
    return PgOutbox(location, migrate=migrate, existing=existing)


BACKENDS: dict[str, Callable[[str, bool, bool], Outbox]] = {"sqlite": _sqlite, "postgresql": _postgresql}

# libpq's keyword form (`service=prod`, `host=db dbname=mail`): meant for PostgreSQL, and would
# otherwise become a SQLite file of that name, silently, next to the real outbox nobody reads
_CONNINFO = re.compile(r"\s*(service|host|hostaddr|port|dbname|user|sslmode|options|passfile)\s*=", re.I)


# a PostgreSQL URL mistyped (`postgresql//db/x`, `postgres:/db`): it would become a SQLite file in a
# folder named `postgresql`, which is not there, and be retried for ever (exit 75)
_ALMOST_URL = re.compile(r"\s*postgres(?:ql)?(?::/?(?!//)|//)", re.I)


def _refuse_conninfo(loc: str) -> None:
    shown = unsecret(loc)  # a password in it never reaches the error (and the journal)
    if _ALMOST_URL.match(loc) and not loc.lower().startswith(("postgres://", "postgresql://")):
        raise MailgitopsError(f"the outbox `{shown}` looks like a mistyped PostgreSQL URL",
                              hint="write it as postgresql://USER@HOST:PORT/DATABASE (a SQLite outbox is a "
                                   "file path)")
    found = _CONNINFO.match(loc)
    if found is None:
        return
    if found.group(1).lower() == "service" and " " not in loc.strip():
        url = f"postgresql:///?service={loc.split('=', 1)[1].strip()}"
    else:
        url = "postgresql://USER@HOST:PORT/DATABASE"
    raise MailgitopsError(f"the outbox `{shown}` is a PostgreSQL connection string, not a file or a URL",
                          hint=f"write it as a URL: {url} (a SQLite outbox is a file path)")


def open_outbox(location: str | None, *, migrate: bool = False, existing: bool = False) -> Outbox:
    """A SQLite file path (default ./mailgitops-outbox.sqlite) or a postgresql:// URL (the password
    from PGPASSWORD or ~/.pgpass, never in the URL). An outbox with an older schema is refused
    unless `migrate` (what `outbox migrate` does). `existing`: a SQLite file that is not there, or
    a PostgreSQL database without the outbox's tables (but for `outbox migrate`, which makes them),
    is refused, not made (a mistyped --outbox for `outbox list` made an empty outbox and showed
    nothing queued, as if all had been sent)."""
    loc = location or DEFAULT_PATH
    if loc.startswith(("postgres://", "postgresql://")):
        return BACKENDS["postgresql"](loc, migrate, existing and not migrate)
    _refuse_conninfo(loc)
    if existing and not os.path.exists(loc):
        _no_file(loc)
    return BACKENDS["sqlite"](loc, migrate, existing)


def _held(path: str) -> bool:
    """Whether another process holds the SQLite file's write lock now (a look, not a wait)."""
    import sqlite3

    try:
        db = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        finally:
            db.close()
    except sqlite3.OperationalError as e:
        return "locked" in str(e) or "busy" in str(e)
    except sqlite3.Error:
        return False  # not a database: the migration's own open names it
    return False


def _no_file(loc: str) -> None:
    raise MailgitopsError(
        f"there is no outbox at {loc}; nothing was read or changed",
        hint="pass --outbox (or MAILGITOPS_OUTBOX) the file that dispatch and serve use "
             f"(the default, {DEFAULT_PATH}, is in the current folder); it is made with the first event")


def migrate(location: str | None, to: int | None = None,
            waiting: Callable[[], None] | None = None) -> JsonDict:
    """`outbox migrate`: bring the schema up to this version, or (`to`) back to an older one
    for a rollback; says what it found and did. `waiting` is called when another process holds
    a SQLite file (another `outbox migrate`): the migration waits for it, up to 10 minutes."""
    loc = location or DEFAULT_PATH
    postgresql = loc.startswith(("postgres://", "postgresql://"))
    backup: str | None = None
    if not postgresql and os.path.isfile(loc) and os.path.getsize(loc) == 0:
        # any other command makes an empty file a new outbox; here it is a mistyped --outbox
        raise MailgitopsError(f"{loc} is an empty file, not an outbox; nothing was changed",
                              hint="pass --outbox (or MAILGITOPS_OUTBOX) the file that dispatch and serve "
                                   "use")
    if waiting is not None and not postgresql and os.path.isfile(loc) and _held(loc):
        waiting()
    if to is not None and not postgresql:
        _refuse_conninfo(loc)
        if not os.path.exists(loc):
            _no_file(loc)
        from mailgitops.dispatch.outbox_sqlite import step_down

        found, now, backup = step_down(loc, to)
    else:
        # a mistyped path would otherwise become a new empty outbox, reported as migrated
        ob = open_outbox(location, migrate=True, existing=True)
        try:
            found, now = ob.migrated
            backup = getattr(ob, "backup", None)  # SQLite's copy; PostgreSQL: pg_dump first
            fold = getattr(ob, "fold_log", None)  # SQLite: the migration's log into the file, now
            if fold is not None and found != now:
                fold(f"migrated to schema version {now}" + (f" (the copy first: {backup})" if backup else ""))
        finally:
            ob.close()
        if to is not None and to != now:  # PostgreSQL's outbox has had one schema version
            raise UsageError(f"the PostgreSQL outbox has had schema version {now} only; --to {to} "
                             "is not a version it was ever at",
                             hint="every mailgitops that has a PostgreSQL outbox reads this one: roll "
                                  "back without migrating")
    shown = loc
    if postgresql:
        from mailgitops.dispatch.outbox_pg_schema import shown as redact

        shown = redact(shown)
    return {"outbox": shown, "found_version": found, "version": now, "changed": found != now,
            "backup": backup}
