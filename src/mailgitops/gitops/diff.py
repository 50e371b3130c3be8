"""Compare two render outputs email by email: what was added, removed or changed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from enum import StrEnum
from pathlib import Path

from mailgitops.errors import MailgitopsError
from mailgitops.gitops.htmltext import marked_lines
from mailgitops.gitops.manifest import ManifestEntry, RenderOutput, load_output
from mailgitops.gitops.renames import find_renames
from mailgitops.gitops.sending import describe


class Status(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class EmailChange:
    """One template and language whose rendered email differs between base and head."""

    template: str
    lang: str
    status: Status
    before: ManifestEntry | None
    after: ManifestEntry | None
    text_diff: tuple[str, ...]  # unified diff lines of the text part, without line endings
    html_changed: bool
    new_warnings: tuple[str, ...]
    # (header, before, after) for the addressing headers that differ, e.g. a new sender name,
    # and SENT_BY when the triggers that send it changed (a trigger switched off).
    header_changes: tuple[tuple[str, str, str], ...] = ()
    renamed_from: str = ""  # the template's name in the base, when its folder was renamed
    # a language dropped from a template that stays: the language its recipients now get
    instead: str = ""
    # a `<template>@<shop>` email that is the plain `<template>` email of its language, byte for
    # byte, before and after (a shop with nothing of its own for it): the plain template's name;
    # on that plain email's change, the names of its twins
    same_as: str = ""
    twins: tuple[str, ...] = ()
    # an HTML that changed where the text part did not: the diff of the HTML's words, with its
    # bold, italics and links marked (htmltext.py); empty when those are the same too (a colour,
    # the logo, the layout)
    html_text_diff: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.template, self.lang)

    @property
    def subject_changed(self) -> bool:
        before, after = self.before, self.after
        return before is not None and after is not None and before.subject != after.subject

    @property
    def size_delta(self) -> int:
        return (self.after.html_bytes if self.after else 0) - (self.before.html_bytes if self.before else 0)

    @property
    def fallback_changed(self) -> bool:
        return (self.before is not None and self.after is not None
                and self.before.language_used != self.after.language_used)


@dataclass(frozen=True, slots=True)
class Comparison:
    changes: tuple[EmailChange, ...]  # sorted by template, then language
    base_count: int
    head_count: int
    # templates of the base with no email at all in the head: deleted, so no longer sent
    gone: frozenset[str] = frozenset()
    renamed: tuple[tuple[str, str], ...] = ()  # (old, new) template names, sorted by the old

    @property
    def unchanged(self) -> int:
        return self.head_count - sum(c.status is not Status.REMOVED for c in self.changes)

    def count(self, status: Status) -> int:
        return sum(c.status is status for c in self.changes)


def _text_lines(out: RenderOutput, email: ManifestEntry | None) -> list[str]:
    return out.read_text(email.text).splitlines() if email is not None else []


# What a recipient sees of the envelope; Date and Message-ID are the renderer's, not the admin's.
ADDRESS_HEADERS = ("From", "Reply-To", "To", "Cc")
SENT_BY = "Sent by"


def address_headers(eml: bytes) -> dict[str, str]:
    """From, Reply-To, To and Cc as an .eml has them, each on one line (the diff and the gallery)."""
    msg = BytesHeaderParser(policy=default_policy).parsebytes(eml)
    return {name: " ".join(str(msg[name]).split()) for name in ADDRESS_HEADERS if msg[name] is not None}


def _headers(out: RenderOutput, email: ManifestEntry) -> dict[str, str]:
    return address_headers(out.read(email.eml)) if email.eml else {}


def _header_changes(base: RenderOutput, before: ManifestEntry,
                    head: RenderOutput, after: ManifestEntry) -> tuple[tuple[str, str, str], ...]:
    if not (before.eml and after.eml):
        return ()
    old, new = _headers(base, before), _headers(head, after)
    return tuple((name, old.get(name, ""), new.get(name, "")) for name in ADDRESS_HEADERS
                 if old.get(name, "") != new.get(name, ""))


def _sent_by_change(before: ManifestEntry | None, after: ManifestEntry | None
                    ) -> tuple[tuple[str, str, str], ...]:
    """Which triggers send it, before → after; nothing when either side does not say."""
    if after is None or after.sent_by is None or (before is not None and before.sent_by is None):
        return ()
    old = describe(before.sent_by) if before is not None and before.sent_by is not None else ""
    new = describe(after.sent_by)
    return () if old == new else ((SENT_BY, old, new),)


def _instead(head: RenderOutput, key: tuple[str, str]) -> str:
    """The language a `key[1]` recipient gets of template `key[0]` in the head, as dispatch
    picks it (its base language, de-CH -> de, else the default); "" when the template is gone
    or the head does not say."""
    template, lang = key
    langs = {lg for t, lg in head.emails if t == template}
    if not langs:
        return ""
    primary = lang.replace("_", "-").split("-")[0].lower()
    same = sorted(lg for lg in langs if lg.lower() == primary)
    if same:
        return same[0]
    return head.default_language if head.default_language in langs else ""


def _unified(before: list[str], after: list[str], name: str) -> tuple[str, ...]:
    lines = difflib.unified_diff(before, after, f"a/{name}", f"b/{name}", n=2, lineterm="")
    return tuple(lines)


def _compare_one(base: RenderOutput, head: RenderOutput, key: tuple[str, str],
                 base_key: tuple[str, str]) -> EmailChange | None:
    """The email `key` of the head against `base_key` of the base (the same but for a rename)."""
    before, after = base.emails.get(base_key), head.emails.get(key)
    name = f"{key[0]}/{key[1]}.txt"
    renamed_from = base_key[0] if base_key != key else ""
    text_diff = _unified(_text_lines(base, before), _text_lines(head, after), name)
    old_warnings = before.warnings if before else ()
    new_warnings = tuple(w for w in (after.warnings if after else ()) if w not in old_warnings)
    if before is None or after is None:
        status = Status.ADDED if before is None else Status.REMOVED
        # a new email's sender and recipients (a new webshop's From and Reply-To) are news too
        headers = tuple((name, "", value) for name, value in _headers(head, after).items()) \
            if after is not None else ()
        headers += _sent_by_change(before, after)
        instead = _instead(head, key) if after is None else ""
        return EmailChange(key[0], key[1], status, before, after, text_diff, True, new_warnings, headers,
                           instead=instead)
    images_changed = before.images is not None and after.images is not None and before.images != after.images
    html_changed = images_changed or base.read(before.html) != head.read(after.html)
    headers = _header_changes(base, before, head, after) + _sent_by_change(before, after)
    html_text_diff: tuple[str, ...] = ()
    if html_changed and not text_diff:
        html_text_diff = _unified(marked_lines(base.read_text(before.html)),
                                  marked_lines(head.read_text(after.html)), f"{key[0]}/{key[1]}.html")
    differs = (text_diff or html_changed or new_warnings or headers or before.subject != after.subject
               or before.language_used != after.language_used or before.warnings != after.warnings)
    if not differs:
        return None
    return EmailChange(key[0], key[1], Status.CHANGED, before, after, text_diff, html_changed, new_warnings,
                       headers, renamed_from, html_text_diff=html_text_diff)


def _same_email(out: RenderOutput, a: ManifestEntry | None, b: ManifestEntry | None) -> bool:
    """Whether two emails of one render output read the same to a reviewer: subject, text, HTML,
    images, From/Reply-To/To/Cc, who sends them, warnings and the language used."""
    if a is None or b is None:
        return a is b
    return (a.subject == b.subject and a.language_used == b.language_used and a.warnings == b.warnings
            and a.images == b.images and a.sent_by == b.sent_by and a.html_bytes == b.html_bytes
            and out.read(a.text) == out.read(b.text) and out.read(a.html) == out.read(b.html)
            and _headers(out, a) == _headers(out, b))


def _twins(base: RenderOutput, head: RenderOutput, changes: list[EmailChange]) -> list[EmailChange]:
    """Each `<template>@<shop>` change that repeats its template's plain change (the same email
    before and after) marked `same_as`: a shop with no sender, look or link of its own for it
    renders the plain email again, and the summary names it with that row, not as a second one."""
    plain = {(c.template, c.lang): c for c in changes if "@" not in c.template}
    same: dict[tuple[str, str], list[str]] = {}
    for c in changes:
        twin = plain.get((c.template.partition("@")[0], c.lang)) if "@" in c.template else None
        if (twin is not None and twin.status is c.status and _same_email(base, c.before, twin.before)
                and _same_email(head, c.after, twin.after)):
            same.setdefault((twin.template, c.lang), []).append(c.template)
    twin_of = {(t, lang): plain_t for (plain_t, lang), ts in same.items() for t in ts}
    return [replace(c, same_as=twin_of.get(c.key, ""), twins=tuple(same.get(c.key, ()))) for c in changes]


def compare(base: RenderOutput, head: RenderOutput) -> Comparison:
    renames = find_renames(base, head)
    # each head email with the base email it is compared with; then the base's left over
    pairs = {key: ((renames.get(key[0], key[0]), key[1])) for key in head.emails}
    pairs.update({key: key for key in base.emails.keys() - set(pairs.values()) if key not in pairs})
    changes = []
    for key in sorted(pairs):
        change = _compare_one(base, head, key, pairs[key])
        if change is not None:
            changes.append(change)
    changes = _twins(base, head, changes)
    gone = {t for t, _ in base.emails} - {t for t, _ in head.emails} - set(renames.values())
    renamed = tuple(sorted((old, new) for new, old in renames.items()))
    return Comparison(tuple(changes), len(base.emails), len(head.emails), frozenset(gone), renamed)


def compare_dirs(base_dir: Path, head_dir: Path) -> Comparison:
    """Both folders must be `mailgitops render --out` outputs (each with a manifest.json).

    Problems in both are reported together, so one run names everything to fix."""
    outputs: list[RenderOutput] = []
    problems: list[MailgitopsError] = []
    for folder in (base_dir, head_dir):
        try:
            outputs.append(load_output(folder))
        except MailgitopsError as e:
            problems.append(e)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise MailgitopsError("; ".join(p.message for p in problems),
                              diagnostics=[d for p in problems for d in p.diagnostics],
                              hint=problems[0].hint)
    return compare(outputs[0], outputs[1])
