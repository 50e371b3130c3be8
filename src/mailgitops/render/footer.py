"""The footer under every email (theme.yaml `footer`, or a webshop's own): one text for every
language, or one text per language (`footer: {en: "...", de: "..."}`), where a language without
its own shows the default language's. Its text is plain: each line stays a line, nothing is Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailgitops.render.htmlesc import escape


def footer_for(value: Any, lang: str, default: str) -> str:
    """The footer text an email in `lang` shows ("" for none): the language's own text, else its
    base language's (`de-CH` → `de`), else the default language's."""
    if isinstance(value, str):
        return value.strip()
    if not isinstance(value, Mapping):
        return ""
    by_lower = {str(k).lower(): v for k, v in value.items()}
    low = lang.lower()
    for cand in (low, low.split("-", maxsplit=1)[0], default.lower()):
        text = by_lower.get(cand)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return ""


def footer_language(value: Any, lang: str, default: str) -> str | None:
    """The language of the footer text an email in `lang` shows, when it is written in another
    (the default language's, shown for want of the email's own): None when it is the email's
    own or one text for every language (whose language is not known)."""
    if not isinstance(value, Mapping):
        return None
    by_lower = {str(k).lower(): v for k, v in value.items() if isinstance(v, str) and v.strip()}
    low = lang.lower()
    if low in by_lower or low.split("-", maxsplit=1)[0] in by_lower:
        return None
    return default if default.lower() in by_lower else None


def longest(value: Any) -> str:
    """The longest text a footer can show, for size estimates."""
    if isinstance(value, Mapping):
        return max((str(v) for v in value.values()), key=len, default="")
    return str(value or "")


def missing_languages(value: Any, active: tuple[str, ...], default: str) -> list[str]:
    """Active languages a per-language footer has no text for (they show the default's)."""
    if not isinstance(value, Mapping):
        return []
    have = {str(k).lower() for k, v in value.items() if isinstance(v, str) and v.strip()}
    return [lang for lang in active if lang != default and lang.lower() not in have
            and lang.lower().split("-", maxsplit=1)[0] not in have]


def as_html(text: str) -> str:
    # each line of a `footer: |` block stays a line in HTML too, as in the text part
    return "<br>".join(escape(line.strip()) for line in text.splitlines() if line.strip())
