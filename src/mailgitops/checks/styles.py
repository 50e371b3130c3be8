"""Paragraph styles: every `{.name}` written above a paragraph is a style theme.yaml defines
(an unknown one would silently do nothing in the email)."""

from __future__ import annotations

import re

from mailgitops.diagnostics import Diagnostic, warning
from mailgitops.repo import LoadedRepo
from mailgitops.suggest import did_you_mean

THEME = "templates/_layouts/theme.yaml"
# A line that is only `{...}`: markdown-it's attribute block for the paragraph below it.
# `{% ... %}`, `{{ ... }}` and `{# ... #}` lines are Jinja, not attributes.
_ATTRS = re.compile(r"^[ \t]*\{(?![%{#])([^{}\n]*)\}[ \t]*$")
_CLASS = re.compile(r"(?<![\w-])\.([A-Za-z_][\w-]*)")


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    styles = loaded.repo.theme.get("styles")
    named = sorted(styles) if isinstance(styles, dict) else []  # not a mapping: theme.yaml's check says so
    out: list[Diagnostic] = []
    for _tid, template in sorted(loaded.repo.templates.items()):
        for _lang, text in sorted(template.texts.items()):
            for offset, line in enumerate(text.body.split("\n")):
                attrs = _ATTRS.match(line)
                if attrs is None:
                    continue
                for m in _CLASS.finditer(line, attrs.start(1), attrs.end(1)):
                    if m[1] in named:
                        continue
                    have = f"{THEME} `styles` has: {', '.join(named) or 'none'}"
                    guess = did_you_mean(m[1], named)
                    out.append(warning(text.file, text.body_line + offset, m.start() + 1, "unknown-style",
                                       f"unknown paragraph style `{m[1]}`: the paragraph is shown unstyled",
                                       hint=f"{guess} {have}" if guess else have))
    return out
