"""What a screen reader user moves through an email by: its links and its headings.
Link text says where the link goes: a screen reader lists an email's links by their text alone,
and "here", "click here" or "more" then says nothing (nor does it to anyone skimming). Headings
go down one level at a time: a `###` under a `#` tells a listener that a level is missing.
Warnings at the line: the email is still sent."""

from __future__ import annotations

import re

from mailgitops.diagnostics import Diagnostic, warning
from mailgitops.repo import LoadedRepo

# `[text](` that is not an image's `![alt](`; the text may hold Jinja and emphasis, not brackets
_LINK = re.compile(r"(?<!!)\[([^\[\]\n]+)\]\(")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_NOISE = re.compile(r"[\W_]+")  # emphasis, punctuation (any script's), spaces
VAGUE = frozenset({
    "here", "click here", "click", "this", "this link", "link", "more", "read more", "go", "open",
    "hier", "hier klicken", "klicken sie hier", "diesen link", "mehr", "weiter",
    "ici", "cliquez ici", "lien", "ce lien", "plus", "en savoir plus",
    "klik hier", "deze link", "meer", "lees meer",
    "这里", "点击这里", "点击此处", "此处", "链接", "更多", "点击",
})


def vague(text: str) -> bool:
    """Whether a link's text says nothing of where it goes (its words, emphasis and punctuation aside)."""
    return " ".join(_NOISE.sub(" ", text).split()).lower() in VAGUE


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for _tid, template in sorted(loaded.repo.templates.items()):
        for _lang, text in sorted(template.texts.items()):
            lines = text.body.split("\n")
            out += _headings(text.file, text.body_line, lines)
            for offset, line in enumerate(lines):
                for m in _LINK.finditer(line):
                    if vague(m[1]):
                        out.append(warning(
                            text.file, text.body_line + offset, m.start() + 1, "vague-link-text",
                            f"link text `{m[1].strip()}` does not say where the link goes: a screen "
                            "reader that lists the email's links reads only these words",
                            hint="name what it opens, e.g. [View your order](...) or "
                                 "[Track your delivery](...)"))
    return out


def _headings(file: str, first_line: int, lines: list[str]) -> list[Diagnostic]:
    """Headings that go down more than one level (the subject is the email's title: the first
    heading may be # or ##)."""
    out: list[Diagnostic] = []
    above, fenced = 0, False
    for offset, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            continue
        level = len(heading[1])
        if level > max(above, 1) + 1:
            where = f"under a level-{above} heading" if above else "as the text's first heading"
            out.append(warning(file, first_line + offset, heading.start(1) + 1, "heading-skips-level",
                               f"a level-{level} heading {where}: a screen reader user moving by "
                               "headings hears that a level is missing",
                               hint=f"write {'#' * (max(above, 1) + 1)} here (how a heading looks is "
                                    "the theme's, not its level's)"))
        above = level
    return out
