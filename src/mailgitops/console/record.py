"""The change record kept inside the draft on its outbox row: the rendered original (taken before
the first change), who changed what and when, and at send the diff of subject, body (as the
recipient reads it), CC and attachments between the original and what was sent."""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from mailgitops.dispatch.outbox import Row

ORIGINAL = "original"
HISTORY = "history"
DIFF = "diff"


def _state(draft: Mapping[str, Any], cc: Sequence[str]) -> dict[str, Any]:
    return {"subject": draft.get("subject", ""), "markdown": draft.get("markdown", ""), "cc": list(cc),
            "attachments": list(draft.get("operator_attachments", []))}


def recorder(who: str, what: str) -> Any:
    """A hook for drafts.edit: keep the original once, then add one line to the history."""

    def hook(draft: dict[str, Any], before: Row, new_cc: list[str]) -> None:
        old = before.draft or {}
        if ORIGINAL not in draft:
            draft[ORIGINAL] = _state(old, before.cc)
        fields = [name for name, a, b in (
            ("subject", old.get("subject"), draft.get("subject")),
            ("body", old.get("markdown"), draft.get("markdown")),
            ("cc", list(before.cc), new_cc),
            ("attachments", old.get("operator_attachments", []), draft.get("operator_attachments", [])),
        ) if a != b]
        if fields or what != "edited":
            draft[HISTORY] = [*draft.get(HISTORY, []), {"who": who, "when": time.time(), "what": what,
                                                      "fields": fields}]

    return hook


def _lines(kind_a: Sequence[str], kind_b: Sequence[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=kind_a, b=kind_b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend({"kind": "same", "text": t} for t in kind_a[i1:i2])
            continue
        out.extend({"kind": "del", "text": t} for t in kind_a[i1:i2])
        out.extend({"kind": "add", "text": t} for t in kind_b[j1:j2])
    return out


def diff(original: Mapping[str, Any], sent: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per changed field; `original` and `sent` hold subject, text, cc, attachments."""
    out = []
    for field in ("subject", "body", "cc", "attachments"):
        a, b = original.get(field), sent.get(field)
        if a == b:
            continue
        if field == "body":
            lines = _lines(str(a or "").splitlines(), str(b or "").splitlines())
            lines = _context(lines)
        elif field == "subject":
            lines = _lines([str(a or "")], [str(b or "")])
        else:
            lines = _lines(list(a or []), list(b or []))
        out.append({"field": field, "lines": lines})
    return out


def _context(lines: list[dict[str, str]], keep: int = 2) -> list[dict[str, str]]:
    """Unchanged lines only near a change, so a one-word edit in a long email reads at a glance."""
    near: set[int] = set()
    for i, line in enumerate(lines):
        if line["kind"] != "same":
            near.update(range(i - keep, i + keep + 1))
    out: list[dict[str, str]] = []
    for i, line in enumerate(lines):
        if i in near:
            out.append(line)
        elif out and out[-1]["text"] != "…":
            out.append({"kind": "same", "text": "…"})
    return out
