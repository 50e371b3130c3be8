"""The console's forms that change something: edit, preview, attach, send, discard, retry. Each
goes through dispatch/drafts.py (the same rules as the CLI and the API) and is recorded."""

from __future__ import annotations

import html

from starlette.responses import Response

from mailgitops.console import core_text, drafting, pages, record, uploads
from mailgitops.console.drafting import cc_addresses, split_cc
from mailgitops.console.message import retryable, try_now
from mailgitops.console.readable import readable
from mailgitops.console.web import Ctx, temporary
from mailgitops.dispatch import drafts
from mailgitops.dispatch.draft_record import recorder, state
from mailgitops.dispatch.draft_shape import Draft
from mailgitops.dispatch.outbox import Outbox, Row
from mailgitops.errors import ExitCode, MailgitopsError


def _who(ctx: Ctx) -> str:
    assert ctx.session is not None
    return ctx.session.operator.name


def _id(ctx: Ctx) -> int:
    return int(ctx.request.path_params["id"])


def _text(ctx: Ctx, name: str) -> str:
    return ctx.field(name).replace("\r\n", "\n").replace("\r", "\n")


def _refused(ctx: Ctx, e: MailgitopsError, field: tuple[str, ...] = ()) -> Response:
    """`field`: the editor's field the refusal is about, when the core's code does not say."""
    if e.exit_code == ExitCode.TEMPORARY:
        return ctx.refuse(503, "Not possible", temporary(ctx, e), back=f"/draft/{_id(ctx)}")
    return pages.draft(ctx, problem=core_text.text(ctx.lang, e), status=422,
                       invalid=FIELD_OF.get(e.code or "", field))


def _changes(ctx: Ctx) -> drafts.EditArgs:
    """The editor's fields as drafts.edit arguments; unchanged ones, and ones the form did not
    carry, stay None (no false record)."""
    row = drafting.get(ctx.console, _id(ctx))
    draft = row.draft if row else None
    carried = ctx.form if ctx.form is not None else {}
    subject, markdown = ctx.field("subject").strip(), _text(ctx, "message")
    out: drafts.EditArgs = {
        "subject": None if "subject" not in carried or (draft is not None and subject == draft.subject)
        else subject,
        # the editor shows the readable form; sent back unchanged it keeps the stored Markdown
        "markdown": None if "message" not in carried
        or (draft is not None and markdown == readable(draft.markdown)) else markdown,
    }
    if "cc" in carried and row is not None:  # the entries as typed: drafts.edit quotes a wrong one
        cc = split_cc(ctx.field("cc"))
        out["cc"] = cc if [drafts.cc_address(e) for e in cc] != list(row.cc) else None
    return out


def _save_typed(ctx: Ctx) -> None:
    """Every button on the draft page submits the editor: what was typed and not yet saved is
    stored first (one "edited" line), so Send, Upload and Remove never drop it."""
    changes = _changes(ctx)
    if any(v is not None for v in changes.values()):
        drafts.edit(ctx.console.service.dispatcher(), _id(ctx), **changes,
                    record=recorder(_who(ctx), "edited"))


# the editor's field a refusal from the core is about (the page marks it and puts the focus there)
FIELD_OF = {"cc-not-an-address": ("cc",), "cc-not-allowed": ("cc",), "subject-invalid": ("subject",),
            "body-invalid": ("message",)}
CC_CHANGED = ("The CC was changed after the confirmation named its addresses, so nothing was sent. Check "
              "the addresses the confirmation names now, tick the box again and send.")
CONFLICT = ("Someone changed this draft after you opened it, so nothing was changed. The page shows "
            "their version now; what you had typed is kept below the editor: copy what you need, then "
            "save or send again.")


def _stale(ctx: Ctx, required: bool = False) -> Response | None:
    """A tab opened before someone else's change must not write its old text over theirs: every
    form of the draft page carries the version it showed (Send must)."""
    row = drafting.get(ctx.console, _id(ctx))
    sent = ctx.field("version")
    if row is None or row.status != "draft" or (not sent and not required) or sent == drafting.version(row):
        return None
    return pages.draft(ctx, status=409, problem=ctx._(CONFLICT))


