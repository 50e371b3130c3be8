"""The WHERE of a page of the outbox next to a cursor (a row id), for both backends' `rows`: what
the console's Deliveries pages through. The cursor is the id, never an OFFSET: an OFFSET shifts
by one for every message that arrives while an operator reads, so a page would repeat or skip
rows."""

from __future__ import annotations


def page_where(status: str | None, before: int | None, after: int | None,
               mark: str) -> tuple[str, list[object]]:
    """(" WHERE ..." or "", its parameters): rows of `status` (or any), with id below `before`
    or above `after`; `mark` is the backend's placeholder (? or %s)."""
    parts: list[str] = []
    params: list[object] = []
    if status is not None:
        parts.append(f"status={mark}")
        params.append(status)
    if after is not None:
        parts.append(f"id>{mark}")
        params.append(after)
    if before is not None:
        parts.append(f"id<{mark}")
        params.append(before)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params
