"""A message with UTF-8 headers, rewritten for a server without SMTPUTF8 (RFC 6857): what a
recipient's mail client then shows, and ASCII messages left byte for byte as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from mailgitops.dispatch.smtp_downgrade import downgrade
from mailgitops.identity import Mailbox
from mailgitops.render.email import RenderedEmail
from mailgitops.render.mime import build_message

EMAIL = RenderedEmail("t", "de", "Grüße zu PR-1", "", "<p>Hallo</p>", "Hallo", (), ())


def raw(cc: list[str], reply_to: str | None = None) -> bytes:
    return build_message(EMAIL, sender=Mailbox("printroom@example.com", "Druckerei Müller"),
                         to=[("Zoë Müller", "ada@bücher.example")], cc=cc, message_id="<m1@example.com>",
                         date=datetime(2026, 11, 30, tzinfo=UTC), attachments=[],
                         reply_to=reply_to).as_bytes()


def test_an_ascii_message_is_left_as_it_is() -> None:
    plain = raw(["archive@example.com"])
    assert plain.isascii()
    assert downgrade(plain) is plain


def test_utf8_headers_become_ascii_and_read_the_same() -> None:
    utf8 = raw(["zoë@example.com", "archive@example.com"], reply_to="zoë@example.com")
    assert not utf8.isascii()
    out = downgrade(utf8)
    assert out.isascii()
    assert out.split(b"\r\n\r\n", 1)[1] == utf8.split(b"\r\n\r\n", 1)[1]  # the body untouched
    msg = message_from_bytes(out, policy=policy.default)
    assert str(msg["From"]) == "Druckerei Müller <printroom@example.com>"
    assert str(msg["To"]) == "Zoë Müller <ada@xn--bcher-kva.example>"
    # the address the server cannot carry is shown as a name, not as a mailbox to answer to
    assert str(msg["Cc"]) == '"zoë@example.com":;, archive@example.com'
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["archive@example.com"]
    assert str(msg["Reply-To"]) == '"zoë@example.com":;'
    assert str(msg["Subject"]) == "Grüße zu PR-1"
    assert msg["Message-ID"] == "<m1@example.com>"
