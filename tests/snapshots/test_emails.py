"""Issue 3 item 8: every template and language of the shipped repository, rendered with its sample
as `render` renders a plain preview (the order placed in no webshop: the print room's own sender),
stored as one .html and one .txt file per email under __snapshots__/ (a PR diff shows the change).

A changed template fails here until `scripts/test tests/snapshots --snapshot-update` is committed."""

from __future__ import annotations

import email
import functools
from email.message import EmailMessage
from email.policy import SMTP, default
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from mailgitops.render.compiled import CompiledTemplates, compile_repo
from mailgitops.render.preview import Preview, default_sample, preview, print_room_samples
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parents[2]
REPO = print_room_samples(load_repo(ROOT).repo)
CASES = [(t, lang) for t in sorted(REPO.templates) for lang in REPO.languages.active]


class HtmlSnapshot(SingleFileSnapshotExtension):
    file_extension = "html"
    _write_mode = WriteMode.TEXT


class TextSnapshot(SingleFileSnapshotExtension):
    file_extension = "txt"
    _write_mode = WriteMode.TEXT


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


PARAMS = pytest.mark.parametrize(("template_id", "lang"), CASES, ids=[f"{t}-{lang}" for t, lang in CASES])


@functools.cache
def _preview(template_id: str, lang: str) -> Preview:
    """Rendered once for both snapshot tests, and parsed back (item 9) on the way."""
    p = preview(REPO, compile_repo_cached(), template_id, lang, default_sample(REPO, template_id, lang))
    parsed = email.message_from_bytes(p.message.as_bytes(policy=SMTP), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert str(parsed["Subject"]) == p.email.subject
    html, text = parsed.get_body(("html",)), parsed.get_body(("plain",))
    assert html is not None
    assert text is not None
    # the message's Content-IDs are its own (made from its Message-ID), and the HTML says so
    sent = html.get_content()
    for img in p.email.inline_images:
        part = next(x for x in parsed.walk() if x.get_filename() == img.filename)
        cid = str(part["Content-ID"]).strip("<>")
        assert cid != img.cid
        assert f"cid:{cid}" in sent
        sent = sent.replace(f"cid:{cid}", f"cid:{img.cid}")
    assert _lines(sent) == _lines(p.email.html)
    assert _lines(text.get_content()) == _lines(p.email.text)
    return p


@functools.cache
def compile_repo_cached() -> CompiledTemplates:
    return compile_repo(REPO)


@PARAMS
def test_html(snapshot: SnapshotAssertion, template_id: str, lang: str) -> None:
    assert snapshot(extension_class=HtmlSnapshot) == _preview(template_id, lang).email.html


@PARAMS
def test_text(snapshot: SnapshotAssertion, template_id: str, lang: str) -> None:
    assert snapshot(extension_class=TextSnapshot) == _preview(template_id, lang).email.text
