"""Turn a Comparison into the pull-request Markdown summary and the JSON list of changed emails."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from mailgitops.gitops.diff import SENT_BY, Comparison, EmailChange, Status
from mailgitops.gitops.sending import NOT_SENT, describe
from mailgitops.gitops.shared import MIN_EMAILS, TEXT_KINDS, Shared, only_shared, shared_changes

TITLE = "## Email preview"
# GitHub refuses comments over 65,536 characters; stay below with room for the workflow's footer.
MAX_CHARS = 60_000
MAX_DIFF_LINES = 80
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!<>])")


@dataclass(frozen=True, slots=True)
class Limits:
    max_chars: int = MAX_CHARS
    max_diff_lines: int = MAX_DIFF_LINES


def md_text(value: str) -> str:
    """Inline text shown literally: no Markdown, no HTML, no table breaks, one line."""
    value = " ".join(value.split())
    return _MD_SPECIAL.sub(r"\\\1", value.replace("&", "&amp;")) or "(empty)"


def _fence(lines: tuple[str, ...] | list[str]) -> str:
    """A code fence longer than any backtick run inside, so no line can close it."""
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _bytes(n: int) -> str:
    return f"{n:,} B"


def _size(change: EmailChange) -> str:
    if change.before is None and change.after is not None:
        return _bytes(change.after.html_bytes)
    if change.after is None and change.before is not None:
        return f"~~{_bytes(change.before.html_bytes)}~~"
    assert change.before is not None and change.after is not None
    before, delta = change.before.html_bytes, change.size_delta
    if delta == 0:
        return f"{_bytes(before)} (same)"
    # "-0.0%" says nothing; below a tenth of a percent the byte count alone is shown.
    pct = f", {delta / before:+.1%}" if before and abs(delta / before) >= 0.0005 else ""
    return f"{_bytes(before)} → {_bytes(change.after.html_bytes)} ({delta:+,} B{pct})"


def _subject(change: EmailChange) -> str:
    if change.before is not None and change.after is not None and change.subject_changed:
        return f"{md_text(change.before.subject)} → **{md_text(change.after.subject)}**"
    email = change.after or change.before
    assert email is not None
    return md_text(email.subject)


def also_same(twins: tuple[str, ...]) -> str:
    """The `<template>@<shop>` emails that are a row's own email, named on that row (the spam
    check's table names them the same way): ` (also `@staff`: the same email)`."""
    shops = ", ".join(f"`@{t.partition('@')[2]}`" for t in twins)
    return f" (also {shops}: the same email)" if shops else ""


def _name(change: EmailChange) -> str:
    was = f" (was `{change.renamed_from}`)" if change.renamed_from else ""
    # a shop's rendering of the very same email is named here, not given a row of its own
    return f"`{change.template}` · `{change.lang}`{was}{also_same(change.twins)}"


def _without_twins(changes: list[EmailChange]) -> list[EmailChange]:
    """The changes less each `<template>@<shop>` one that repeats a plain one in the same list
    (which names it): a shop with nothing of its own for an email made a second, identical row."""
    shown = {c.key for c in changes}
    return [c for c in changes if not (c.same_as and (c.same_as, c.lang) in shown)]


def _renamed(cmp: Comparison) -> list[str]:
    """Renamed template folders: their emails are compared with the old name's, not shown as
    all new and all gone."""
    if not cmp.renamed:
        return []
    # `order-ready@campus` → `order-complete@campus` (a shop's row) goes without saying
    shown = [(old, new) for old, new in cmp.renamed
             if "@" not in old or (old.partition("@")[0], new.partition("@")[0]) not in set(cmp.renamed)]
    names = ", ".join(f"`{old}` → `{new}`" for old, new in shown)
    return [f"**Renamed** (compared with the emails of the old name; only those that differ are "
            f"listed): {names}", ""]


def _status(c: EmailChange, gone: frozenset[str]) -> str:
    """The change as the table and the section heading name it: an email that customers stop
    getting says so, whether its template went or the triggers that sent it did. (A language
    removed from one template is not: its customers get another language's text.)"""
    if c.status is Status.REMOVED and c.template in gone:
        return "removed: **no longer sent**"
    if c.status is Status.REMOVED and c.instead:
        return f"removed: **sent in `{c.instead}` instead**"
    if any(name == SENT_BY and new == NOT_SENT for name, _, new in c.header_changes):
        return "changed: **no longer sent**" if c.status is Status.CHANGED else "added: **not sent**"
    return str(c.status)


def _headline(cmp: Comparison) -> str:
    if not cmp.changes:
        return f"**No email changed** ({cmp.head_count} rendered, all identical to the base)."
    parts = [f"{cmp.count(s)} {s}" for s in (Status.CHANGED, Status.ADDED, Status.REMOVED) if cmp.count(s)]
    total = len(cmp.changes)
    noun = "email differs" if total == 1 else "emails differ"
    return f"**{total} {noun}** from the base: {', '.join(parts)}; {cmp.unchanged} unchanged."


