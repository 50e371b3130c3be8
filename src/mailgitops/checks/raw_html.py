"""HTML written into a template's Markdown: the renderer shows values and text as text, so a
`<b>` pasted from the old product's HTML templates reaches the customer as the four characters
`<b>` (and a link as its source). Found once per text, at its line, with the Markdown that does it."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tags an email author writes by hand; `<` before anything else (a comparison, `<3`, an address
# in angle brackets) is left alone.
_TAG = re.compile(r"</?\s*(b|strong|i|em|u|a|p|br|hr|span|div|font|center|img|table|tr|td|th|ul|ol|li|"
                  r"h[1-6]|small|big|sup|sub|blockquote)\b[^<>]*>", re.IGNORECASE)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_MARKDOWN = {
    "b": "**bold**", "strong": "**bold**", "i": "*italic*", "em": "*italic*",
    "a": "[link text](https://...)", "br": "a line ending in two spaces, or a blank line",
    "p": "a blank line between paragraphs", "img": "![description](logo.png)",
    "ul": "lines starting with `- `", "ol": "lines starting with `1. `", "li": "lines starting with `- `",
    "h1": "`# Heading`", "h2": "`## Heading`", "h3": "`### Heading`",
}


@dataclass(frozen=True, slots=True)
class RawHtml:
    line: int  # 0-based line in the source
    text: str  # the tag as written


def find(source: str) -> RawHtml | None:
    """The first HTML tag written outside Jinja and code spans, if any."""
    blank = _JINJA.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    blank = _CODE_SPAN.sub(lambda m: " " * len(m.group()), blank)
    m = _TAG.search(blank)
    if m is None:
        return None
    return RawHtml(blank.count("\n", 0, m.start()), m.group())


def hint(tag: str) -> str:
    name = re.sub(r"[^a-z0-9]", "", tag.lower().split()[0] if tag.split() else tag)
    markdown = _MARKDOWN.get(name)
    how = f"write {markdown} instead" if markdown else "write Markdown instead"
    return f"{how}; a look of your own for a paragraph is a style: {{.note}} on the line above it"
