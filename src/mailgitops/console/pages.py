"""The console's pages that only read: the drafts inbox, one draft, its email (Deliveries: deliveries.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse, Response

from mailgitops.console import core_text, drafting, i18n, message, record
from mailgitops.console.drafting import cc_addresses
from mailgitops.console.web import EMAIL_CSP, NOTICES, Ctx, headers
from mailgitops.dispatch.outbox import Row


def _order_matches(query: str, *values: str | None) -> bool:
    q = query.strip().lower()
    return any(q in str(v).lower() for v in values if v)


def inbox(ctx: Ctx) -> Response:
    outbox = ctx.console.service.dispatcher().outbox
    order = ctx.request.query_params.get("order", "")[:100]
    rows = outbox.rows("draft", 100_000, newest=True)[::-1]  # newest first
    drafts = []
    for r in rows:
        if (damaged := r.damaged()) is not None and not order:  # listed, marked, with the fix
            said, hint = core_text.parts(ctx.lang, damaged)
            drafts.append({"id": r.id, "order": None, "trigger": r.template_id, "customer": None,
                           "language": r.lang, "subject": None, "damaged": said, "hint": hint,
                           "age": drafting.age(ctx._, r.created_at),
                           "created_iso": ctx.console.when(r.created_at)})
        d = r.draft
        # an operator looks a draft up by what the customer said on the phone: order, name or address
        if d is None or (order and not _order_matches(order, d.order_number, d.customer, d.subject,
                                                      *r.to, *(a for _, a in d.to))):
            continue
        drafts.append({"id": r.id, "order": d.order_number,
                       "trigger": i18n.trigger_name(ctx.lang, d.trigger or r.template_id),
                       "trigger_key": d.trigger or r.template_id,
                       "customer": drafting.shown_name(d.customer) if d.customer else d.customer,
                       "language": r.lang, "subject": d.subject,
                       "age": drafting.age(ctx._, r.created_at),
                       "created_iso": ctx.console.when(r.created_at)})
    return ctx.page("inbox.html", drafts=drafts, order=order, active="drafts")


def draft(ctx: Ctx, *, problem: str | None = None, status: int = 200, draft_id: int | None = None,
          kept: dict[str, str] | None = None, invalid: tuple[str, ...] = ()) -> Response:
    """The draft page; `kept`: what the editor held when the session ended, carried through the
    sign-in (`draft_id` then, the request being the sign-in's)."""
    if draft_id is None:
        draft_id = int(ctx.request.path_params["id"])
    row = drafting.get(ctx.console, draft_id)
    if row is None:
        if ctx.request.method == "GET" and ctx.console.service.dispatcher().outbox.get(
                draft_id) is not None:  # a message, never a draft: its page
            return ctx.redirect(f"/deliveries/{draft_id}")
        return ctx.refuse(404, "Not found", ctx._("There is no such draft."))
    if (damaged := row.damaged()) is not None:  # nothing to show or send: the error and its fix
        return ctx.refuse(422, "Damaged draft", core_text.text(ctx.lang, damaged))
    email = drafting.render(ctx.console, row)
    d = drafting.view(ctx.console, row, email, ctx.lang)
    d["reason"] = message.reason(ctx, row) if row.status != "draft" else None  # in the operator's words
    # a refused form keeps what was typed; after someone else's change (409) the editor shows
    # theirs (sent back untouched, a stale tab's text would undo it) and the typing is kept apart
    if problem is not None and ctx.form is not None:
        # (a 409 keeps it for a draft no longer editable too: a colleague discarded it meanwhile)
        typed = _typed(ctx, row.status == "draft" or status == 409)
        d |= typed if status != 409 else {"mine": _mine(typed)}
        if status != 409 and "cc_typed" in typed:  # the confirmation names the CC the editor holds
            d["confirm_cc"] = cc_addresses(str(typed["cc_typed"]))
    notice: dict[str, object] = {}
    if ctx.request.query_params.get("notice") == "already" and (sent := done_by(ctx, row, record.SENT)):
        # the second Send (a colleague's, or a double click): who handed it over, and when
        notice = {"notice": ctx._(ALREADY_BY).format(who=sent[0], when=sent[1])}
    if kept is not None:
        typed = {**({"subject_typed": kept["subject"]} if "subject" in kept else {}),
                 **({"markdown": kept["message"].replace("\r\n", "\n")} if "message" in kept else {}),
                 **({"cc_typed": kept["cc"]} if "cc" in kept else {})}
        if row.status == "draft" and kept.get("version") == drafting.version(row):
            d |= typed
            if "cc_typed" in typed:
                d["confirm_cc"] = cc_addresses(str(typed["cc_typed"]))
        else:  # changed meanwhile: theirs in the editor, the typing below it to copy from
            d["mine"] = _mine(typed)
        notice = {"notice": ctx._(NOTICES["typing-back"]), "notice_warns": True}
    return ctx.page("draft.html", status, d=d, problem=problem, invalid=invalid,
                    active="drafts", accept=", ".join(_types()), max_upload="20 MB", **notice)


ALREADY_BY = "This draft was already handed over for sending by {who} at {when}; nothing was queued twice."


def done_by(ctx: Ctx, row: Row, what: str) -> tuple[str, str] | None:
    """Who did `what` to the draft last and when (as an operator reads the time), from its change
    record; None when nobody recorded it (the command line writes no record)."""
    done = [h for h in (row.draft.history if row.draft else ()) if h.what == what]
    return (done[-1].who, ctx.console.shown(ctx.console.when(done[-1].when))) if done else None


def _typed(ctx: Ctx, editable: bool) -> dict[str, object]:
    if not editable or ctx.form is None:
        return {}
    out: dict[str, object] = {}
    if "subject" in ctx.form:
        out["subject_typed"] = ctx.field("subject")
    if "message" in ctx.form:
        out["markdown"] = ctx.field("message").replace("\r\n", "\n")
    if "cc" in ctx.form:
        out["cc_typed"] = ctx.field("cc")
    return out


def _mine(typed: dict[str, object]) -> dict[str, object]:
    return {"subject": typed.get("subject_typed", ""), "message": typed.get("markdown", ""),
            "cc": typed.get("cc_typed", "")}


@cache
def _types() -> tuple[str, ...]:
    from mailgitops.dispatch.attachments import ATTACHMENT_TYPES

    return tuple(sorted(ATTACHMENT_TYPES))


def email_response(html: str) -> Response:
    """The email's HTML for the sandboxed frame: its own policy, no script, framed by us only."""
    return HTMLResponse(html, headers=headers(EMAIL_CSP, frame="SAMEORIGIN"))


def email_html(ctx: Ctx) -> Response:
    row = drafting.get(ctx.console, int(ctx.request.path_params["id"]))
    if row is None:
        return ctx.refuse(404, "Not found", ctx._("There is no such draft."))
    return email_response(drafting.email_document(drafting.render(ctx.console, row)))


_STATIC = {"console.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}


def static(ctx: Ctx) -> Response:
    name = str(ctx.request.path_params["name"])
    if name not in _STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    body = (Path(__file__).parent / "static" / name).read_bytes()
    return Response(body, media_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})


# the console's icon, an envelope: every page links it, and a browser asks /favicon.ico by itself
# for an answer without a page around it; without it each page load logged a 404 in its console
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="7" width="28" '
        'height="18" rx="2" fill="#1f4e79"/><path d="M3 9l13 9 13-9" fill="none" stroke="#fff" '
        'stroke-width="2"/></svg>')


def favicon(ctx: Ctx) -> Response:
    return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def not_found(ctx: Ctx) -> Response:
    """A console address nobody serves. A browser (it asks for HTML) gets the console's own page,
    in the operator's language, with the way back to the inbox, where it showed the API's JSON;
    any other client gets the plain 404 that serve answers with its JSON (an integrator's
    mistyped endpoint)."""
    if "text/html" not in ctx.request.headers.get("accept", ""):
        return Response("not found", status_code=404, media_type="text/plain")
    return ctx.refuse(404, "Not found", ctx._("There is no such page."))