def _html_only(c: EmailChange) -> bool:
    """Changed in its HTML and nothing a reader could name: a colour, the logo, the layout (not
    a word, nor its bold, italics or link)."""
    return (c.status is Status.CHANGED and c.html_changed and not c.text_diff and not c.html_text_diff
            and not c.header_changes
            and not c.subject_changed and not c.fallback_changed and not c.new_warnings)


def _look_only(cmp: Comparison) -> list[EmailChange]:
    """The emails to sum up as one look change; none when they are too few to be a wall."""
    found = [c for c in cmp.changes if _html_only(c)]
    return found if len(found) >= MIN_EMAILS else []


def _look_block(look: list[EmailChange]) -> list[str]:
    """A new colour or logo changes every email's HTML and none of its words: one paragraph
    naming them all (folded), where each had a row and a section saying 'HTML only'."""
    deltas = sorted(c.size_delta for c in look)
    size = (f"{deltas[0]:+,} B" if deltas[0] == deltas[-1] else f"{deltas[0]:+,} B to {deltas[-1]:+,} B")
    langs: dict[str, list[str]] = {}
    for c in look:
        langs.setdefault(c.template, []).append(c.lang)
    names = [f"- `{t}`: {', '.join(f'`{lg}`' for lg in ls)}" for t, ls in langs.items()]
    return [f"**{len(look)} emails changed in their HTML only** (layout, colours or logo; no subject, "
            f"text or sender changed; HTML size {size}): see the screenshots.", "",
            "<details><summary>Which emails</summary>", "", *names, "", "</details>", ""]


def _table(changes: list[EmailChange], gone: frozenset[str]) -> list[str]:
    if not changes:
        return []
    rows = ["| email | change | subject | HTML size |", "| --- | --- | --- | --- |"]
    for c in changes:
        # a new warning (Gmail clips it, a link without https) is what to read first in its section
        warned = f" · **{len(c.new_warnings)} new warning(s)**" if c.new_warnings else ""
        rows.append(f"| {_name(c)} | {_status(c, gone)}{warned} | {_subject(c)} | {_size(c)} |")
    return [*rows, ""]


def _shared(common: list[Shared], folded: list[EmailChange]) -> list[str]:
    """The same edit in many emails (a new footer, a new sender), once, before the table; the
    emails with no other change (`folded`) are named under it, folded, instead of each having a
    row and a section that repeat it (a one-line footer made 119 sections, cut by the size limit)."""
    if not common:
        return []
    said = ("each changed email's own section below shows it too" if not folded else
            f"{len(folded)} emails changed in this alone, named below; each other email has its own "
            "section below")
    rows = [f"**The same change in several emails** ({said}):", "", "| emails | change |", "| --- | --- |"]
    for s in common:
        if s.kind in TEXT_KINDS:
            where = "" if s.kind == "text" else " (in the HTML, its bold, italics and links marked)"
            what = ("line added" if s.line[0] == "+" else "line removed") + f"{where}: " + md_text(s.line[2:])
        else:
            old, _, new = s.line.partition(" → ")
            what = f"{s.kind}: {md_text(old)} → **{md_text(new)}**"
        rows.append(f"| {s.emails} | {what} |")
    if folded:
        names = [f"- {_name(c)}" for c in _without_twins(folded)]
        rows += ["", f"<details><summary>The {len(folded)} emails changed in this alone</summary>", "",
                 *names, "", "</details>"]
    return [*rows, ""]


def _what_changed(c: EmailChange) -> str:
    if c.status is not Status.CHANGED:
        return ""
    parts = []
    if c.subject_changed:
        parts.append("subject")
    if c.text_diff:
        parts.append("text")
    if c.html_text_diff:  # an edit of the Markdown the text part cannot show: `**…**` taken away
        parts.append("bold, italics or links in the HTML (the plain-text part reads the same)")
    parts.extend(name for name, _, _ in c.header_changes)
    # The HTML carries the subject and the text too; it is news only when nothing else changed.
    if c.html_changed and not parts:
        parts.append("HTML only (layout or styling)")
    if c.fallback_changed:
        parts.append("language used")
    if not parts:
        parts.append("warnings")
    return "Changed: " + ", ".join(parts) + "."


def _fallback_note(c: EmailChange) -> str | None:
    email = c.after or c.before
    assert email is not None
    if c.fallback_changed and c.before is not None and c.after is not None:
        return (f"Language used: `{md_text(c.before.language_used)}` → `{md_text(c.after.language_used)}`"
                " (another language's text is used when this one has none).")
    if c.status is Status.ADDED and email.language_used != email.lang:
        return f"Rendered from `{md_text(email.language_used)}`: there is no `{md_text(c.lang)}` text yet."
    return None


# inside <summary>, raw HTML: GitHub shows the marks as written
HTML_DIFF = "HTML diff (its words, with **bold**, *italics* and [links](address) marked)"


