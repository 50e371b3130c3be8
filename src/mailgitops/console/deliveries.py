"""The Deliveries page: every message, newest first, a page at a time, with a search that goes
through the whole outbox (in bounded steps, each page saying how far back it has looked)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import Response

from mailgitops.console import core_text, message, record
from mailgitops.console.web import Ctx
from mailgitops.dispatch.drafts import holds_draft
from mailgitops.dispatch.outbox import STATUSES, Outbox, Row

PAGE = 200  # messages on one page
BATCH = 500  # a search reads the outbox this many rows at a time
# one request of a search reads at most this many messages or for this long; the page then says
# how far back it looked and the Older link goes on from there (a search never hangs the console)
SCAN_ROWS = 50_000
SCAN_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]  # newest first
    older: int | None  # the cursor of the Older link (before=), None: nothing older
    newer: int | None  # the cursor of the Newer link (after=), None: this is the newest page
    stopped_at: int | None  # a search that stopped at its budget: it looked back to this id


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _scan(ob: Outbox, status: str | None, match: Callable[[Row], bool] | None, cursor: int | None,
          *, newer: bool) -> tuple[list[Row], int | None, bool, bool]:
    """Rows that match, from the cursor away from it (older, or with `newer` newer), up to a page:
    (found in scan order, the last id looked at, nothing left beyond it, stopped at the budget)."""
    size = BATCH if match is not None else PAGE + 1  # one more than a page: is there an older one?
    found: list[Row] = []
    read, started = 0, time.monotonic()
    while True:
        # newer: the next ids up, oldest first; older: the next ids down, newest first
        batch = (ob.rows(status, size, after=cursor) if newer
                 else ob.rows(status, size, newest=True, before=cursor)[::-1])
        for r in batch:
            if len(found) == PAGE:  # a page is full and one more row is there
                return found, cursor, False, False
            cursor, read = r.id, read + 1
            if match is None or match(r):
                found.append(r)
        if len(batch) < size:
            return found, cursor, True, False
        if read >= SCAN_ROWS or time.monotonic() - started >= SCAN_SECONDS:
            return found, cursor, False, True


def page(ob: Outbox, status: str | None, match: Callable[[Row], bool] | None,
         before: int | None, after: int | None) -> Page:
    """The page before (older than) or after (newer than) a cursor; neither: the newest."""
    if after is not None:
        found, last, end, _ = _scan(ob, status, match, after, newer=True)
        if not end:  # newer ones remain beyond this page
            return Page(found[::-1], found[0].id if found else after + 1, last, None)
        before = None  # it reached the newest: that is the first page
    found, last, end, budget = _scan(ob, status, match, before, newer=False)
    newer = None if before is None else (found[0].id if found else before - 1)
    return Page(found, None if end else last, newer, last if budget else None)


def _matches(query: str) -> Callable[[Row], bool]:
    q = query.strip().lower()

    def test(r: Row) -> bool:
        values = (r.draft.order_number if r.draft else None, message.subject_of(r), r.event_id,
                  *r.to, *r.cc, r.draft.customer if r.draft else None)
        return any(q in str(v).lower() for v in values if v)
    return test


def deliveries(ctx: Ctx) -> Response:
    outbox = ctx.console.service.dispatcher().outbox
    params = ctx.request.query_params
    status = params.get("status", "")
    status = status if status in STATUSES else ""
    order = params.get("order", "")[:100].strip()
    got = page(outbox, status or None, _matches(order) if order else None,
               _cursor(params.get("before")), _cursor(params.get("after")))
    keep = {k: v for k, v in (("status", status), ("order", order)) if v}
    links = {"older": f"/deliveries?{urlencode({**keep, 'before': got.older})}" if got.older else None,
             "newer": f"/deliveries?{urlencode({**keep, 'after': got.newer})}" if got.newer else None}
    stopped = outbox.get(got.stopped_at) if got.stopped_at is not None else None
    return ctx.page("deliveries.html", rows=[_shown(ctx, r) for r in got.rows], statuses=STATUSES,
                    chosen=status, order=order, counts=outbox.counts(), links=links,
                    stopped=({"id": stopped.id, "when": ctx.console.when(stopped.created_at)}
                             if stopped is not None else None),
                    active="deliveries")


def _shown(ctx: Ctx, r: Row) -> dict[str, object]:
    reason = message.reason(ctx, r)
    # said only when someone changed the email: the record's send or discard line alone is no edit
    # (it read "(changed by an operator)", a bracket after nothing, or after "discarded" as if edited)
    if r.draft is not None and any(h.what not in (record.SENT, record.DISCARDED) for h in r.draft.history):
        reason = "; ".join((*([reason] if reason else []), ctx._("changed by an operator")))
    if (damaged := r.damaged()) is not None:  # the row's own reason stays (a sent one: sent)
        marked = f"{ctx._('Damaged draft')}: {core_text.text(ctx.lang, damaged)}"
        reason = f"{reason}; {marked}" if reason else marked
    return {"id": r.id, "subject": message.subject_of(r), "to": list(r.to), "status": r.status,
            "reason": reason, "attempts": r.attempts, "is_draft": holds_draft(r),
            "next": ctx.console.when(r.next_attempt_at) if r.status in ("queued", "ambiguous") else "",
            "retryable": message.retryable(r), "try_now": message.try_now(r)}
