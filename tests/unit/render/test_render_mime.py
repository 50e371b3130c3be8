"""Issue 3 item 9: every message parses back with Python's `email` package as a client would see it."""

from __future__ import annotations

import datetime as dt
import email
import unicodedata
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest

from mailgitops.errors import MailgitopsError
from mailgitops.model import Mailbox, Repo
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import MAX_SUBJECT_CHARS, RenderedEmail, render_email
from mailgitops.render.mime import MAX_DISPLAY_NAME, FileAttachment, build_message
from unit.render.render_helpers import flyers_context

PDF = b"%PDF-1.4\n%%EOF\n"
DATE = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def build(repo: Repo, compiled: CompiledTemplates, lang: str = "de", *, name: str = "Ada Lovelace",
          attachments: tuple[FileAttachment, ...] = (), message_id: str = "<abc123@example.com>",
          reply_to: str | None = None) -> EmailMessage:
    ctx = flyers_context(repo, customer={"name": name})
    rendered = render_email(compiled, "order-accepted", lang, ctx)
    msg = build_message(rendered, sender=Mailbox("campus@example.com", "Campus Print Shop"),
                        to=[(name, "ada@example.org")], cc=["archive@example.com"],
                        message_id=message_id, date=DATE, attachments=attachments, reply_to=reply_to)
    parsed = email.message_from_bytes(msg.as_bytes(policy=SMTP), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(("lang", "subject"), [("de", "Ihr Auftrag PO-1001 wurde angenommen"),
                                                ("zh", "您的订单 PO-1001 已受理")])
def test_subject_decodes_and_both_parts_are_present(shipped_repo: Repo, compiled: CompiledTemplates,
                                                    lang: str, subject: str) -> None:
    msg = build(shipped_repo, compiled, lang)
    assert str(msg["Subject"]) == subject
    raw = msg.as_bytes()
    assert subject.encode() not in raw or subject.isascii()  # RFC 2047 on the wire
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "PO-1001" in plain.get_content()
    assert "PO-1001" in html.get_content()
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] == "<abc123@example.com>"
    assert msg["From"].addresses[0].display_name == "Campus Print Shop"
    assert msg["Cc"].addresses[0].addr_spec == "archive@example.com"


@pytest.mark.parametrize(("subject", "charset"), [
    ("您的订单 PO-1001 已受理", "gb18030"), ("Ihr Auftrag für Sie", "utf-8"),
    ("\u3400 first and \u4dbf last of extension A", "gb18030"), ("\u4e00 und \u9fff", "gb18030"),
    ("\uf900 compatibility \ufaff", "gb18030"), ("\u33ff just before, \u4dc0 just after", "utf-8"),
    ("\u9fff\ua000 edge", "gb18030"), ("Grüße \uf8ff \ufb00", "utf-8")])
def test_a_subject_with_chinese_characters_travels_as_gb18030(shipped_repo: Repo, compiled: CompiledTemplates,
                                                             subject: str, charset: str) -> None:
    ctx = flyers_context(shipped_repo)
    rendered = render_email(compiled, "order-accepted", "de", ctx)
    rendered = rendered._replace(subject=subject)
    raw = build_message(rendered, sender=Mailbox("campus@example.com", "Campus Print Shop"),
                        to=[(None, "ada@example.org")], cc=[], message_id="<h@example.com>",
                        date=DATE, attachments=()).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject_line = head[head.index("Subject:"):].split("\r\n")[0]
    assert f"=?{charset}?" in subject_line
    parsed = email.message_from_bytes(raw, policy=default)
    assert str(parsed["Subject"]) == subject


