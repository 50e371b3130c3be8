"""A message's bytes exactly as `Message.as_bytes()` (email.generator.BytesGenerator) writes them,
for the shapes build_message makes, at a fraction of the CPU.

The generator writes every body line separately (some 400 writes for one email), makes a new
buffer, generator and policy clone for every part, parses each part's Content-Type twice to pick
a handler and find the boundary, and refolds every long Content-Type, which is new in every
message because its boundary is. Here a body is one substitution, a boundary is read from the
header text we wrote, and a long header's folding is reused across messages. Anything outside
those shapes (a message/* part, multipart/signed, a payload that is not ASCII text, preamble or
epilogue, a header without a plain value where one is needed) goes to the generator itself, so
the bytes never depend on which path made them (tests/unit/render/test_mime_bytes.py compares both).
"""

from __future__ import annotations

import re
from email.message import Message
from email.policy import EmailPolicy

_NL = re.compile(r"\r\n|\r|\n")  # the generator's NLCRE: every line ending becomes the policy's
_CTYPE = re.compile(r"\s*([A-Za-z0-9!#$&^_.+-]+)/([A-Za-z0-9!#$&^_.+-]+)\s*(?:;|$)")
# a quoted boundary with no quoting or encoding inside: its value is exactly what get_boundary() gives
_BOUNDARY = re.compile(r';\s*boundary="([A-Za-z0-9\'()+_,./:=?-]*[A-Za-z0-9\'()+_,./:=?-])"\s*(?:;|$)',
                       re.IGNORECASE)
# build_message's boundaries carry the Message-ID's hash: the same header in every message but for
# it. Folding depends on lengths and character classes only, so the folded text of one with zeros
# there is the folded text of every other once the digits are put back (checked below each time).
_SEED = re.compile(r"=_mg_([0-9a-f]{24})_")
_ZERO_SEED = "=_mg_" + "0" * 24 + "_"
_FOLDS: dict[tuple[EmailPolicy, str, str], bytes] = {}
_MAX_FOLDS = 1024


class _Unusual(Exception):
    """A shape this module does not write: the generator does."""


def message_bytes(msg: Message) -> bytes:
    """`msg.as_bytes()`, byte for byte."""
    return serialise(msg)[0]


def serialise(msg: Message) -> tuple[bytes, list[bytes] | None]:
    """`msg.as_bytes()`, and the body of each leaf part as it stands in those bytes, in the order
    a parser walks them (what the outbox looks for large attachments in: dispatch/blobs.py); None
    when the generator wrote the message."""
    policy = msg.policy
    if not isinstance(policy, EmailPolicy) or policy.cte_type != "8bit":
        return msg.as_bytes(), None
    out: list[bytes] = []
    bodies: list[bytes] = []
    try:
        _write(msg, policy, out, bodies)
    except _Unusual:
        return msg.as_bytes(), None
    return b"".join(out), bodies


def _write(part: Message, policy: EmailPolicy, out: list[bytes], bodies: list[bytes]) -> None:
    nl = policy.linesep
    ctype = None
    headers: list[bytes] = []
    for name, value in part.raw_items():
        if ctype is None and name.lower() == "content-type":
            if type(value) is not str:
                raise _Unusual
            ctype = value
        headers.append(_fold(policy, name, value))
    found = _CTYPE.match(ctype) if ctype is not None else None
    if found is None:  # no Content-Type, or one the generator reads as text/plain: its rules
        raise _Unusual
    maintype, subtype = found.group(1).lower(), found.group(2).lower()
    out.extend(headers)
    out.append(nl.encode("ascii"))
    payload = _payload(part)
    assert ctype is not None  # found
    if maintype == "multipart" and subtype != "signed":  # signed: the generator does not refold
        _multipart(part, ctype, policy, out, bodies)
    elif maintype in ("message", "multipart"):
        raise _Unusual
    elif payload is not None:
        if type(payload) is not str or not payload.isascii():
            raise _Unusual
        # quoted-printable and base64 end their lines with LF alone: a replace does what the regex does
        lines = payload.replace("\n", nl) if "\r" not in payload else _NL.sub(nl, payload)
        out.append(body := lines.encode("ascii"))
        bodies.append(body)


def _multipart(part: Message, ctype: str, policy: EmailPolicy, out: list[bytes], bodies: list[bytes]) -> None:
    boundary = _BOUNDARY.findall(ctype)
    payload = _payload(part)
    if (type(payload) is not list or part.preamble is not None
            or part.epilogue is not None or len(boundary) != 1 or ctype.lower().count("boundary") != 1):
        raise _Unusual
    nl = policy.linesep
    delimiter = f"{nl}--{boundary[0]}{nl}".encode("ascii")
    out.append(delimiter[len(nl):])
    for i, sub in enumerate(payload):
        if not isinstance(sub, Message):
            raise _Unusual
        if i:
            out.append(delimiter)
        _write(sub, policy, out, bodies)
    out.append(f"{nl}--{boundary[0]}--{nl}".encode("ascii"))


def _payload(part: Message) -> object:
    """What the generator itself reads (`msg._payload`, which typeshed does not declare)."""
    return part.__dict__.get("_payload")


def _fold(policy: EmailPolicy, name: str, value: str) -> bytes:
    """policy.fold_binary(name, value); a plain value too long for one line is refolded from its
    parse, which costs a parse and a fold: do that once per distinct text (seed aside)."""
    limit = policy.max_line_length
    if type(value) is not str or not limit or policy.refold_source == "all":
        return policy.fold_binary(name, value)
    if len(name) + len(value) + 2 <= limit:
        if value.isprintable():  # one line, short: EmailPolicy._fold writes it as it is
            text = f"{name}: {value}{policy.linesep}"
            return text.encode("utf-8" if policy.utf8 else "ascii", "surrogateescape")
        return policy.fold_binary(name, value)
    seeds = _SEED.findall(value)
    key = (policy, name, _SEED.sub(_ZERO_SEED, value))
    folded = _FOLDS.get(key)
    if folded is None:
        if len(_FOLDS) >= _MAX_FOLDS:
            _FOLDS.clear()
        folded = _FOLDS[key] = policy.fold_binary(name, key[2])
    if not seeds:
        return folded
    pieces = folded.split(_ZERO_SEED.encode("ascii"))
    if len(pieces) != len(seeds) + 1:  # the fold split or moved a boundary: no shortcut
        return policy.fold_binary(name, value)
    return pieces[0] + b"".join(b"=_mg_%s_%s" % (seed.encode("ascii"), piece)
                                for seed, piece in zip(seeds, pieces[1:], strict=True))
