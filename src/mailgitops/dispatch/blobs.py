"""Large attachment bodies stored once: a message's bytes are kept as a skeleton in which each
large encoded part is a marker naming its SHA-256, and the part itself is stored once by that
hash. The three messages of one event (customer, operator, approver) carrying the same 25 MB
PDF store it once, not three times. Joining gives back the exact bytes, checked by the
message's own SHA-256 before it is sent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

MIN_PART = 16 * 1024  # smaller parts stay inline: not worth a lookup
_MARK = re.compile(rb"\x00mailgitops-blob:([0-9a-f]{64})\x00")  # NUL never occurs in SMTP data


def split(raw: bytes, bodies: Sequence[bytes] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """(skeleton, {sha256: encoded part}); a message without large parts is its own skeleton.
    `bodies`: each leaf part's body as it stands in `raw`, when the caller wrote the message and
    knows them (render/mime_bytes.py): parsing a message with a 1 MB attachment back costs ~25 ms.
    Either way a body is taken out only where it occurs once, so the bytes join back the same."""
    if len(raw) < MIN_PART or b"\x00" in raw:
        return raw, {}
    parts: dict[str, bytes] = {}
    skeleton = raw
    for body in _leaf_bodies(raw) if bodies is None else bodies:
        if len(body) < MIN_PART or skeleton.count(body) != 1:
            continue  # small, or not found as one run of bytes: left inline, which is always correct
        digest = hashlib.sha256(body).hexdigest()
        skeleton = skeleton.replace(body, b"\x00mailgitops-blob:" + digest.encode() + b"\x00")
        parts[digest] = body
    return skeleton, parts


def _leaf_bodies(raw: bytes) -> Iterator[bytes]:
    # imported here: only a message stored without the bodies its serialiser wrote is parsed, and
    # the email package costs `outbox flush` ~2.6 ms of start-up it otherwise never needs
    from email import message_from_bytes
    from email.policy import compat32

    for part in message_from_bytes(raw, policy=compat32).walk():
        payload = part.get_payload()
        if not part.is_multipart() and isinstance(payload, str):
            yield payload.encode("ascii", "surrogateescape")  # the exact bytes the parser read


def join(skeleton: bytes, fetch: Callable[[list[str]], Mapping[str, bytes]]) -> bytes:
    """The message's bytes again; `fetch` returns the stored parts for the hashes asked."""
    wanted = [m.decode() for m in _MARK.findall(skeleton)]
    if not wanted:
        return skeleton
    got = fetch(wanted)
    # a missing part leaves its marker: the checksum then fails and the row is quarantined
    return _MARK.sub(lambda m: got.get(m.group(1).decode(), m.group(0)), skeleton)
