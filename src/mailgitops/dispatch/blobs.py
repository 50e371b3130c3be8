"""Large attachment bodies stored once: a message's bytes are kept as a skeleton in which each
large encoded part is a marker naming its SHA-256, and the part itself is stored once by that
hash. The three messages of one event (customer, operator, approver) carrying the same 25 MB
PDF store it once, not three times. Joining gives back the exact bytes, checked by the
message's own SHA-256 before it is sent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from email import message_from_bytes
from email.policy import compat32

MIN_PART = 16 * 1024  # smaller parts stay inline: not worth a lookup
_MARK = re.compile(rb"\x00mailgitops-blob:([0-9a-f]{64})\x00")  # NUL never occurs in SMTP data


def split(raw: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(skeleton, {sha256: encoded part}); a message without large parts is its own skeleton."""
    if len(raw) < MIN_PART or b"\x00" in raw:
        return raw, {}
    parts: dict[str, bytes] = {}
    skeleton = raw
    for part in message_from_bytes(raw, policy=compat32).walk():
        payload = part.get_payload()
        if part.is_multipart() or not isinstance(payload, str) or len(payload) < MIN_PART:
            continue
        body = payload.encode("ascii", "surrogateescape")  # the exact bytes the parser read
        if skeleton.count(body) != 1:
            continue  # not found as one run of bytes: left inline, which is always correct
        digest = hashlib.sha256(body).hexdigest()
        skeleton = skeleton.replace(body, b"\x00mailgitops-blob:" + digest.encode() + b"\x00")
        parts[digest] = body
    return skeleton, parts


def join(skeleton: bytes, fetch: Callable[[list[str]], Mapping[str, bytes]]) -> bytes:
    """The message's bytes again; `fetch` returns the stored parts for the hashes asked."""
    wanted = [m.decode() for m in _MARK.findall(skeleton)]
    if not wanted:
        return skeleton
    got = fetch(wanted)
    # a missing part leaves its marker: the checksum then fails and the row is quarantined
    return _MARK.sub(lambda m: got.get(m.group(1).decode(), m.group(0)), skeleton)
