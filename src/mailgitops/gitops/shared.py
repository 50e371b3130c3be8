"""What many changed emails have in common: a rebrand or a new footer changes the same line in
every template and language, and a reviewer reading 80 sections (of which GitHub's size limit
shows only some) should see that change once, with how many emails it reaches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mailgitops.gitops.diff import SENT_BY, Comparison, EmailChange, Status

MIN_EMAILS = 3  # fewer is read as easily in the sections themselves
MAX_ITEMS = 12
# a line of the text part, and a line of the HTML's words (when only those changed: a `**…**` taken away)
TEXT_KINDS = ("text", "HTML")


@dataclass(frozen=True, slots=True)
class Shared:
    """A text line added or removed (`+ …` / `- …`) or an address header change, and in how
    many of the changed emails it occurs."""

    kind: str  # "text" | "HTML" (htmltext.py's lines) | a header name (From, Reply-To, To, Cc)
    line: str  # `+ text` / `- text`, or `before → after`
    emails: int


def items_of(c: EmailChange) -> set[tuple[str, str]]:
    """A changed email's edits as (kind, line): each text line added or removed (of the HTML's
    words when only those changed), each header change."""
    diffs = zip(TEXT_KINDS, (c.text_diff, c.html_text_diff), strict=True)
    items = {(kind, f"{line[0]} {line[1:]}") for kind, diff in diffs
             for line in diff[2:] if line[:1] in "+-" and line[1:].strip()}
    return items | {(name, f"{old or '(none)'} → {new or '(none)'}") for name, old, new in c.header_changes}


def only_shared(c: EmailChange, common: list[Shared]) -> bool:
    """Whether everything that changed in `c` is in `common`: its own section would repeat the
    summary and nothing else (a new footer line, a new sender, in every email)."""
    if c.status is not Status.CHANGED or c.subject_changed or c.fallback_changed or c.new_warnings:
        return False
    if any(name == SENT_BY for name, _, _ in c.header_changes):  # sent to others, or no longer sent:
        return False  # each such email keeps its row, where the table says it
    items = items_of(c)
    return bool(items) and items <= {(s.kind, s.line) for s in common}


def shared_changes(cmp: Comparison) -> list[Shared]:
    """The changes found in at least MIN_EMAILS changed emails, most widespread first."""
    seen: Counter[tuple[str, str]] = Counter()
    # A template's rows per webshop (`order-accepted@campus`) are its one text rendered again: an
    # edit of one text reaches three rows but is no edit "in several emails" (it listed every
    # line of that one edit here). What counts is how many texts (template, language) it reaches.
    texts: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for c in cmp.changes:
        if c.status is not Status.CHANGED:
            continue  # an added or removed email is all new or all gone: no shared edit
        items = items_of(c)
        seen.update(items)
        for item in items:
            texts.setdefault(item, set()).add((c.template.partition("@")[0], c.lang))
    common = [Shared(kind, line, n) for (kind, line), n in seen.items()
              if len(texts[(kind, line)]) >= MIN_EMAILS]
    # headers first (who sends it), then the text, each by reach; ties in a stable order
    common.sort(key=lambda s: (s.kind in TEXT_KINDS, -s.emails, s.kind, s.line[0] == "+", s.line))
    return common[:MAX_ITEMS]