def save(ctx: Ctx) -> Response:
    if (gone := _gone_meanwhile(ctx, "save")) is not None:
        return gone
    if (stale := _stale(ctx)) is not None:
        return stale
    try:
        _save_typed(ctx)
    except MailgitopsError as e:
        return _gone_meanwhile(ctx, "save") or _refused(ctx, e)
    # a CC copied from a mail program (`Boss <boss@example.net>`) is saved as its address: say so
    named = ctx.form is not None and "cc" in ctx.form and drafts.named_cc(split_cc(ctx.field("cc")))
    return ctx.redirect(f"/draft/{_id(ctx)}", "saved-cc-name" if named else "saved")


def preview(ctx: Ctx) -> Response:
    """The edit as the email would look, into the preview frame; nothing is stored."""
    row = drafting.get(ctx.console, _id(ctx))
    if row is None:
        return pages.email_response(f"<p>{html.escape(ctx._('There is no such draft.'))}</p>")
    from mailgitops.render.email import one_line

    try:
        email = drafting.render(ctx.console, row, subject=one_line(ctx.field("subject")),
                                markdown=_text(ctx, "message"))
    except MailgitopsError as e:
        return pages.email_response(f"<p>{html.escape(core_text.text(ctx.lang, e))}</p>")
    return pages.email_response(drafting.email_document(email))


def upload(ctx: Ctx) -> Response:
    disp = ctx.console.service.dispatcher()
    if (gone := _gone_meanwhile(ctx, "upload")) is not None:
        return gone
    if (stale := _stale(ctx)) is not None:
        return stale
    taken = drafting.file_names(drafting.get(ctx.console, _id(ctx)))
    try:
        _save_typed(ctx)
        rel, notice = uploads.store(ctx, disp.attachments_root, _id(ctx), taken)
    except MailgitopsError as e:  # the file chosen (its type, size, none): on the file field
        return _gone_meanwhile(ctx, "upload") or _refused(ctx, e, ("file",))
    try:
        drafts.edit(disp, _id(ctx), attach=[rel], record=recorder(_who(ctx), "attached a file"))
    except MailgitopsError as e:
        uploads.remove(disp.attachments_root, rel)
        return _gone_meanwhile(ctx, "upload") or _refused(ctx, e)
    return ctx.redirect(f"/draft/{_id(ctx)}", notice)


def detach(ctx: Ctx) -> Response:
    disp = ctx.console.service.dispatcher()
    path = ctx.field("path")
    if (gone := _gone_meanwhile(ctx, "detach")) is not None:
        return gone
    row = drafting.get(ctx.console, _id(ctx))
    if row is None or row.draft is None or path not in row.draft.operator_attachments:
        return pages.draft(ctx, problem=ctx._("{path} is not attached to this draft").format(path=repr(path)),
                           status=422)
    if (stale := _stale(ctx)) is not None:
        return stale
    try:
        _save_typed(ctx)
        drafts.edit(disp, _id(ctx), detach=[path], record=recorder(_who(ctx), "removed a file"))
    except MailgitopsError as e:
        return _gone_meanwhile(ctx, "detach") or _refused(ctx, e)
    uploads.remove(disp.attachments_root, path)  # only this draft's own file, checked above
    return ctx.redirect(f"/draft/{_id(ctx)}", "detached")


def _send_record(ctx: Ctx) -> drafts.Recorder:
    """The history line and the diff, written into the draft in the last edit before it is queued."""
    log = recorder(_who(ctx), record.SENT)

    def hook(draft: Draft, before: Row, new_cc: list[str]) -> Draft:
        draft = log(draft, before, new_cc)
        original = draft.original or state(draft, new_cc)  # log keeps one: never the fallback
        rendered = drafting.sent_state(ctx.console, before, original)
        sent = drafting.sent_state(ctx.console, before, state(draft, new_cc))
        return draft._replace(diff=record.diff(rendered, sent), sent_by=_who(ctx))

    return hook


def send(ctx: Ctx) -> Response:
    """Once, however often it is pressed: one send at a time in this console, and drafts.send
    moves draft -> queued in one statement (against the CLI or another process too)."""
    with ctx.console.send_lock:  # a second click waits, then finds the draft queued
        return _send(ctx)


