"""A draft as the console shows it: rendered exactly as drafts.send will render it, with the
readable Markdown for the editor and the change record for the page."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mailgitops.console import record
from mailgitops.console.readable import readable
from mailgitops.dispatch import draft_record
from mailgitops.dispatch.draft_shape import AttachmentRef, DraftState, HistoryLine
from mailgitops.dispatch.drafts import cc_address, draft_context, draft_of
from mailgitops.dispatch.outbox import Row
from mailgitops.dispatch.outcome import row_status

if TYPE_CHECKING:
    from mailgitops.console.state import Console
    from mailgitops.render.email import RenderedEmail


LABELS = {"subject": "Subject", "body": "Message", "cc": "CC", "attachments": "Attachments"}


# an entry: up to a comma, semicolon or line break outside "quotes" and <angle brackets>, so that
# `"Hansen, Boss" <boss@example.net>` is one (static/live.js splits the Send tick's CC the same way)
_CC_ENTRY = re.compile(r'(?:"[^"]*"?|<[^>]*>?|[^,;\n"<])+')


def split_cc(text: str) -> list[str]:
    """The editor's CC field as entries, as typed: commas, semicolons or line breaks between them,
    or spaces between parts that each hold an @. A part with spaces and one @ or none ("boss at
    example"), or with a name (`Boss <boss@example.net>`), stays whole, so a refusal quotes what
    the operator typed, not its pieces."""
    out: list[str] = []
    for part in _CC_ENTRY.findall(text):
        words = part.split()
        if len(words) > 1 and "<" not in part and all("@" in w for w in words):
            out += words  # "a@example.org b@example.org": two addresses
        elif words:
            out.append(" ".join(words))
    return out


def cc_addresses(text: str) -> list[str]:
    """The addresses the editor's CC field is for, as the draft stores them and the email's Cc
    carries them: a name written with one is left out (drafts.cc_address)."""
    return [cc_address(e) for e in split_cc(text)]


def version(row: Row) -> str:
    """What the operator saw: the Send form carries it, so a tab opened before someone else's
    edit cannot send what it never showed (the change record does not count as a change)."""
    import hashlib
    import json

    d = draft_of(row)
    seen = [d.subject, d.markdown, list(row.cc), list(d.operator_attachments)]
    return hashlib.sha256(json.dumps(seen).encode("utf-8")).hexdigest()[:20]


def get(console: Console, draft_id: int) -> Row | None:
    row = console.service.dispatcher().outbox.get(draft_id)
    # a damaged record is still this draft's row: its page refuses it, naming the key (pages.draft)
    return row if row is not None and (row.draft is not None or row.draft_problem is not None) else None


def render(console: Console, row: Row, *, subject: str | None = None,
           markdown: str | None = None) -> RenderedEmail:
    """Through render_markdown with the same inputs drafts.send uses: what the page shows is sent."""
    from mailgitops.render.email import render_markdown

    draft = draft_of(row)
    disp = console.service.dispatcher()
    return render_markdown(disp.compiled, row.template_id, row.lang,
                           subject if subject is not None else draft.subject,
                           markdown if markdown is not None else draft.markdown,
                           context=draft_context(draft))


def email_document(email: RenderedEmail) -> str:
    """The HTML part with its inline images as data: URIs (a browser cannot resolve cid:)."""
    html = email.html
    for img in email.inline_images:
        data = base64.b64encode(img.data).decode("ascii")
        html = html.replace(f'"cid:{img.cid}"', f'"data:{img.mime_type};base64,{data}"')
    return html


def size(n: int, lang: str = "en") -> str:
    """A file's size as an operator reads it: a small one in bytes (a 29-byte notes.txt read
    "1 KB"), megabytes with the language's decimal mark (German 1,5 MB)."""
    from mailgitops.console import i18n

    _ = i18n.translator(lang)
    if n < 1000:
        return (_("{n} byte") if n == 1 else _("{n} bytes")).format(n=n)
    if round(n / 1024) < 1000:  # at most three digits: "1024 KB" is 1.0 MB
        return f"{round(n / 1024)} KB"
    mb = f"{n / 1024 / 1024:.1f}"
    return f"{mb.replace('.', ',') if lang == 'de' else mb} MB"


