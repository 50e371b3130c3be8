"""Settings written per language (a footer, the date formats): each key is an active language. A
key that is none is never used, without a word: `dee:` for `de:` under the footer sent German
customers the English imprint, and under date_formats German dates fell back to the usual format
(an admin's walk). Said as a warning at the key: a language being prepared (not active yet) may
well have its lines already."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mailgitops.diagnostics import Diagnostic, Severity
from mailgitops.suggest import did_you_mean
from mailgitops.yamlsrc import YamlDoc


def not_active(doc: YamlDoc, at: tuple[str, ...], active: Sequence[str], what: str) -> list[Diagnostic]:
    """A warning at each key of the mapping at `at` that is no active language."""
    node: object = doc.data
    for key in at:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return []
    out = []
    for lang in node:
        if not isinstance(lang, str) or lang in active:
            continue
        close = did_you_mean(lang, list(active))
        found = doc.at((*at, lang), "language-not-active",
                       f"`{lang}` is not an active language, so this {what} is never used",
                       hint=close or "add it to `active` in config/languages.yaml once its templates are "
                                     "translated, or delete these lines", key=True)
        out.append(replace(found, severity=Severity.WARNING))
    return out