def _send(ctx: Ctx) -> Response:  # noqa: PLR0911 -- one answer per state a draft can be found in
    disp = ctx.console.service.dispatcher()
    row = drafting.get(ctx.console, _id(ctx))
    if row is None:
        return ctx.refuse(404, "Not found", ctx._("There is no such draft."))
    if row.status == "discarded":
        return _discarded_before(ctx, row, "send")
    if row.status != "draft":
        return _sent_before(ctx, row)
    if ctx.field("confirm") != "yes":
        return pages.draft(ctx, problem=ctx._("Tick the box to confirm."), status=422,
                           invalid=("confirm-send",))
    if (stale := _stale(ctx, required=True)) is not None:
        return stale
    if ctx.form is not None and "cc" in ctx.form and cc_addresses(ctx.field("cc")) != cc_addresses(
            ctx.field("confirmed_cc")):  # the tick confirmed other addresses than the editor holds
        return pages.draft(ctx, problem=ctx._(CC_CHANGED), status=422, invalid=("confirm-send",))
    try:
        _save_typed(ctx)  # what the editor shows is what is sent, saved or not
        drafts.edit(disp, row.id, record=_send_record(ctx))
        result = drafts.send(disp, row.id, deliver=False)
    except MailgitopsError as e:
        if (after := drafting.get(ctx.console, row.id)) is not None and after.status == "discarded":
            return _discarded_before(ctx, after, "send")
        if after is not None and after.status != "draft":
            return _sent_before(ctx, after)  # the other tab or click won
        return _refused(ctx, e)
    if result["already"] and (after := drafting.get(ctx.console, row.id)) is not None:
        return _sent_before(ctx, after)
    _winner_only(disp.outbox, row.id, _who(ctx))
    ctx.console.service.wake.set()
    return ctx.redirect(f"/draft/{row.id}", "sent")


# a tab opened before a colleague discarded the draft: in words of the button it pressed
DISCARDED_BY = {
    "send": "This draft was discarded by {who} at {when}, before your Send; nothing was sent. What you had "
            "typed is kept below.",
    "save": "This draft was discarded by {who} at {when}, before your Save; nothing was saved. What you had "
            "typed is kept below.",
    "upload": "This draft was discarded by {who} at {when}, before your Upload; no file was attached. What "
              "you had typed is kept below.",
    "detach": "This draft was discarded by {who} at {when}, before your Remove; no file was removed. What "
              "you had typed is kept below.",
}
# the same when `mailgitops drafts discard` discarded it: that writes no record to name them from
DISCARDED = {
    "send": "This draft was discarded before your Send; nothing was sent. What you had typed is kept below.",
    "save": "This draft was discarded before your Save; nothing was saved. What you had typed is kept below.",
    "upload": "This draft was discarded before your Upload; no file was attached. What you had typed is "
              "kept below.",
    "detach": "This draft was discarded before your Remove; no file was removed. What you had typed is kept "
              "below.",
}


def _discarded_before(ctx: Ctx, row: Row, pressed: str) -> Response:
    """A form from a tab opened before a colleague discarded the draft: not "Discarded" as if this
    tab had done it, nor "can no longer be edited" with the typing gone, but who did and when (the
    change record; `drafts discard` writes none), with the tab's typing kept to copy from."""
    done = pages.done_by(ctx, row, record.DISCARDED)
    problem = (ctx._(DISCARDED_BY[pressed]).format(who=done[0], when=done[1]) if done
               else ctx._(DISCARDED[pressed]))
    return pages.draft(ctx, problem=problem, status=409)


# Save, Upload or Remove from a tab opened before a colleague sent the draft (Send: _sent_before)
HANDED_OVER_BY = {
    "save": "This draft was handed over for sending by {who} at {when}, before your Save; nothing was saved. "
            "What you had typed is kept below.",
    "upload": "This draft was handed over for sending by {who} at {when}, before your Upload; no file was "
              "attached. What you had typed is kept below.",
    "detach": "This draft was handed over for sending by {who} at {when}, before your Remove; no file was "
              "removed. What you had typed is kept below.",
}
HANDED_OVER = {
    "save": "This draft was handed over for sending before your Save; nothing was saved. What you had typed "
            "is kept below.",
    "upload": "This draft was handed over for sending before your Upload; no file was attached. What you had "
              "typed is kept below.",
    "detach": "This draft was handed over for sending before your Remove; no file was removed. What you had "
              "typed is kept below.",
}