def attachments(console: Console, row: Row, lang: str = "en") -> list[dict[str, str]]:
    """Each file with its size; one the draft can no longer attach named with why, in `lang` (the
    core's message by its code, as Send would refuse it)."""
    from mailgitops.console import core_text
    from mailgitops.dispatch.attachments import FileRef, resolve_attachment
    from mailgitops.errors import MailgitopsError

    draft = draft_of(row)
    root = console.service.attachments_root
    out = []
    files = [*draft.attachments, *(AttachmentRef("operator", p) for p in draft.operator_attachments)]
    for a, name in zip(files, draft_record.file_names(draft), strict=True):
        got = resolve_attachment(root, a.kind, a.path, a.path)
        if isinstance(got, FileRef):
            out.append({"name": name, "size": size(got.size, lang), "path": a.path, "kind": a.kind})
        else:
            refused = MailgitopsError(got.message, code=got.code, values={"path": repr(a.path)})
            why = core_text.parts(lang, refused)[0]
            out.append({"name": f"{name} ({why})", "size": "", "path": a.path, "kind": a.kind})
    return out


def file_names(row: Row | None) -> set[str]:
    """The names the draft's files go by now, the event's and the operators'."""
    return set(draft_record.file_names(row.draft)) if row is not None and row.draft is not None else set()


def age(ctx_tr: Callable[[str], str], created: float) -> str:
    minutes = int((time.time() - created) // 60)
    if minutes < 1:
        return ctx_tr("just now")
    if minutes < 120:
        return ctx_tr("{n} min").format(n=minutes)
    if minutes < 48 * 60:
        return ctx_tr("{n} h").format(n=minutes // 60)
    return ctx_tr("{n} d").format(n=minutes // (24 * 60))


def sent_state(console: Console, row: Row, state: DraftState) -> record.Shown:
    """What the diff compares: subject, the text part the recipient reads, CC, attachments."""
    from mailgitops.filenames import clean

    email = render(console, row, subject=state.subject, markdown=state.markdown)
    return record.Shown(email.subject, email.text, state.cc, tuple(clean(a) for a in state.attachments))


def _files(line: HistoryLine, lang: str) -> str:
    """The files a change attached and removed, by name: "attached a file: proof.pdf"; a line that
    did more (an edit through the API) says which were attached and which removed."""
    from mailgitops.console.i18n import translator

    tr = translator(lang)
    out = []
    if line.attached:
        names = ", ".join(line.attached)
        out.append(names if line.what == "attached a file" else tr("attached: {names}").format(names=names))
    if line.removed:
        names = ", ".join(line.removed)
        out.append(names if line.what == "removed a file" else tr("removed: {names}").format(names=names))
    return "; ".join(out)


def view(console: Console, row: Row, email: RenderedEmail, lang: str = "en") -> dict[str, object]:
    draft = draft_of(row)
    status, reason = row_status(row)
    settings = console.bundle_settings
    files = attachments(console, row, lang)
    history = [{"who": h.who, "when": console.when(h.when), "what": h.what,
                "fields": [LABELS.get(f, f) for f in h.fields], "files": _files(h, lang)}
               for h in draft.history]
    address, name = draft.sender
    return {
        "id": row.id, "subject": draft.subject, "status": row.status, "status_label": row.status,
        "reason": reason if status != "draft" else None, "editable": row.status == "draft",
        "sender": f"{name} <{address}>" if name else address,
        "to": [f"{shown_name(n)} <{a}>" if n else a for n, a in draft.to], "cc": list(row.cc),
        # the Send confirmation names every address the email goes to, the hidden copies too
        "confirm_cc": list(row.cc), "bcc": list(row.bcc),
        "attachments": files, "operator_files": [f for f in files if f["kind"] == "operator"],
        "text": email.text, "markdown": readable(draft.markdown),
        "cc_editable": settings.smtp.allow_operator_cc,
        "upload_allowed": settings.workflow.allow_operator_attachments
                          and console.service.attachments_root is not None,
        "history": history,
        "diff": [{"field": LABELS.get(p.field, p.field), "lines": p.lines} for p in draft.diff],
        "version": version(row),
    }


# the characters that turn the direction of the text after them: in a customer's name they made
# the operator's Send tick read another address than the one the email goes to (a security review:
# `Eve<U+202E>FDP.exe" <x@evil.example>`); shown as what they are, never obeyed
_TURNS = {c: f"[U+{ord(c):04X}]"
          for c in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
_TURNS_RE = re.compile("[" + "".join(_TURNS) + "]")


def shown_name(name: str) -> str:
    """A recipient's name as the console shows it: a direction-turning character named, not obeyed."""
    return _TURNS_RE.sub(lambda m: _TURNS[m.group(0)], name) if not name.isascii() else name