def test_structure_inline_logo_and_attachments(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    msg = build(shipped_repo, compiled, attachments=(FileAttachment("final.pdf", "application/pdf", PDF),))
    assert msg.get_content_type() == "multipart/mixed"
    related = msg.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    assert related.get_payload()[0].get_content_type() == "multipart/alternative"
    logo = related.get_payload()[1]
    cid = logo["Content-ID"].strip("<>")
    html = msg.get_body(("html",))
    assert html is not None
    assert f"cid:{cid}" in html.get_content()
    assert logo.get_content_type() == "image/png"
    atts = list(msg.iter_attachments())
    assert [(a.get_filename(), a.get_content_type(), a.get_content()) for a in atts] == [
        ("final.pdf", "application/pdf", PDF)]
    # RFC 2387: the related part names its root's type
    assert related.get_param("type") == "multipart/alternative"


@pytest.mark.parametrize(("given", "shown"), [
    ("Auftrag Übersicht (final).pdf", "Auftrag Übersicht (final).pdf"),
    ("报价单.pdf", "报价单.pdf"),
    (unicodedata.normalize("NFD", "Größe-Maße.pdf"), "Größe-Maße.pdf"),  # a Mac's name, composed
    ("Müller's Angebot #2 + Preise.pdf", "Müller's Angebot #2 + Preise.pdf"),
    ("印刷说明" * 16 + ".pdf", "印刷说明" * 16 + ".pdf"),  # 196 bytes: folded, not cut
])
def test_an_attachment_keeps_its_name_for_the_customer(shipped_repo: Repo, compiled: CompiledTemplates,
                                                       given: str, shown: str) -> None:
    """What a mail client reads back is the file's own name, not "Gr_e-Ma_e.pdf" or "_.pdf"."""
    msg = build(shipped_repo, compiled, attachments=(FileAttachment(given, "application/pdf", PDF),))
    assert [a.get_filename() for a in msg.iter_attachments()] == [shown]
    raw = msg.as_bytes(policy=SMTP)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_content_ids_are_unique_per_message_and_autoreplies_suppressed(shipped_repo: Repo,
                                                                        compiled: CompiledTemplates) -> None:
    one = build(shipped_repo, compiled, message_id="<one@example.com>")
    two = build(shipped_repo, compiled, message_id="<two@example.com>", reply_to="desk@example.com")
    cids = [m.get_payload()[1]["Content-ID"] for m in (one, two)]
    assert cids[0] != cids[1]
    for msg, cid in zip((one, two), cids, strict=True):
        html = msg.get_body(("html",))
        assert html is not None and f"cid:{cid.strip('<>')}" in html.get_content()
        assert msg["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert one["Reply-To"] is None and str(two["Reply-To"]) == "desk@example.com"


def test_long_html_lines_are_encoded(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    raw = build(shipped_repo, compiled).as_bytes(policy=SMTP)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


@pytest.mark.parametrize("name", ["Ada\r\nBcc: evil@example.com", "Ada\nX-Evil: 1", "Ada\x00"])
def test_no_header_can_be_injected_through_a_value(shipped_repo: Repo, compiled: CompiledTemplates,
                                                    name: str) -> None:
    ctx = flyers_context(shipped_repo, customer={"name": name},
                         order={"number": name})
    rendered = render_email(compiled, "order-accepted", "en", ctx)
    with pytest.raises(MailgitopsError):
        build_message(rendered, sender=Mailbox("p@example.com"), to=[(name, "ada@example.org")], cc=[],
                      message_id="<a@b.c>", date=DATE, attachments=())
    msg = build_message(rendered, sender=Mailbox("p@example.com"), to=[("Ada", "ada@example.org")], cc=[],
                        message_id="<a@b.c>", date=DATE, attachments=())
    parsed = email.message_from_bytes(msg.as_bytes(policy=SMTP), policy=default)
    assert parsed["Bcc"] is None
    assert parsed["X-Evil"] is None
    assert "\n" not in str(parsed["Subject"])


@pytest.mark.parametrize("addr", ["a@b.c, evil@x.y", "a@b.c; evil@x.y", "a@b.c\r\nBcc: e@x.y", "nobody",
                                  "Group: a@b.c;", "<a@b.c>"])
def test_each_address_is_checked_on_its_own(shipped_repo: Repo, compiled: CompiledTemplates,
                                            addr: str) -> None:
    rendered = render_email(compiled, "order-accepted", "en", flyers_context(shipped_repo))
    with pytest.raises(MailgitopsError):
        build_message(rendered, sender=Mailbox("p@example.com"), to=[(None, addr)], cc=[],
                      message_id="<a@b.c>", date=DATE, attachments=())


def test_same_input_same_bytes(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    assert build(shipped_repo, compiled).as_bytes() == build(shipped_repo, compiled).as_bytes()


def _plain(subject: str) -> RenderedEmail:
    return RenderedEmail("t", "en", subject, "", "<p>x</p>", "x\n", (), ())


@pytest.mark.parametrize("subject", ["A" * 290, "Order " + "x" * 120 + " is ready", "Ä" * 290,
                                     "PO-" + "9" * 100 + " 订单"])
def test_a_subject_without_spaces_is_folded_within_the_line_limit(subject: str) -> None:
    """RFC 5322 2.1.1: no line over 998 characters (and none over 78 here); a word too long to fold
    at a space goes out as RFC 2047 encoded words, which may be split anywhere."""
    msg = build_message(_plain(subject), sender=Mailbox("p@example.com", "Print Room"),
                        to=[("Ada", "ada@example.org")], cc=[], message_id="<a@b.c>", date=DATE,
                        attachments=())
    raw = msg.as_bytes(policy=SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    parsed = email.message_from_bytes(raw, policy=default)
    assert str(parsed["Subject"]) == subject


def test_a_subject_made_huge_by_a_value_is_capped_with_a_warning(shipped_repo: Repo,
                                                                compiled: CompiledTemplates) -> None:
    ctx = flyers_context(shipped_repo, order={"number": "N" * 5000})
    rendered = render_email(compiled, "order-accepted", "en", ctx)
    assert len(rendered.subject) == MAX_SUBJECT_CHARS
    assert rendered.subject.endswith("…")
    assert any("subject was longer" in w for w in rendered.warnings)
    msg = build_message(rendered, sender=Mailbox("p@example.com"), to=[("Ada", "ada@example.org")], cc=[],
                        message_id="<a@b.c>", date=DATE, attachments=())
    raw = msg.as_bytes(policy=SMTP)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert str(email.message_from_bytes(raw, policy=default)["Subject"]) == rendered.subject


def test_a_huge_display_name_is_shortened_not_a_998_character_line() -> None:
    name = "A" * 1200
    msg = build_message(_plain("Hi"), sender=Mailbox("p@example.com", name), to=[(name, "ada@example.org")],
                        cc=[], message_id="<a@b.c>", date=DATE, attachments=())
    raw = msg.as_bytes(policy=SMTP)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=default)
    # Python 3.11's parser puts a space between adjacent encoded words (RFC 2047 says drop it)
    shown = parsed["To"].addresses[0].display_name.replace(" ", "")
    assert shown == "A" * (MAX_DISPLAY_NAME - 1) + "…"
    assert parsed["To"].addresses[0].addr_spec == "ada@example.org"