def _gone_meanwhile(ctx: Ctx, pressed: str) -> Response | None:
    """The answer for a draft found discarded or handed over for sending (before the form, or
    while it was being used): who did it and when, and the typing kept. A sent draft answered
    "Saved." to a Save with nothing new typed, and "already sent" with the typing lost to one with."""
    row = drafting.get(ctx.console, _id(ctx))
    if row is None or row.status == "draft":
        return None
    if row.status == "discarded":
        return _discarded_before(ctx, row, pressed)
    done = pages.done_by(ctx, row, record.SENT)
    problem = (ctx._(HANDED_OVER_BY[pressed]).format(who=done[0], when=done[1]) if done
               else ctx._(HANDED_OVER[pressed]))
    return pages.draft(ctx, problem=problem, status=409)


SENT_BY = ("This draft was handed over for sending by {who} at {when}, before your Send; nothing was queued "
           "twice. What you had typed differs from what was sent and is kept below.")
SENT = ("This draft was handed over for sending before your Send; nothing was queued twice. What you had "
        "typed differs from what was sent and is kept below.")


def _sent_before(ctx: Ctx, row: Row) -> Response:
    """A Send that finds the draft already handed over (by a colleague, another tab, or the first of
    a double click): nothing is queued twice. When this tab had typed something else, that is kept
    below to copy from, with who sent it and when; else the page says so (pages.draft: ALREADY_BY)."""
    if any(v is not None for v in _changes(ctx).values()):
        done = pages.done_by(ctx, row, record.SENT)
        problem = ctx._(SENT_BY).format(who=done[0], when=done[1]) if done else ctx._(SENT)
        return pages.draft(ctx, problem=problem, status=409)
    return ctx.redirect(f"/draft/{row.id}", "already")


def _winner_only(outbox: Outbox, row_id: int, who: str) -> None:
    """Two clicks (or two operators) pressing Send together each write a record before one queue
    wins: keep one line, the winner's (the row is queued now, so this write races no other send)."""
    row = outbox.get(row_id)
    if row is None or row.draft is None:
        return
    draft = row.draft
    sent = [h for h in draft.history if h.what == record.SENT]
    if len(sent) > 1 or draft.sent_by != who:
        mine = [h for h in sent if h.who == who][-1:]
        kept = (*(h for h in draft.history if h.what != record.SENT), *mine)
        outbox.update(row_id, None, draft=draft._replace(history=kept, sent_by=who))


def discard(ctx: Ctx) -> Response:
    disp = ctx.console.service.dispatcher()
    row = drafting.get(ctx.console, _id(ctx))
    if row is None:
        return ctx.refuse(404, "Not found", ctx._("There is no such draft."))
    if row.status != "draft":
        return ctx.redirect(f"/draft/{row.id}", "discarded" if row.status == "discarded" else "already")
    if ctx.field("confirm") != "yes":
        return pages.draft(ctx, problem=ctx._("Tick the box to confirm."), status=422,
                           invalid=("confirm-discard",))
    try:
        drafts.edit(disp, row.id, record=recorder(_who(ctx), record.DISCARDED))
        drafts.discard(disp.outbox, row.id, disp.attachments_root)
    except MailgitopsError as e:
        return _refused(ctx, e)
    return ctx.redirect(f"/draft/{row.id}", "discarded")


def retry(ctx: Ctx) -> Response:
    outbox = ctx.console.service.dispatcher().outbox
    row = outbox.get(_id(ctx))
    if row is None or not (retryable(row) or try_now(row)) or not outbox.retry(row.id):
        return ctx.refuse(409, "Not possible", ctx._("This message cannot be retried now."),
                          back="/deliveries")
    ctx.console.service.wake.set()
    return ctx.redirect("/deliveries", "retried")
