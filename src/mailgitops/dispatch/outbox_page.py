"""One page of the outbox next to a cursor (a row id), for both backends: what the console's
Deliveries pages through. The cursor is the id, never an OFFSET: an OFFSET shifts by one for
every message that arrives while an operator reads, so a page would repeat or skip rows.

Kept apart from outbox_sqlite.py and outbox_pg.py (both changing elsewhere); each backend's part
may become a `rows_page` method of its class and of the `Outbox` protocol."""

from __future__ import annotations

from mailgitops.dispatch.outbox import Outbox, Row


def rows_page(ob: Outbox, status: str | None, *, before: int | None = None, after: int | None = None,
              limit: int) -> list[Row]:
    """Up to `limit` rows (of `status`, or any) with id < `before` (the newest such first), or,
    with `after`, with id > `after` (the oldest such first: the ones next to the cursor). Neither:
    the newest rows, newest first."""
    from mailgitops.dispatch.outbox_sqlite import SqliteOutbox

    if isinstance(ob, SqliteOutbox):
        return _sqlite(ob, status, before, after, limit)
    if type(ob).__module__ == "mailgitops.dispatch.outbox_pg":  # not imported: psycopg is an extra
        return _pg(ob, status, before, after, limit)
    return _any(ob, status, before, after, limit)


def _where(status: str | None, before: int | None, after: int | None, mark: str) -> tuple[str, list[object]]:
    parts: list[str] = []
    params: list[object] = []
    if status is not None:
        parts.append(f"status={mark}")
        params.append(status)
    if after is not None:
        parts.append(f"id>{mark}")
        params.append(after)
    elif before is not None:
        parts.append(f"id<{mark}")
        params.append(before)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _sqlite(ob: object, status: str | None, before: int | None, after: int | None, limit: int) -> list[Row]:
    from mailgitops.dispatch.outbox_sqlite import SqliteOutbox

    assert isinstance(ob, SqliteOutbox)
    where, params = _where(status, before, after, "?")
    order = "ASC" if after is not None else "DESC"
    with ob.readers.read() as db:
        # fixed text: the WHERE names only placeholders, the order is one of two literals
        got = db.execute(f"SELECT * FROM messages{where} ORDER BY id {order} LIMIT ?",  # noqa: S608
                         (*params, limit))
        return [ob._row(r, db) for r in got]


def _pg(ob: object, status: str | None, before: int | None, after: int | None, limit: int) -> list[Row]:
    from mailgitops.dispatch.outbox_pg import PgOutbox

    assert isinstance(ob, PgOutbox)
    where, params = _where(status, before, after, "%s")
    order = "ASC" if after is not None else "DESC"
    with ob._conn() as conn:
        got = conn.execute(f"SELECT * FROM messages{where} ORDER BY id {order} LIMIT %s",  # noqa: S608 -- as above
                           (*params, limit)).fetchall()
        return [ob._join(conn, r) for r in got]


def _any(ob: Outbox, status: str | None, before: int | None, after: int | None, limit: int) -> list[Row]:
    """Another backend: through the protocol's `rows` (reads more than it keeps)."""
    rows = ob.rows(status, 1_000_000, newest=True)  # oldest first
    if after is not None:
        return [r for r in rows if r.id > after][:limit]
    return [r for r in reversed(rows) if before is None or r.id < before][:limit]
