"""Line breaks after a tag that closes a line of text: kept.

Jinja's trim_blocks drops the line break after every `{% ... %}`, which is what a tag on a line of
its own needs (the line vanishes). After a tag that ends a line of text it dropped that line's
break: `{% if order.due_date %}Ready by ...{% endif %}` followed by a blank line and the next
paragraph became one paragraph, and followed by a line, one line glued to the next ("...2026.Your
comment:"). Such a tag is rewritten `... +%}` (Jinja's own "keep the line break" mark) before Jinja
reads the source: the same length of line, so every line and column a check reports stays where it
is in the file, and nothing after the tag on its line moves."""

from __future__ import annotations

import re

from jinja2.ext import Extension

# the tag that ends a line (nothing but blanks after it): its inside holds no other tag's start
_LAST_TAG = re.compile(r"\{%(?:(?!\{%|%\}).)*?(?P<mark>[-+]?)%\}(?=[ \t]*$)", re.MULTILINE)
_TAGS = re.compile(r"\{%.*?%\}|\{#.*?#\}")  # what prints nothing on its line


def keep_line_breaks(source: str) -> str:
    """`source` with each tag that closes a line of text marked to keep its line break."""
    if "%}" not in source:
        return source
    out: list[str] = []
    pos = 0
    for m in _LAST_TAG.finditer(source):
        if m["mark"]:  # `-%}` or `+%}`: the author said what the break does
            continue
        line_start = source.rfind("\n", 0, m.start()) + 1
        if not _TAGS.sub("", source[line_start:m.start()]).strip():
            continue  # a tag (or tags) alone on the line: the line vanishes, as it should
        cut = m.end() - 2  # before `%}`
        out.append(source[pos:cut])
        out.append("+")
        pos = cut
    if not out:
        return source
    out.append(source[pos:])
    return "".join(out)


class KeepLineBreaks(Extension):
    """keep_line_breaks, as every source the environment reads is read."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return keep_line_breaks(source)
