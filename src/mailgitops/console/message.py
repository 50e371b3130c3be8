"""One message of the Deliveries page: its state, each recipient's result as the server gave it,
and what the operator can do about a recipient that was refused."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from starlette.responses import Response

from mailgitops.console import replies
from mailgitops.console.web import Ctx
from mailgitops.dispatch.drafts import holds_draft
from mailgitops.dispatch.forget import FORGOTTEN
from mailgitops.dispatch.outbox import Row

RETRYABLE = ("failed", "expired", "ambiguous")


def retryable(row: Row) -> bool:
    return row.status in RETRYABLE


def try_now(row: Row) -> bool:
    """A message the server put off waits for its next attempt, minutes away after a few: once
    the server is back an operator need not wait for it."""
    return row.status == "queued" and row.attempts > 0
# what to do, per recipient result: the words an operator acts on, not the server's code
TODO = {
    "refused": "The receiving server refused this address, and Retry would send to the same address "
               "again. Check the address with the customer (by phone, say), correct it in the order "
               "system, and tell them yourself what this email said.",
    "bounced": "Accepted first, then returned as undeliverable. Check the address with the customer.",
    "deferred": "Not delivered yet; it is tried again by itself at the next attempt.",
}


def subject_of(row: Row) -> str:
    if row.draft is not None:
        return row.draft.subject
    if not row.raw:
        return ""
    head = BytesHeaderParser(policy=default_policy).parsebytes(row.raw)
    return str(head.get("subject", ""))


def reason(ctx: Ctx, row: Row) -> str | None:
    """The row's reason in the operator's language, made from the row's state as outcome.row_status
    makes it in English (test_console_reasons.py keeps the two in step); a draft waits for an
    operator (the CLI's command the API names means nothing here). What a server or the sender
    said (last_error) is shown as said."""
    _ = ctx._
    said = replies.reason(_, row.last_error, row.recipients) if row.last_error else None
    if row.status == "draft":
        return _("waiting for an operator")
    if row.status == "sent":
        notes = [_("refused by the server for some recipients: {reply}").format(reply=said)] if said else []
        notes += [_("bounced later for {address}: {reply}").format(
                      address=r["address"], reply=f"{r.get('status') or ''} {r.get('text') or ''}".strip())
                  for r in row.recipients if r.get("result") == "bounced"]
        return "; ".join(notes) or None
    if row.status in ("queued", "sending", "ambiguous"):
        return said or _("waiting to be sent")
    if row.status == "discarded":
        return _("the operator discarded the draft")
    if row.status in ("expired", "corrupt"):
        return f"{_(row.status)}: {said}"
    return said


def _recipients(ctx: Ctx, row: Row) -> list[dict[str, str]]:
    out = []
    for r in row.recipients:
        result = str(r.get("result") or "")
        code = r.get("code") or r.get("status") or ""
        text = str(r.get("text") or "")
        if row.status in ("draft", "discarded") and result in ("deferred", "discarded"):
            # nothing was tried, and nothing goes by itself: "tried again at the next attempt"
            # said a discarded email would still go out (an operator's walk). A draft discarded
            # before its recipients were recorded as discarded reads the same
            result = row.status
            text = (ctx._("waiting for an operator") if row.status == "draft"
                    else ctx._("the operator discarded the draft"))
        elif not code:  # no server said it (a connection that failed, nothing tried yet): our words
            text = replies.ours(ctx._, text)
        elif (gave_up := replies.GAVE_UP.fullmatch(text)) is not None:  # the server's words alone
            text = gave_up["rest"]
        address = str(r.get("address", ""))
        if address == FORGOTTEN:  # `outbox forget` took it: that, in the operator's words
            address = ctx._(FORGOTTEN)
        out.append({"address": address, "kind": str(r.get("kind", "")).upper(),
                    "result": result, "reply": f"{code} {text}".strip(),
                    "todo": ctx._(TODO[result]) if result in TODO else ""})
    return out


def message(ctx: Ctx) -> Response:
    row = ctx.console.service.dispatcher().outbox.get(int(ctx.request.path_params["id"]))
    if row is None:
        return ctx.refuse(404, "Not found", ctx._("There is no such message."), back="/deliveries")
    when = ctx.console.when
    waiting = row.status in ("draft", "queued", "ambiguous")
    m = {"id": row.id, "subject": subject_of(row), "status": row.status, "reason": reason(ctx, row),
         "attempts": row.attempts, "since": when(row.created_at) if waiting else "",
         "sent": when(row.sent_at),
         "next": when(row.next_attempt_at) if row.status in ("queued", "ambiguous") else "",
         "is_draft": holds_draft(row),
         "retryable": retryable(row), "try_now": try_now(row), "recipients": _recipients(ctx, row),
         "event_id": row.event_id, "order": row.draft.order_number if row.draft else None}
    return ctx.page("message.html", m=m, active="deliveries")
