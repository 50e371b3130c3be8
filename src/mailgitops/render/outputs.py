"""`render --out DIR`: every template and language as .html/.txt/.eml, manifest.json and the gallery."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.errors import MailgitopsError, UsageError
from mailgitops.model import Repo, Sender
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.context import build_context
from mailgitops.render.email import RenderedEmail, render_email
from mailgitops.render.html_lint import email_findings
from mailgitops.render.mime import FileAttachment, build_message
from mailgitops.schemacheck import did_you_mean

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


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    template: str
    lang: str
    language_used: str
    sample: str
    subject: str
    html_bytes: int
    eml_bytes: int
    warnings: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        t, lang = self.template, self.lang
        return {"template": t, "lang": lang, "language_used": self.language_used, "sample": self.sample,
                "subject": self.subject, "html": f"{t}/{lang}.html", "text": f"{t}/{lang}.txt",
                "eml": f"{t}/{lang}.eml", "html_bytes": self.html_bytes, "eml_bytes": self.eml_bytes,
                "warnings": list(self.warnings)}


@dataclass
class PreviewResult:
    entries: list[ManifestEntry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def default_sample(repo: Repo, template_id: str) -> str:
    """The first sample whose trigger sends this template, else `flyers`, else the first sample."""
    for name, sample in sorted(repo.samples.items()):
        trigger = repo.workflow.triggers.get(str(sample.data.get("trigger", "")))
        if trigger is not None and trigger.template == template_id:
            return name
    if FALLBACK_SAMPLE in repo.samples or not repo.samples:
        return FALLBACK_SAMPLE
    return sorted(repo.samples)[0]


def _recipient(data: dict[str, Any], audience: str) -> dict[str, Any]:
    if audience == "approver":
        approvers = data.get("approvers") or [{}]
        return dict(approvers[0]) if isinstance(approvers[0], dict) else {}
    value = data.get(audience)
    return dict(value) if isinstance(value, dict) else {}


def _sender(repo: Repo, data: dict[str, Any]) -> tuple[Sender, str | None]:
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
    return build_context(data, recipient=recipient, order_url=repo.workflow.order_url, sender=sender,
                         webshop_name=shop_name, preview=True)


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
    cc = list(repo.smtp.cc)
    for trig in repo.workflow.triggers.values():
        if trig.template == template_id:
            cc.extend(c for c in trig.cc if c not in cc)
    to_addr = str(recipient.get("email") or "recipient@example.com")
    key = hashlib.sha256(f"{template_id}\0{lang}\0{sample_name}".encode()).hexdigest()[:32]
    occurred = data.get("occurred_at")
    try:
        date = dt.datetime.fromisoformat(str(occurred)) if occurred else PREVIEW_DATE
    except ValueError:
        date = PREVIEW_DATE
    msg = build_message(email, sender=sender, to=[(recipient.get("name"), to_addr)], cc=cc,
                        message_id=f"<{key}@preview.mailgitops.invalid>", date=date, attachments=files)
    return Preview(template_id, lang, sample_name, email, msg, email.warnings + tuple(notes))


def _for_browser(email: RenderedEmail) -> str:
    """The preview file shows inline images from OUT/_assets/ (a browser cannot resolve cid:)."""
    html = email.html
    for img in email.inline_images:
        html = html.replace(f'"cid:{img.cid}"', f'"../_assets/{img.filename}"')
    return html


def write_previews(repo: Repo, compiled: CompiledTemplates, out: Path, *, templates: Sequence[str] = (),
                   langs: Sequence[str] = (), sample: str | None = None,
                   progress: Callable[[int], None] | None = None) -> PreviewResult:
    """Write each email and manifest.json; the gallery is written by the caller (gallery.py)."""
    for tid in templates:
        if tid not in repo.templates:
            raise UsageError(f"no template `{tid}`", hint=did_you_mean(tid, list(repo.templates)))
    if sample is not None and sample not in repo.samples:
        raise UsageError(f"no sample `{sample}` in config/samples/",
                         hint=did_you_mean(sample, list(repo.samples)))
    tids = sorted(templates or repo.templates)
    languages = sorted(langs or repo.languages.active)
    result = PreviewResult()
    for tid in tids:
        for lang in languages:
            name = sample or default_sample(repo, tid)
            try:
                p = preview(repo, compiled, tid, lang, name)
            except MailgitopsError as e:
                result.diagnostics.extend(e.diagnostics or [error(f"templates/{tid}", 0, 0, "render-error",
                                                                  e.message, hint=e.hint)])
                continue
            finally:
                if progress:
                    progress(1)
            # the lints `validate` reads from the sources, here exact: this is the real HTML
            lints = tuple(f.message for f in email_findings(p.email.html, compiled.theme))
            eml = p.message.as_bytes()
            html_bytes = p.email.html.encode("utf-8")
            folder = out / tid
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{lang}.html").write_bytes(_for_browser(p.email).encode("utf-8"))
            (folder / f"{lang}.txt").write_bytes(p.email.text.encode("utf-8"))
            (folder / f"{lang}.eml").write_bytes(eml)
            result.entries.append(ManifestEntry(tid, lang, p.email.lang, name, p.email.subject,
                                                len(html_bytes), len(eml), p.warnings + lints))
    assets_dir = out / "_assets"
    for asset in compiled.assets.values():
        assets_dir.mkdir(parents=True, exist_ok=True)
        (assets_dir / asset.name).write_bytes(asset.data)
    manifest = {"format": 1, "emails": [e.as_json() for e in result.entries]}
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return result
