"""The words of an email's HTML, one block a line, with what the Markdown made of them marked:
**bold**, *italics*, ~~struck~~, `code` and [links](address). An edit that changes only those (a
`**…**` taken away) leaves the text part as it was; the diff shows it with these lines, where it
otherwise read as a change of layout or colours. Styles, images and the head are left out: a new
colour or logo changes no line here."""

from __future__ import annotations

from html.parser import HTMLParser

# what Markdown writes each as, for the inline elements an email's HTML has
_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "s": "~~", "del": "~~", "code": "`"}
_BLOCKS = frozenset({"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr",
                     "table", "ul", "ol", "blockquote", "pre", "section"})
_SKIPPED = frozenset({"head", "style", "script", "title"})


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.skipping = 0
        self.links: list[str] = []

    def _end_line(self) -> None:
        text = " ".join("".join(self.line).split())
        if text:
            self.lines.append(text)
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self._end_line()
        elif tag in _MARKS:
            self.line.append(_MARKS[tag])
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.line.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self._end_line()
        elif tag in _MARKS:
            self.line.append(_MARKS[tag])
        elif tag == "a" and self.links:
            self.line.append(f"]({self.links.pop()})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.line.append(data)

    def close(self) -> None:
        super().close()
        self._end_line()


def marked_lines(html: str) -> list[str]:
    """The HTML's text, a line per paragraph, list item or table cell, emphasis and links marked."""
    words = _Words()
    words.feed(html)
    words.close()
    return words.lines
