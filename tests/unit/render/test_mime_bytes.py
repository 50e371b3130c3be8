"""The dispatcher's quick serialiser gives exactly the bytes email's generator gives, for every
shape of message the project builds, and takes the quick path for them (or it is no quicker)."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage, Message, MIMEPart

import pytest

from mailgitops.model import Mailbox, Repo
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import RenderedEmail, render_email
from mailgitops.render.mime import FileAttachment, build_message
from mailgitops.render.mime_bytes import message_bytes
from unit.render.render_helpers import flyers_context

DATE = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _ids(n: int) -> list[str]:
    """Message-IDs of every length a real one has: the boundaries and Content-IDs come from them."""
    return [f"<{hashlib.sha1(str(i).encode()).hexdigest()[: 8 + i % 30]}.{i}@print{i % 3}.example.com>"
            for i in range(n)]


def _same(msg: EmailMessage, monkeypatch: pytest.MonkeyPatch) -> bytes:
    expected = msg.as_bytes()
    with monkeypatch.context() as m:  # the quick path, not the generator behind it
        m.setattr(Message, "as_bytes", _no_generator)
        got = message_bytes(msg)
    assert got == expected
    return got


def _no_generator(self: Message, *args: object, **kwargs: object) -> bytes:
    raise AssertionError("message_bytes fell back to the generator for a message build_message made")


def test_every_shipped_template_and_language_byte_for_byte(shipped_repo: Repo, compiled: CompiledTemplates,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(_ids(1000))
    checked = 0
    for template_id, t in compiled.templates.items():
        for lang in t.texts:
            rendered = render_email(compiled, template_id, lang, flyers_context(shipped_repo))
            for attachments in ((), (FileAttachment("final.pdf", "application/pdf", PDF),)):
                msg = build_message(rendered, sender=Mailbox("campus@example.com", "Campus Print Shop"),
                                    to=[("Ada Lovelace", "ada@example.org")], cc=["archive@example.com"],
                                    message_id=next(ids), date=DATE, attachments=attachments,
                                    reply_to="desk@example.com")
                _same(msg, monkeypatch)
                checked += 1
    assert checked >= 20


def _plain(subject: str = "Hi", text: str = "x\n", html: str = "<p>x</p>") -> RenderedEmail:
    return RenderedEmail("t", "en", subject, "", html, text, (), ())


@pytest.mark.parametrize("message_id", _ids(40))
def test_folded_content_types_keep_each_messages_own_boundary(message_id: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The long multipart headers are folded once and reused: each message still gets its own boundary."""
    msg = build_message(_plain(), sender=Mailbox("p@example.com"), to=[("Ada", "ada@example.org")], cc=[],
                        message_id=message_id, date=DATE,
                        attachments=[FileAttachment("a.pdf", "application/pdf", PDF)])
    raw = _same(msg, monkeypatch)
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    assert raw.count(f"--=_mg_{seed}_".encode()) == 6  # alternative and mixed: two parts and a close each


@pytest.mark.parametrize("filename", [
    "Auftragsbestätigung für Müller-Lüdenscheidt GmbH & Co. KG, Bestellung 2026-11-27 Endfassung.pdf",
    "订单确认书.pdf", "a" * 110 + ".pdf", "plain.pdf"])
def test_attachment_names_long_and_not_ascii(filename: str, monkeypatch: pytest.MonkeyPatch) -> None:
    atts = [FileAttachment(filename, "application/pdf", PDF), FileAttachment("b.txt", "text/plain", b"hi\n")]
    for message_id in _ids(3):
        msg = build_message(_plain(), sender=Mailbox("p@example.com"), to=[("Ada", "ada@example.org")],
                            cc=[], message_id=message_id, date=DATE, attachments=atts)
        _same(msg, monkeypatch)


@pytest.mark.parametrize(("subject", "name", "to"), [
    ("您的订单 PO-1001 已受理", "李 小龙", "zoë@bücher.example"),  # UTF-8 headers (RFC 6532)
    ("Ihr Auftrag " + "PO-" + "9" * 100, "Müller, Anna (Einkauf)", "anna@bücher.example"),
    ("A" * 290, "A" * 1200, "ada@example.org"),
    ("tabs\tand  spaces", '"Quoted" Name', "o'brien@example.org"),
])
def test_headers_of_every_kind(subject: str, name: str, to: str, monkeypatch: pytest.MonkeyPatch) -> None:
    redirected = ", ".join(f"kunde{i}@example.org" for i in range(12))
    msg = build_message(_plain(subject, text="line\r\nother\rthird\n\nlast"),
                        sender=Mailbox("p@example.com", name), to=[(name, to)],
                        cc=["archive@example.com", "zweite@bücher.example"], message_id="<x1@example.com>",
                        date=DATE, attachments=(), extra_headers=[("X-Original-To", redirected)])
    _same(msg, monkeypatch)


def test_shapes_it_does_not_write_still_come_out_as_the_generator_writes_them() -> None:
    """A part it does not know (message/rfc822, a non-ASCII body, a preamble) is the generator's job."""
    inner = EmailMessage()
    inner["Subject"] = "inner"
    inner.set_content("inner body\n")
    outer = EmailMessage()
    outer["Subject"] = "outer"
    outer.set_content("Grüße, mit Umlauten im Text\n", cte="8bit")
    outer.add_attachment(inner)
    outer.preamble = "This is a MIME message.\n"
    assert message_bytes(outer) == outer.as_bytes()
    part = MIMEPart()
    part.set_raw("Content-Type", "text/plain")
    part.set_payload("no charset\n")
    assert message_bytes(part) == part.as_bytes()