def _diff_block(c: EmailChange, limits: Limits) -> list[str]:
    diff = c.text_diff or c.html_text_diff
    lines = list(diff[2:])  # the ---/+++ header names only the file, already in the heading
    shown = lines[: limits.max_diff_lines]
    more = len(lines) - len(shown)
    fence = _fence(shown)
    label = ("Text of the new email" if c.status is Status.ADDED else
             "Text diff" if c.text_diff else HTML_DIFF)
    out = [f"<details><summary>{label}</summary>", "", f"{fence}diff", *shown, fence]
    if more:
        out.append(f"… {more} more line(s); the full text is in the previews artifact.")
    return [*out, "", "</details>"]


def _section(c: EmailChange, limits: Limits, gone: frozenset[str], *, with_diff: bool) -> list[str]:
    out = [f"### {_name(c)}: {_status(c, gone)}", ""]
    facts = [f"- Subject: {_subject(c)}"]
    facts.extend(f"- {name}: {md_text(new)}" if c.status is Status.ADDED
                 else f"- {name}: {md_text(old)} → **{md_text(new)}**" for name, old, new in c.header_changes)
    # which trigger sends it to whom, also when that did not change: the email's place in the flow
    if c.status is Status.CHANGED and c.after is not None and c.after.sent_by is not None \
            and all(name != SENT_BY for name, _, _ in c.header_changes):
        facts.append(f"- {SENT_BY}: {md_text(describe(c.after.sent_by))}")
    elif c.status is Status.REMOVED and c.before is not None and c.before.sent_by is not None:
        # who no longer gets it: a deleted template's section had only its subject and size
        # (a reviewer's walk)
        facts.append(f"- Was {SENT_BY[0].lower()}{SENT_BY[1:]}: {md_text(describe(c.before.sent_by))}")
    facts.append(f"- HTML size: {_size(c)}")
    if what := _what_changed(c):
        facts.append(f"- {what}")
    if note := _fallback_note(c):
        facts.append(f"- {note}")
    if c.new_warnings:
        facts.append("- New warnings:")
        facts.extend(f"  - {md_text(w)}" for w in c.new_warnings)
    out.extend(facts)
    # A removed email's whole text as minus lines tells a reviewer nothing the heading does not.
    has_diff = bool(c.text_diff or c.html_text_diff) and c.status is not Status.REMOVED
    if with_diff and has_diff:
        out.extend(["", *_diff_block(c, limits)])
    elif has_diff:
        what = "Text diff" if c.text_diff else "HTML diff"
        out.append(f"- {what} left out to keep this summary within GitHub's size limit;"
                   " see the previews artifact.")
    return [*out, ""]


def to_markdown(cmp: Comparison, limits: Limits | None = None) -> str:
    """The summary: headline, table, then one section per differing email. Deterministic."""
    limits = limits or Limits()
    head = [TITLE, "", _headline(cmp), "", *_renamed(cmp)]
    if not cmp.changes:
        return "\n".join(head)
    look = _look_only(cmp)
    listed = [c for c in cmp.changes if not (look and _html_only(c))]
    common = shared_changes(cmp)
    folded = [c for c in listed if only_shared(c, common)]
    if len(folded) < MIN_EMAILS:
        folded = []
    listed = _without_twins([c for c in listed if c not in folded])
    head.extend([*_shared(common, folded), *(_look_block(look) if look else []), *_table(listed, cmp.gone)])
    # Room for the closing "… and N more" line, so that it never pushes the total over.
    used = sum(len(line) + 1 for line in head) + 100
    body: list[str] = []
    for i, c in enumerate(listed):
        section = _section(c, limits, cmp.gone, with_diff=True)
        size = sum(len(line) + 1 for line in section)
        if used + size > limits.max_chars:
            section = _section(c, limits, cmp.gone, with_diff=False)
            size = sum(len(line) + 1 for line in section)
        if used + size > limits.max_chars:
            rest = len(listed) - i
            body.append(f"… and {rest} more email(s); see the table above and the previews artifact.")
            break
        body.extend(section)
        used += size
    return "\n".join(head + body).rstrip("\n") + "\n"


def to_json(cmp: Comparison) -> str:
    """The differing emails for tools (the screenshot step): head paths, subjects, status."""
    items = []
    for c in cmp.changes:
        items.append({
            "template": c.template,
            "lang": c.lang,
            "status": str(c.status),
            "subject_before": c.before.subject if c.before else None,
            "subject_after": c.after.subject if c.after else None,
            "html": c.after.html if c.after else None,
            "eml": (c.after.eml or None) if c.after else None,
            # the base's files of a changed email, for a screenshot of it before
            "html_before": c.before.html if c.before and c.after else None,
            "eml_before": (c.before.eml or None) if c.before and c.after else None,
            "html_bytes_before": c.before.html_bytes if c.before else None,
            "html_bytes_after": c.after.html_bytes if c.after else None,
            "new_warnings": list(c.new_warnings),
            # a `<template>@<shop>` email that is the plain template's, byte for byte, before
            # and after: that template (the spam check names it on the plain email's row)
            "same_as": c.same_as or None,
        })
    doc = {"format": 1, "base_count": cmp.base_count, "head_count": cmp.head_count, "changed": items}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
