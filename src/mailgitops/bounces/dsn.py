"""Read a delivery status notification (RFC 3464): which message it is about and what happened to
each recipient. Only what the standard says is trusted; a free-text bounce is not guessed at."""

from __future__ import annotations

import re
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from typing import NamedTuple

_CODE = re.compile(r"^\s*([245]\d\d)\b")
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


class RecipientReport(NamedTuple):
    address: str  # Final-Recipient (the address the MTA tried)
    original: str | None  # Original-Recipient, when the MTA kept it
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # the enhanced status code, e.g. 5.1.1
    diagnostic: str  # Diagnostic-Code without its type, e.g. "550 5.1.1 <a@b>: mailbox unavailable"
    code: int | None  # the SMTP reply code in the diagnostic, when there is one
    reporter: str  # Reporting-MTA


class Report(NamedTuple):
    message_id: str | None  # of the message that bounced, from the returned headers
    recipients: tuple[RecipientReport, ...]


def _one_line(value: object) -> str:
    return " ".join(str(value or "").split())


def _address(value: object) -> str:
    """`rfc822; ada@example.org` -> `ada@example.org`."""
    text = _one_line(value)
    kind, sep, rest = text.partition(";")
    return (rest if sep else kind).strip().strip("<>")


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (the parser makes each a Message)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    return [HeaderParser().parsestr(b) for b in re.split(r"\r?\n\r?\n", str(payload)) if b.strip()]


def _original_message_id(msg: Message) -> str | None:
    for part in msg.walk():
        ctype = part.get_content_type()
        headers: Message | None = None
        if ctype == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            headers = first if isinstance(first, Message) else None
        elif ctype == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(part.get_payload())
            headers = HeaderParser().parsestr(text)
        if headers is not None and headers.get("Message-ID"):
            mid = _one_line(headers["Message-ID"])
            return mid if mid.startswith("<") else f"<{mid}>"
    return None


def parse(raw: bytes) -> Report | None:
    """The report in `raw`, or None when it is not an RFC 3464 delivery status notification."""
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    if msg.get_content_type() != "multipart/report":
        return None
    status_part = next((p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None)
    if status_part is None:
        return None
    blocks = _blocks(status_part)
    if not blocks:
        return None
    reporter = _one_line(blocks[0].get("Reporting-MTA"))
    out = []
    for block in blocks[1:]:
        final = _address(block.get("Final-Recipient"))
        if not final:
            continue
        original = _address(block.get("Original-Recipient")) or None
        status = _one_line(block.get("Status"))
        diagnostic = _one_line(block.get("Diagnostic-Code"))
        kind, sep, text = diagnostic.partition(";")
        diagnostic = text.strip() if sep else diagnostic
        m = _CODE.match(diagnostic) if kind.strip().lower() == "smtp" or not sep else None
        out.append(RecipientReport(final, original, _one_line(block.get("Action")).lower(),
                                   status if _STATUS.match(status) else "", diagnostic,
                                   int(m.group(1)) if m else None, reporter))
    return Report(_original_message_id(msg), tuple(out))
