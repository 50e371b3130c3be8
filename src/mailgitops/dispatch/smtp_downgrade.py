"""A message with UTF-8 headers (RFC 6532), rewritten for a server that does not offer SMTPUTF8.

A message is built with UTF-8 headers only when an address in them has letters beyond ASCII
before the `@` (render/mime.py). When the server cannot carry such a message, the recipients it
can carry (the customer when only an archive CC is `zoë@…`, or the CC when the customer is) still
get it, with its headers downgraded as RFC 6857 describes: each such address becomes an empty
group whose name is the address (`=?utf-8?q?zo=C3=AB=40example=2Ecom?=:;`, shown as
"zoë@example.com"), display names and other text become encoded words. The body is already
7-bit (quoted-printable and base64), so it is left as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.headerregistry import Address, Group

__all__ = ["downgrade"]


def downgrade(raw: bytes) -> bytes:
    """`raw` with every non-ASCII header field rewritten in ASCII; `raw` itself when its header
    is ASCII already (every message without an internationalised local part)."""
    end = raw.find(b"\r\n\r\n")
    head, body = (raw, b"") if end < 0 else (raw[:end + 2], raw[end + 2:])
    if head.isascii():
        return raw
    out: list[bytes] = []
    for field in _fields(head):
        out.append(field if field.isascii() else _ascii_field(field.decode("utf-8", "replace")))
    return b"".join(out) + body


def _fields(head: bytes) -> list[bytes]:
    """The header fields, each with its continuation lines and line ends."""
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def _ascii_field(field: str) -> bytes:
    # imported here: most messages never need it, and a dispatcher's cold start counts
    from email.headerregistry import AddressHeader
    from email.message import EmailMessage
    from email.policy import SMTP, SMTPUTF8

    name, _, value = field.partition(":")
    value = " ".join(value.split())  # unfolded; folded again below
    header = SMTPUTF8.header_factory(name, value)
    out = EmailMessage(policy=SMTP)
    if isinstance(header, AddressHeader):
        out[name] = [_ascii_mailbox(a) for g in header.groups for a in g.addresses]
    else:
        out[name] = str(header)
    return out.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"


def _ascii_mailbox(addr: Address) -> Address | Group:
    from email.headerregistry import Group

    if addr.username.isascii():
        return addr  # the display name becomes an encoded word as it is written
    return Group(addr.addr_spec, ())  # RFC 6857 3.1.8: the address as the name of an empty group
