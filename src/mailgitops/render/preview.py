"""One email rendered from a sample, exactly as it would be sent (fixed Date and Message-ID):
what `render` writes, `validate` lints and the snapshots compare."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Any

from mailgitops.addresses import unique
from mailgitops.model import Mailbox, Repo, Sample
from mailgitops.people import people
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.context import build_context
from mailgitops.render.email import RenderedEmail, render_email, resolve_lang
from mailgitops.render.mime import FileAttachment, build_message

SAMPLE_FILES = "config/samples/files"
FALLBACK_SAMPLE = "flyers"
PREVIEW_DATE = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Preview:
    template: str
    lang: str
    sample: str
    email: RenderedEmail
    message: EmailMessage
    warnings: tuple[str, ...]


def default_sample(repo: Repo, template_id: str, lang: str | None = None) -> str:
    """The first sample whose trigger sends this template, else `flyers`, else the first sample.

    With `lang` (one preview's language), the trigger's sample is taken when its recipient would
    get this language; when none of the trigger's samples would, `flyers`, as for a template no
    sample is sent by: the German, French and Dutch previews of order-ready greeted the customer
    of its Chinese sample (李华, with a Chinese order title), an email no one receives."""
    sending = [name for name, sample in sorted(repo.samples.items()) if _sends(repo, sample, template_id)]
    if lang is not None and sending:
        getting = [name for name in sending if _gets(repo, repo.samples[name], template_id) == lang]
        if getting:
            return getting[0]
        if FALLBACK_SAMPLE in repo.samples:
            return FALLBACK_SAMPLE
    if sending:
        return sending[0]
    if FALLBACK_SAMPLE in repo.samples or not repo.samples:
        return FALLBACK_SAMPLE
    return sorted(repo.samples)[0]


def _sends(repo: Repo, sample: Sample, template_id: str) -> bool:
    trigger = repo.workflow.triggers.get(str(sample.data.get("trigger", "")))
    return trigger is not None and template_id in trigger.template_ids()


def _gets(repo: Repo, sample: Sample, template_id: str) -> str:
    """The language the sample's recipient of this template would be sent, as dispatch picks it."""
    template = repo.templates[template_id]
    language = _recipient(dict(sample.data), template.audience).get("language")
    return resolve_lang(str(language or ""), template.texts or {repo.languages.default: None},
                        repo.languages.default)


def placed(sample: Sample | None, name: str, shop: str | None) -> Sample:
    """The sample order placed in webshop `shop`, or in none (None): its sender, reply-to, Cc,
    look and order link are then that shop's, or the print room's own."""
    data = {k: v for k, v in (sample.data if sample is not None else {}).items() if k != "webshop"}
    if shop is not None:
        data["webshop"] = shop
    return Sample(name, sample.file if sample is not None else "", data)


def print_room_samples(repo: Repo) -> Repo:
    """`repo` with every sample order placed in no webshop: what the plain previews
    (`<template> · <lang>`) are rendered with, so that they show the print room's own sender and
    settings, as their name says; each shop's show in its `<template>@<shop>` preview. (A sample
    keeps its shop in validate's checks, and in `render --sample NAME`, which renders it as written.)"""
    return replace(repo, samples={n: placed(s, n, None) for n, s in repo.samples.items()})


def _recipient(data: dict[str, Any], audience: str) -> dict[str, Any]:
    """The first person the sample names in the template's audience, as dispatch would pick them."""
    named = people(data, audience)
    return dict(named[0]) if named else {}


def _sender(repo: Repo, data: dict[str, Any]) -> tuple[Mailbox, str | None]:
    shop = repo.webshops.get(str(data.get("webshop", "")))
    if shop is None:
        return repo.smtp.sender, None
    return shop.sender or repo.smtp.sender, shop.name


def _attachments(repo: Repo, template_kinds: Sequence[str], data: dict[str, Any]) -> tuple[
        list[FileAttachment], list[str]]:
    files, notes = [], []
    root = (repo.root / SAMPLE_FILES).resolve()
    paths = data.get("attachments") or {}
    for kind in template_kinds:
        rel = paths.get(kind) if isinstance(paths, dict) else None
        if not isinstance(rel, str):
            notes.append(f"the sample has no `attachments.{kind}`: the preview has no {kind} attachment")
            continue
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            notes.append(f"sample file {SAMPLE_FILES}/{rel} not found: the preview has no {kind} attachment")
            continue
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(FileAttachment(path.name, mime_type, path.read_bytes()))
    return files, notes


def preview_context(repo: Repo, template_id: str, sample_name: str) -> dict[str, Any]:
    """The Jinja context a preview of this template renders with (the sample, examples filled in)."""
    sample = repo.samples.get(sample_name)
    data: dict[str, Any] = dict(sample.data) if sample is not None else {}
    recipient = _recipient(data, repo.templates[template_id].audience)
    sender, shop_name = _sender(repo, data)
    shop = repo.webshops.get(str(data.get("webshop", "")))
    order_url = (shop.order_url if shop else None) or repo.workflow.order_url
    return build_context(data, recipient=recipient, order_url=order_url, sender=sender,
                         webshop_name=shop_name, preview=True, timezone=repo.workflow.timezone,
                         date_formats=repo.workflow.date_formats,
                         namespaces=repo.catalog.own_namespaces, examples=repo.catalog.variables)


def preview(repo: Repo, compiled: CompiledTemplates, template_id: str, lang: str,
            sample_name: str) -> Preview:
    """One preview email, exactly as it would be sent, with a fixed Date and Message-ID."""
    sample = repo.samples.get(sample_name)
    data: dict[str, Any] = dict(sample.data) if sample is not None else {}
    recipient = _recipient(data, repo.templates[template_id].audience)
    sender, _shop = _sender(repo, data)
    ctx = preview_context(repo, template_id, sample_name)
    email = render_email(compiled, template_id, lang, ctx)
    files, notes = _attachments(repo, compiled.templates[template_id].attachments, data)
    shop = repo.webshops.get(str(data.get("webshop", "")))
    reply_to = (shop.reply_to if shop else None) or repo.smtp.reply_to
    to_addr = str(recipient.get("email") or "recipient@example.com")
    listed = [*repo.smtp.cc, *(shop.cc if shop else ())]
    for trig in repo.workflow.triggers.values():
        if template_id in trig.template_ids():
            listed.extend(trig.cc)
    cc = list(unique(listed, [to_addr]))  # as the dispatcher copies: each once, never the To
    key = hashlib.sha256(f"{template_id}\0{lang}\0{sample_name}".encode()).hexdigest()[:32]
    occurred = data.get("occurred_at")
    try:
        date = dt.datetime.fromisoformat(str(occurred)) if occurred else PREVIEW_DATE
    except ValueError:
        date = PREVIEW_DATE
    msg = build_message(email, sender=sender, to=[(recipient.get("name"), to_addr)], cc=cc,
                        message_id=f"<{key}@preview.mailgitops.invalid>", date=date, attachments=files,
                        extra_headers=[("Reply-To", reply_to)] if reply_to else ())
    return Preview(template_id, lang, sample_name, email, msg, email.warnings + tuple(notes))
