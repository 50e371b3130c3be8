"""The draft's Markdown as an operator can read it: every backslash escape that changes nothing
is dropped (`PO\\-1001` reads `PO-1001`), and only the ones the rendering needs stay."""

from __future__ import annotations

import re
from collections.abc import Callable

# a backslash before ASCII punctuation is a CommonMark escape; nothing else is
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _renderer() -> Callable[[str], str]:
    from mailgitops.render.markdown import markdown_parser

    return markdown_parser().render


def _drop(text: str, spans: list[tuple[int, int]]) -> str:
    """Remove the backslash at each span start (spans sorted, non-overlapping)."""
    out, last = [], 0
    for start, _ in spans:
        out.append(text[last:start])
        last = start + 1
    out.append(text[last:])
    return "".join(out)


def readable(markdown: str) -> str:
    """Same rendering, fewer backslashes. Tried whole, then line by line, then escape by escape,
    so a typical draft costs a handful of renders, a worst case one per escape."""
    render = _renderer()
    target = render(markdown)
    spans = [m.span() for m in _ESCAPE.finditer(markdown)]
    if not spans:
        return markdown
    whole = _drop(markdown, spans)
    if render(whole) == target:
        return whole
    lines = markdown.split("\n")
    kept: list[str] = []
    for i, original in enumerate(lines):
        after = lines[i + 1:]
        line = original
        line_spans = [m.span() for m in _ESCAPE.finditer(original)]
        if line_spans:
            candidate = _drop(original, line_spans)
            if render(_join(kept, candidate, after)) == target:
                line = candidate
            else:
                line = _one_by_one(original, kept, after, render, target)
        kept.append(line)
    return "\n".join(kept)


def _join(before: list[str], line: str, after: list[str]) -> str:
    return "\n".join([*before, line, *after])


def _one_by_one(line: str, before: list[str], after: list[str], render: Callable[[str], str],
                target: str) -> str:
    pos = 0
    while True:
        m = _ESCAPE.search(line, pos)
        if m is None:
            return line
        candidate = line[:m.start()] + line[m.start() + 1:]
        if render(_join(before, candidate, after)) == target:
            line = candidate
            pos = m.start() + 1  # the freed character is literal now; look past it
        else:
            pos = m.end()
