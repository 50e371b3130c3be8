"""The change record kept inside the draft on its outbox row: the rendered original (taken before
the first change), who changed what and when, and at send the diff of subject, body (as the
recipient reads it), CC and attachments between the original and what was sent."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from mailgitops.dispatch.draft_shape import DiffLine, DiffPart

SENT = "sent the email"  # the history line of the send; two racing clicks keep only the winner's
DISCARDED = "discarded the draft"  # the history line of a discard: a Send from an older tab names who


@dataclass(frozen=True)
class Shown:
    """What the diff compares: the subject, the text part the recipient reads, CC, file names."""

    subject: str
    body: str
    cc: tuple[str, ...]
    attachments: tuple[str, ...]


def _lines(kind_a: Sequence[str], kind_b: Sequence[str]) -> list[DiffLine]:
    out: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=kind_a, b=kind_b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(DiffLine("same", t) for t in kind_a[i1:i2])
            continue
        out.extend(DiffLine("del", t) for t in kind_a[i1:i2])
        out.extend(DiffLine("add", t) for t in kind_b[j1:j2])
    return out


def diff(original: Shown, sent: Shown) -> tuple[DiffPart, ...]:
    """One entry per changed field, in the order subject, body, cc, attachments."""
    out: list[DiffPart] = []
    if original.subject != sent.subject:
        out.append(DiffPart("subject", tuple(_lines([original.subject], [sent.subject]))))
    if original.body != sent.body:
        lines = _lines(original.body.splitlines(), sent.body.splitlines())
        out.append(DiffPart("body", tuple(_context(lines))))
    if original.cc != sent.cc:
        out.append(DiffPart("cc", tuple(_lines(original.cc, sent.cc))))
    if original.attachments != sent.attachments:
        out.append(DiffPart("attachments", tuple(_lines(original.attachments, sent.attachments))))
    return tuple(out)


def _context(lines: list[DiffLine], keep: int = 2) -> list[DiffLine]:
    """Unchanged lines only near a change, so a one-word edit in a long email reads at a glance."""
    near: set[int] = set()
    for i, line in enumerate(lines):
        if line.kind != "same":
            near.update(range(i - keep, i + keep + 1))
    out: list[DiffLine] = []
    for i, line in enumerate(lines):
        if i in near:
            out.append(line)
        elif out and out[-1].text != "…":
            out.append(DiffLine("same", "…"))
    return out
