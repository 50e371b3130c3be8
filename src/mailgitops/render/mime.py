"""A rendered email as a complete MIME message: mixed ⊃ related ⊃ alternative, UTF-8, SMTP policy."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy, Policy
from email.utils import encode_rfc2231, format_datetime
from functools import lru_cache
from typing import Any, NamedTuple

from mailgitops.addresses import ascii_form, problem
from mailgitops.errors import MailgitopsError
from mailgitops.filenames import clean
from mailgitops.identity import Mailbox
from mailgitops.render.email import RenderedEmail, one_line

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
# CJK ideographs. Not a regex: compiling this class costs ~2 ms (a 64K-entry map), at every cold
# `mailgitops dispatch` of a non-ASCII subject, to test a line of at most a few hundred characters.
_HAN = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))


def _has_han(text: str) -> bool:
    return any(lo <= c <= hi for c in text for lo, hi in _HAN)
_TOKEN = re.compile(r"[A-Za-z0-9][\w.+-]*")
FOLD_AT = 78  # RFC 5322 2.1.1: lines SHOULD stay within 78 characters (MUST within 998)
MAX_DISPLAY_NAME = 200  # a longer name is no one's name; a long unbroken one could not be folded


class FileAttachment(NamedTuple):
    """(A NamedTuple, not a dataclass: an internal record, ~0.3 ms less at every cold start.)"""

    filename: str
    mime_type: str
    data: bytes


class _CachedHeaders(HeaderRegistry):
    """Header objects are immutable, and serialising asks for the same Content-Type a dozen times
    per message (each a full parse); parse each distinct (name, text) once."""

    @lru_cache(maxsize=256)  # noqa: B019  (the stock registry makes a new class on every lookup,
    def __getitem__(self, name: str) -> Any:  # and `msg[name] = ...` looks one up each time)
        return super().__getitem__(name)

    def __call__(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            return self._cached(name, value)
        return super().__call__(name, value)

    @lru_cache(maxsize=4096)  # noqa: B019  (one registry for the process; the cache is the point)
    def _cached(self, name: str, value: str) -> Any:
        header: Any = super().__call__(name, value)
        header._mg_folded = {}  # shared by every message that has this header: see _Policy._fold
        return header


class _Policy(EmailPolicy):
    """Folding a structured header (From, To, Cc) walks its whole parse tree; a cached header
    object is immutable, so each one is folded once per policy and the text reused."""

    def _fold(self, name: str, value: Any, refold_binary: bool = False) -> str:
        # (typeshed leaves out EmailPolicy._fold, hence the ignores below; it exists since 3.3)
        memo: dict[Policy, str] | None = getattr(value, "_mg_folded", None)
        if memo is None:
            return str(super()._fold(name, value, refold_binary))  # type: ignore[misc]
        folded = memo.get(self)
        if folded is None:
            folded = memo[self] = str(super()._fold(name, value, refold_binary))  # type: ignore[misc]
        return folded


# email.policy.SMTP (CRLF, RFC-conforming folding) with the caches above
POLICY = _Policy(linesep="\r\n", header_factory=_CachedHeaders())
UTF8_POLICY = POLICY.clone(utf8=True)  # RFC 6532 headers, for internationalised local parts


class _FoldedSubject(str):
    """The subject, folded by `email.header.Header` (RFC 2047 encoded words when not ASCII).

    Python 3.11's own folder leaves a space before a fold next to an encoded word (a client shows
    "Warnschwelle  überschritten") and moves a long ASCII subject to a continuation line (parsed
    back with a leading space); a str with `name` and `fold` is written as it folds itself."""

    __slots__ = ()
    name = "Subject"

    def fold(self, *, policy: Policy) -> str:
        sep = policy.linesep
        if len(self) <= FOLD_AT - len("Subject: ") and self.isascii() and self.isprintable():
            return f"Subject: {self}{sep}"  # what Header gives such a line: itself
        if self.isascii():
            encoded = Header(str(self), "us-ascii", header_name="Subject").encode(linesep=sep)
            if all(len(line) <= FOLD_AT for line in f"Subject: {encoded}".split(sep)):
                return f"Subject: {encoded}{sep}"
        # a word too long to fold at a space (a long order number, a URL, no spaces at all) would
        # break RFC 5322's 998-character line limit: encoded words can be split anywhere.
        # Chinese goes as GB18030 (every Unicode character, read by every current client): spam
        # filters take a UTF-8 subject whose only Latin letters are an order number's "PR" for
        # shouting (SpamAssassin SUBJ_ALL_CAPS) and leave Chinese charsets alone.
        charset = "gb18030" if _has_han(self) else "utf-8"
        encoded = Header(str(self), charset, header_name="Subject").encode(linesep=sep)
        return f"Subject: {encoded}{sep}"


def address(addr: str, name: str | None = None) -> Address:
    """One address by the one rule (addresses.py), its domain in ASCII form; the display name on
    one line, without CR/LF/NUL."""
    found = problem(addr)
    if found is not None:
        # a code and values: the console says it in the operator's language (console/core_text.py)
        raise MailgitopsError(f"{addr!r} {found[0]}", hint=found[1], code="address-invalid",
                              values={"address": repr(addr)})
    if name and _UNSAFE.search(name):
        raise MailgitopsError(f"the display name of {addr!r} contains a line break or NUL",
                              hint="write the name on one line", code="display-name-unsafe",
                              values={"address": repr(addr)})
    local, _, domain = ascii_form(addr).rpartition("@")
    shown = " ".join((name or "").split())  # one line: tabs and runs of spaces as one space
    if len(shown) > MAX_DISPLAY_NAME:
        shown = shown[:MAX_DISPLAY_NAME - 1].rstrip() + "…"
    try:
        return Address(display_name=shown, username=local, domain=domain)
    except (ValueError, IndexError) as e:
        raise MailgitopsError(f"not an email address: {addr!r} ({e})", code="address-invalid",
                              values={"address": repr(addr)}) from e


def _address_list(addresses: Sequence[Address]) -> str:
    """The validated addresses as header text. Given Address objects, the header registry makes
    exactly this text and parses it (AddressHeader.parse: parse_tree = value_parser(decoded)), and
    the header is folded from that parse tree: handing it the text gives the same bytes, parsed
    once per distinct value by the cache above instead of once per message."""
    return ", ".join(str(a) for a in addresses)


def build_message(
    email: RenderedEmail,
    *,
    sender: Mailbox,
    to: Sequence[tuple[str | None, str]],
    cc: Sequence[str],
    message_id: str,
    date: datetime,
    attachments: Sequence[FileAttachment],
    extra_headers: Sequence[tuple[str, str]] = (),
    reply_to: str | None = None,
) -> EmailMessage:
    if not to:
        raise MailgitopsError("an email needs at least one recipient", code="no-recipient")
    if _UNSAFE.search(message_id) or not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_id):
        raise MailgitopsError(f"not a Message-ID: {message_id!r}", hint="like <id@example.com>",
                              code="message-id-invalid", values={"message_id": repr(message_id)})
    everyone = [sender.address, *(addr for _, addr in to), *cc]
    # a non-ASCII local part cannot be encoded in a header: it is written as UTF-8 (RFC 6532); a
    # server without SMTPUTF8 gets the headers downgraded (dispatch/smtp_downgrade.py)
    ascii_only = all(a.rpartition("@")[0].isascii() for a in everyone)
    msg = EmailMessage(policy=POLICY if ascii_only else UTF8_POLICY)
    msg["From"] = _address_list([address(sender.address, sender.name)])
    msg["To"] = _address_list([address(addr, name) for name, addr in to])
    if cc:
        msg["Cc"] = _address_list([address(addr) for addr in cc])
    if reply_to:
        msg["Reply-To"] = _address_list([address(reply_to)])
    msg["Subject"] = _FoldedSubject(one_line(email.subject))
    # values made here and already valid are stored as they are (set_raw): the header registry
    # would parse each one again and the body parts three times, which is most of the cost
    msg.set_raw("Date", format_datetime(date))
    msg.set_raw("Message-ID", message_id)
    msg.set_raw("Auto-Submitted", "auto-generated")  # RFC 3834: autoresponders stay quiet
    for name, value in extra_headers:  # e.g. X-Original-To in redirect mode: checked, folded
        msg[name] = value
    msg.set_raw("X-Auto-Response-Suppress", "OOF, AutoReply")  # Exchange/Outlook ignore RFC 3834
    msg.set_raw("MIME-Version", "1.0")
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    boundaries = (f"=_mg_{seed}_{n}" for n in range(3))
    # a Content-ID is unique to its message (RFC 2392), like the Message-ID it is made from: a
    # client that caches images by Content-ID must not show one email's logo in another
    cids = {img.cid: f"{img.cid.rpartition('@')[0]}.{seed[:16]}@{img.cid.rpartition('@')[2]}"
            for img in email.inline_images}
    html = email.html
    for old, new in cids.items():
        html = html.replace(f"cid:{old}", f"cid:{new}")
    # MJML output has very long lines: quoted-printable keeps them within SMTP's 998 limit
    body: MIMEPart = _multipart("alternative", [
        _leaf('text/plain; charset="utf-8"', "quoted-printable", _qp(email.text)),
        _leaf('text/html; charset="utf-8"', "quoted-printable", _qp(html)),
    ], next(boundaries))
    if email.inline_images:
        # RFC 2387: multipart/related names the type of its root part
        body = _multipart("related", [body, *(
            _leaf(img.mime_type, "base64", _b64(img.data), [
                ("Content-ID", f"<{cids[img.cid]}>"),
                ("Content-Disposition", f"inline; {_filename_param(img.filename)}")])
            for img in email.inline_images)], next(boundaries), '; type="multipart/alternative"')
    if attachments:
        body = _multipart("mixed", [body, *(
            _leaf(_mime_type(att.mime_type), "base64", _b64(att.data), [
                ("Content-Disposition", f"attachment; {_filename_param(att.filename)}")])
            for att in attachments)], next(boundaries))
    # the text set on the part, as it was set (body.get() would parse it: a new boundary each time)
    msg.set_raw("Content-Type", next(v for k, v in body.raw_items() if k == "Content-Type"))
    msg.set_payload(body.get_payload())
    return msg


def _qp(text: str) -> str:
    # binascii's C encoder: email's own quoted-printable encoder is pure Python and slow
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True).decode("ascii")


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def _mime_type(value: str) -> str:
    maintype, _, subtype = value.partition("/")
    ok = _TOKEN.fullmatch(maintype) and _TOKEN.fullmatch(subtype)
    return value if ok else "application/octet-stream"


def _filename_param(name: str) -> str:
    safe = clean(name)  # the rule the console showed the operator the name by
    # any other in RFC 2231's UTF-8 form, as Python's own email package writes it; a long one is
    # folded by the policy into numbered pieces (filename*0*=...) within the line limit
    return f'filename="{safe}"' if safe.isascii() else f"filename*={encode_rfc2231(safe, 'utf-8')}"


def _leaf(content_type: str, cte: str, payload: str, extra: Sequence[tuple[str, str]] = ()) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    kind, sep, params = content_type.partition(";")
    part.set_raw("Content-Type", _mime_type(kind) + sep + params)
    part.set_raw("Content-Transfer-Encoding", cte)
    for name, value in extra:
        part.set_raw(name, value)
    part.set_payload(payload)
    return part


def _multipart(subtype: str, parts: Sequence[MIMEPart], boundary: str, params: str = "") -> MIMEPart:
    """Boundaries come from the Message-ID (the same message, the same bytes); `=_` never occurs
    in quoted-printable or base64 bodies, so a boundary cannot collide with content."""
    part = MIMEPart(policy=POLICY)
    part.set_raw("Content-Type", f'multipart/{subtype}; boundary="{boundary}"{params}')
    part.set_payload(list(parts))
    return part
