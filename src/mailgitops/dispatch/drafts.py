"""Edit-before-send: list, show, edit, send and discard drafts.

A draft is never sent by itself. Sending renders the operator's Markdown through the layout and
moves the row draft -> queued in one statement, so two clicks (or two operators) send once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from mailgitops.addresses import with_name
from mailgitops.dispatch import rules
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.attachments import FileRef, resolve_attachment
from mailgitops.dispatch.compose import attachment_files
from mailgitops.dispatch.delivery import DeliveryMode, Original, envelope_allowed, with_banner
from mailgitops.dispatch.draft_shape import AttachmentRef, Draft
from mailgitops.dispatch.outbox import Outbox, Row
from mailgitops.dispatch.outcome import row_status
from mailgitops.errors import MailgitopsError

if TYPE_CHECKING:
    from mailgitops.jsonshape import JsonDict

MAX_SUBJECT = 300
MAX_MARKDOWN = 200_000
# The console's change record (console/record.py): sees the edited draft, the row before and the
# new CC, and gives the draft to store, so both are written in the one write
Recorder = Callable[[Draft, Row, list[str]], Draft]


class EditArgs(TypedDict, total=False):
    """What `edit` takes from a console form or an API request; a field left out (or None) stays."""

    subject: str | None
    markdown: str | None
    cc: Sequence[str] | None
    attach: Sequence[str]
    detach: Sequence[str]


def draft_context(draft: Draft) -> dict[str, object]:
    """What an edited draft is rendered with: the print room (its footer) and the webshop (its logo)."""
    shop = {"webshop": draft.webshop} if draft.webshop is not None else {}
    return {"printroom": draft.printroom, **shop}


def draft_of(row: Row) -> Draft:
    """The draft of a row found as a draft (the outbox keeps it after it is sent or discarded); a
    damaged record is refused here, naming the row and the key, before anything is rendered or sent."""
    if (damaged := row.damaged()) is not None:
        raise damaged
    if row.draft is None:
        raise MailgitopsError(f"there is no draft {row.id}", hint="see `mailgitops drafts list`",
                              code="draft-missing", values={"id": row.id})
    return row.draft


def _get(outbox: Outbox, draft_id: int) -> tuple[Row, Draft]:
    row = outbox.get(draft_id)
    if row is None:
        raise MailgitopsError(f"there is no draft {draft_id}", hint="see `mailgitops drafts list`",
                              code="draft-missing", values={"id": draft_id})
    return row, draft_of(row)


def summary(row: Row) -> JsonDict:
    status, reason = row_status(row)
    if (error := row.damaged()) is not None:  # not "waiting for an operator: send it": it is refused
        reason = error.message
    return {"id": row.id, "event_id": row.event_id, "role": row.role, "to": list(row.to), "cc": list(row.cc),
            "language": row.lang, "template": row.template_id,
            "subject": row.draft.subject if row.draft else None,
            "status": status, "reason": reason, "message_id": row.message_id,
            # the bundle the draft was made with (its text and template); sending renders it in the
            # layout of the bundle running then
            "bundle_hash": row.draft.bundle_hash if row.draft else None,
            "draft_damaged": row.damaged_json()}


def holds_draft(row: Row) -> bool:
    """A row made as a draft: one whose record is damaged is one too, listed and marked."""
    return row.draft is not None or row.draft_problem is not None


def list_drafts(outbox: Outbox, *, include_done: bool = False) -> list[JsonDict]:
    rows = [r for r in outbox.rows(limit=100_000) if holds_draft(r)]
    return [summary(r) for r in rows if include_done or r.status == "draft"]


def show(outbox: Outbox, draft_id: int) -> JsonDict:
    row, draft = _get(outbox, draft_id)
    stored = draft.to_json()  # the change record, where there is one (docs/console.md)
    record: JsonDict = {k: stored[k] for k in ("original", "history", "diff", "sent_by") if k in stored}
    return {**summary(row), "markdown": draft.markdown,
            "attachments": [{"kind": a.kind, "path": a.path} for a in draft.attachments],
            "operator_attachments": list(draft.operator_attachments), **record}


def cc_address(entry: str) -> str:
    """A CC entry as the address it is for: `Boss <boss@example.net>`, as copied from a mail
    program, is boss@example.net. The outbox and the Cc header keep addresses only, so the name
    is left out (`named_cc` finds the entries that had one, to say so)."""
    named = with_name(entry)
    return named[1] if named is not None else entry


def named_cc(entries: Sequence[str]) -> list[str]:
    """The CC entries written with a display name, which `cc_address` leaves out."""
    return [e for e in entries if (named := with_name(e)) is not None and named[0]]


def _check_cc(entries: Sequence[str]) -> list[str]:
    """The CC addresses of the console's field, `drafts edit --cc` and the API's `cc` alike: each
    entry one address, bare or with a name (`cc_address`); a refusal quotes the entry as given."""
    bad = [e for e in entries if not rules.single_address(cc_address(e))]
    if bad:
        shown = ", ".join(map(repr, bad))
        raise MailgitopsError(f"not a single email address: {shown}",
                              hint="give each CC address on its own, like name@example.com or "
                                   "Name <name@example.com>",
                              code="cc-not-an-address", values={"addresses": shown})
    return list(dict.fromkeys(cc_address(e) for e in entries))


def _with_text(draft: Draft, subject: str | None, markdown: str | None) -> Draft:
    if subject is not None:
        if not subject.strip() or len(subject) > MAX_SUBJECT or any(c in subject for c in "\r\n\x00"):
            raise MailgitopsError("the subject must be one non-empty line of at most "
                                  f"{MAX_SUBJECT} characters", code="subject-invalid",
                                  values={"max": MAX_SUBJECT})
        draft = draft._replace(subject=subject.strip())
    if markdown is not None:
        if len(markdown) > MAX_MARKDOWN or "\x00" in markdown:
            raise MailgitopsError(f"the body must be text of at most {MAX_MARKDOWN:,} characters",
                                  code="body-invalid", values={"max": f"{MAX_MARKDOWN:,}"})
        draft = draft._replace(markdown=markdown)
    return draft


def edit(dispatcher: Dispatcher, draft_id: int, *, subject: str | None = None, markdown: str | None = None,
         cc: Sequence[str] | None = None, attach: Sequence[str] = (), detach: Sequence[str] = (),
         record: Recorder | None = None) -> Row:
    """Change what the operator may change: CC only when smtp.yaml allows it, extra files only
    when workflow.yaml does. `record` may add the change record before the one write."""
    outbox = dispatcher.outbox
    row, draft = _get(outbox, draft_id)
    if row.status != "draft":
        raise MailgitopsError(f"draft {draft_id} is already {row.status}; it can no longer be edited",
                              code="draft-not-editable", values={"id": draft_id, "status": row.status})
    found = edit_problems(dispatcher, draft, subject=subject, markdown=markdown, cc=cc, attach=attach,
                          detach=detach)
    if found:
        raise found[0][1]  # the first; `edit_problems` has them all (HTTP names every one)
    draft = _with_text(draft, subject, markdown)
    new_cc = list(row.cc) if cc is None else _check_cc(cc)
    if attach or detach:
        extra = [p for p in draft.operator_attachments if p not in detach]
        draft = draft._replace(operator_attachments=tuple(dict.fromkeys([*extra, *attach])))
    if record is not None:
        draft = record(draft, row, new_cc)
    if not outbox.set_draft(draft_id, draft, new_cc):
        raise MailgitopsError(f"draft {draft_id} was sent or discarded meanwhile; nothing was changed",
                              code="draft-gone-meanwhile", values={"id": draft_id})
    return _get(outbox, draft_id)[0]


def edit_problems(dispatcher: Dispatcher, draft: Draft, *, subject: str | None = None,
                  markdown: str | None = None, cc: Sequence[str] | None = None, attach: Sequence[str] = (),
                  detach: Sequence[str] = ()) -> list[tuple[str, MailgitopsError]]:
    """Every reason `edit` would refuse these changes, each with the request field it is about
    (`$.subject`, `$.cc[1]`, `$.attach[0]`): one answer names them all."""
    settings = dispatcher.settings
    found: list[tuple[str, MailgitopsError]] = []
    for path, text in (("$.subject", (subject, None)), ("$.body", (None, markdown))):
        try:
            _with_text(draft, *text)
        except MailgitopsError as e:
            found.append((path, e))
    if cc is not None and not settings.smtp.allow_operator_cc:
        found.append(("$.cc", MailgitopsError("operators may not change CC addresses",
                                              hint="set allow_operator_cc: true in config/smtp.yaml",
                                              code="cc-not-allowed")))
    elif cc is not None:
        for i, address in enumerate(cc):
            try:
                _check_cc([address])
            except MailgitopsError as e:
                found.append((f"$.cc[{i}]", e))
    if (attach or detach) and not settings.workflow.allow_operator_attachments:
        found.append(("$.attach", MailgitopsError(
            "operators may not attach files",
            hint="set allow_operator_attachments: true in config/workflow.yaml", code="attach-not-allowed")))
    elif attach:
        for i, rel in enumerate(attach):
            got = resolve_attachment(dispatcher.attachments_root, "operator", rel, rel,
                                           settings.smtp.limits.max_attachment_bytes)
            if not isinstance(got, FileRef):
                found.append((f"$.attach[{i}]", MailgitopsError(got.message, hint=got.hint, code=got.code,
                                                                values={"path": repr(rel)})))
    return found


def _delivery_of(dispatcher: Dispatcher) -> JsonDict:
    """The delivery mode for an answer that sends nothing: given when one is set (serve always
    has one), left out when not (a command that only reports needs none)."""
    from mailgitops.errors import UsageError

    try:
        return {"delivery": str(dispatcher.delivery())}
    except UsageError:
        return {}


def send(dispatcher: Dispatcher, draft_id: int, *, deliver: bool = True) -> JsonDict:
    """Render through the layout and queue once; a second call reports the state, sends nothing."""
    from mailgitops.identity import Mailbox
    from mailgitops.render.email import render_markdown
    from mailgitops.render.mime import build_message

    outbox = dispatcher.outbox
    row, draft = _get(outbox, draft_id)
    if row.status != "draft":  # sent before: the same answer as the first time, nothing sent now
        return {**summary(row), "already": True, **_delivery_of(dispatcher)}
    mode = dispatcher.delivery()  # no delivery mode: refused before anything is rendered or queued
    if not envelope_allowed(mode, [*row.to, *row.cc, *row.bcc]):
        made_for = ", ".join([*row.to, *row.cc])
        raise MailgitopsError(f"draft {draft_id} was made for {made_for} while this "
                              f"installation delivered in production; it now delivers in {mode} mode, "
                              "so it is not sent",
                              hint="discard it, or send it once in production mode again",
                              code="draft-made-in-production",
                              values={"id": draft_id, "addresses": made_for, "mode": str(mode)})
    refs = []
    extra = [AttachmentRef("operator", p) for p in draft.operator_attachments]
    for i, a in enumerate([*draft.attachments, *extra]):
        got = resolve_attachment(dispatcher.attachments_root, a.kind, a.path, f"attachments[{i}]",
                                       dispatcher.settings.smtp.limits.max_attachment_bytes)
        if not isinstance(got, FileRef):
            raise MailgitopsError(f"draft {draft_id} cannot be sent: {got.message}", hint=got.hint,
                                  code=got.code, values={"path": repr(a.path)})
        refs.append(got)
    email = render_markdown(dispatcher.compiled, row.template_id, row.lang, draft.subject,
                            draft.markdown, context=draft_context(draft))
    headers: list[tuple[str, str]] = []
    if (was := draft.redirected_from) is not None:  # made in redirect mode: to the redirect address
        original = Original(was.to, was.cc, ())
        email = with_banner(email, DeliveryMode(row.to[0]), original)
        headers = original.headers()
    msg = build_message(email, sender=Mailbox(*draft.sender), to=draft.to, cc=row.cc,
                        message_id=row.message_id, date=datetime.now(UTC),
                        attachments=attachment_files(refs), extra_headers=headers,
                        reply_to=draft.reply_to)
    if not outbox.queue_draft(draft_id, msg.as_bytes(), [*row.to, *row.cc, *row.bcc], row.cc):
        return {**summary(_get(outbox, draft_id)[0]), "already": True, "delivery": str(mode)}
    if deliver:
        dispatcher.sender.flush(ids=[draft_id])
    return {**summary(_get(outbox, draft_id)[0]), "already": False, "delivery": str(mode)}


def discard(outbox: Outbox, draft_id: int, attachments_root: Path | None = None) -> JsonDict:
    """The draft is never sent; the files an operator attached to it in the console (under
    `attachments_root`) are removed with it: a customer's file kept for nothing."""
    row = _get(outbox, draft_id)[0]
    if row.status != "draft":
        raise MailgitopsError(f"draft {draft_id} is already {row.status}; it cannot be discarded",
                              code="draft-not-discardable", values={"id": draft_id, "status": row.status})
    if outbox.discard_draft(draft_id) and attachments_root is not None:
        from mailgitops.dispatch.forget import remove_uploads

        remove_uploads(attachments_root, draft_id)
    return summary(_get(outbox, draft_id)[0])  # lost to a concurrent send or discard: it says which
