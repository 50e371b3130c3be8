"""Make one planned message: render it, build its MIME message and serialise it to the bytes the
outbox stores and the server gets, with a Message-ID made once here and kept on every retry; or,
for a trigger an operator edits before sending, the draft."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailgitops.dispatch.delivery import DeliveryMode, Original
from mailgitops.dispatch.outbox import NewMessage
from mailgitops.errors import MailgitopsError
from mailgitops.jsonshape import obj
from mailgitops.jsonshape import text as json_text

if TYPE_CHECKING:
    from mailgitops.dispatch import rules
    from mailgitops.dispatch.attachments import FileRef
    from mailgitops.jsonshape import JsonObject
    from mailgitops.render.compiled import CompiledTemplates
    from mailgitops.render.mime import FileAttachment
    from mailgitops.settings import Settings


def new_message_id(sender_address: str) -> str:
    """Made once, at enqueue, and kept on every retry (RELIABILITY 3). No DNS lookup for the
    host name: the sender's domain identifies us."""
    domain = sender_address.rpartition("@")[2] or "mailgitops.invalid"
    return f"<{datetime.now(UTC):%Y%m%d%H%M%S}.{os.urandom(10).hex()}@{domain}>"


def attachment_files(refs: Sequence[FileRef]) -> list[FileAttachment]:
    from mailgitops.dispatch.attachments import read_attachment
    from mailgitops.filenames import distinct
    from mailgitops.render.mime import FileAttachment

    out = []
    for ref, name in zip(refs, distinct(ref.filename for ref in refs), strict=True):
        try:
            data = read_attachment(ref)
        except PermissionError as e:
            raise MailgitopsError(f"cannot read attachment {ref.path}: {e.strerror}; nothing was queued",
                                  hint="let the dispatcher's user read the attachments root") from e
        out.append(FileAttachment(name, ref.mime_type, data))
    return out


def compose(compiled: CompiledTemplates, settings: Settings, data: JsonObject, p: rules.Planned,
            mode: DeliveryMode, *, bundle_hash: str) -> NewMessage:
    """One planned message made ready to store: its final bytes with a new Message-ID, or for an
    edit-before-send trigger the draft an operator will edit. `compiled` is the bundle's templates
    (making them is what puts the bundle's locale data in use)."""
    from mailgitops.addresses import ascii_form
    from mailgitops.identity import Mailbox
    from mailgitops.render.context import build_context

    sender = Mailbox(p.sender[0], p.sender[1])
    ctx = build_context(data, recipient=p.person, order_url=p.order_url,
                        timezone=settings.workflow.timezone,
                        date_formats=settings.workflow.date_formats, namespaces=settings.namespaces,
                        sender=sender, webshop_name=p.webshop_name)
    message_id = new_message_id(sender.address)
    # redirect mode: the envelope and the headers name only the redirect address; the real
    # recipients travel in a banner and X-Original-To (rendered now for an email, at send
    # time for a draft)
    original = Original(p.to, p.cc, p.bcc) if mode.redirect else None
    to_pairs = ((None, mode.redirect),) if mode.redirect else p.to
    cc = () if mode.redirect else p.cc
    # the envelope carries each address as it travels without SMTPUTF8 (IDNA domains)
    to = tuple(ascii_form(a) for _, a in to_pairs)
    cc = tuple(ascii_form(a) for a in cc)
    envelope_from = ascii_form(sender.address)
    bcc = () if mode.redirect else tuple(ascii_form(a) for a in p.bcc)  # redirected: no hidden copies
    if p.draft:
        from mailgitops.dispatch.draft_shape import AttachmentRef, Draft, Redirected
        from mailgitops.render.email import draft_source

        subject, markdown = draft_source(compiled, p.template_id, p.lang, ctx)
        draft = Draft(
            subject, markdown, p.sender, to_pairs, printroom=ctx["printroom"],
            attachments=tuple(AttachmentRef(f.kind, f.path) for f in p.attachments),
            bundle_hash=bundle_hash, reply_to=p.reply_to,
            # what the console's inbox lists and searches by (the event itself is not kept)
            trigger=json_text(data["trigger"]), customer=json_text(obj(data.get("customer")).get("name")),
            order_number=json_text(obj(data.get("order")).get("number")),
            webshop=ctx.get("webshop"),  # the edited draft keeps the shop's look (its logo)
            redirected_from=Redirected(original.to, original.cc) if original else None)
        return NewMessage(p.role, p.lang, p.template_id, message_id, envelope_from, to, cc,
                          raw=None, draft=draft, status="draft", bcc=bcc)
    from mailgitops.render.email import render_email
    from mailgitops.render.mime import build_message
    from mailgitops.render.mime_bytes import serialise

    email = render_email(compiled, p.template_id, p.lang, ctx)
    if original:
        from mailgitops.dispatch.delivery import with_banner

        email = with_banner(email, mode, original)
    msg = build_message(email, sender=sender, to=to_pairs, cc=cc, message_id=message_id,
                        date=datetime.now(UTC), attachments=attachment_files(p.attachments),
                        extra_headers=original.headers() if original else (), reply_to=p.reply_to)
    raw, bodies = serialise(msg)
    return NewMessage(p.role, email.lang, p.template_id, message_id, envelope_from, to, cc,
                      raw=raw, bcc=bcc, bodies=None if bodies is None else tuple(bodies))
