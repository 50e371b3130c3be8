"""Link text that says where the link goes: a screen reader lists an email's links by their text
alone, and "here", "click here" or "more" then says nothing (nor does it to anyone skimming).
A warning at the link: the email is still sent."""

from __future__ import annotations

import re

from mailgitops.diagnostics import Diagnostic, warning
from mailgitops.repo import LoadedRepo

# `[text](` that is not an image's `![alt](`; the text may hold Jinja and emphasis, not brackets
_LINK = re.compile(r"(?<!!)\[([^\[\]\n]+)\]\(")
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
            for offset, line in enumerate(text.body.split("\n")):
                for m in _LINK.finditer(line):
                    if vague(m[1]):
                        out.append(warning(
                            text.file, text.body_line + offset, m.start() + 1, "vague-link-text",
                            f"link text `{m[1].strip()}` does not say where the link goes: a screen "
                            "reader that lists the email's links reads only these words",
                            hint="name what it opens, e.g. [View your order](...) or "
                                 "[Track your delivery](...)"))
    return out
