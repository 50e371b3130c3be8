"""The plain-text part, made from the same Markdown tokens as the HTML: links written out, lists kept."""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it.token import Token

from mailgitops.render.markers import M_END, M_OPEN, M_SEP


def _inline(tok: Token) -> str:
    out: list[str] = []
    href: list[str] = []
    label_start: list[int] = []
    for child in tok.children or ():
        t = child.type
        if t in ("text", "code_inline"):
            out.append(child.content)
        elif t in ("softbreak", "hardbreak"):
            out.append("\n")
        elif t == "link_open":
            href.append(str(child.attrs.get("href", "")))
            label_start.append(len(out))
        elif t == "link_close" and href:
            url, start = href.pop(), label_start.pop()
            # the URL is written out after the label when it is allowed and says something new;
            # that is decided when values are filled in (markdown.fill)
            out.append(f"{M_OPEN}T{url}{M_SEP}{''.join(out[start:])}{M_END}")
        elif t == "image":
            alt = "".join(c.content for c in child.children or () if c.type in ("text", "code_inline"))
            out.append(f"{M_OPEN}I{child.attrs.get('src', '')}{M_SEP}{alt}{M_SEP}{M_END}")
    return "".join(out)


def _table_row(tokens: Sequence[Token], i: int) -> tuple[list[str], int]:
    cells: list[str] = []
    while tokens[i].type != "tr_close":
        if tokens[i].type == "inline":
            cells.append(_inline(tokens[i]))
        i += 1
    return cells, i


def _linear(head: Sequence[str], cells: Sequence[str]) -> str:
    """A table row as one line that reads on its own, each cell named by its column's heading
    ("- Item: Flyer; Quantity: 500"): a text reader (or a screen reader reading the text part)
    otherwise hears "Flyer vertical bar 500" with no idea which number is which."""
    named = [f"{head[n]}: {c}" if n < len(head) and head[n].strip() else c
             for n, c in enumerate(cells) if c.strip()]
    return "- " + "; ".join(named)


def to_text(tokens: Sequence[Token]) -> str:  # noqa: PLR0912, PLR0915  (one branch per block type)
    """Text with values as tokens and links as markers (filled by markdown.fill)."""
    lines: list[str] = []
    lists: list[list[int | str]] = []  # [kind, next number]
    quote = 0
    marker: str | None = None
    head: list[str] = []  # the table's column headings
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        indent = "  " * max(0, len(lists) - 1) + "> " * quote
        if t in ("bullet_list_open", "ordered_list_open"):
            lists.append([t, int(tok.attrs.get("start", 1) or 1)])
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                lines.append("")
        elif t == "list_item_open" and lists:
            kind, n = lists[-1]
            marker = "- " if kind == "bullet_list_open" else f"{n}. "
            lists[-1][1] = int(n) + 1
        elif t == "blockquote_open":
            quote += 1
        elif t == "blockquote_close":
            quote -= 1
        elif t == "inline":
            text_lines = _inline(tok).split("\n")
            lead = marker or ""
            pad = " " * len(lead) if marker else ("  " if lists else "")
            for j, line in enumerate(text_lines):
                lines.append(indent + (lead if j == 0 and marker else pad) + line)
            marker = None
        elif t in ("paragraph_close", "heading_close") and not tok.hidden:
            lines.append("")
        elif t == "hr":
            lines.extend(["-" * 40, ""])
        elif t in ("code_block", "fence"):
            lines.extend(["    " + line for line in tok.content.rstrip("\n").split("\n")])
            lines.append("")
        elif t == "tr_open":
            cells, i = _table_row(tokens, i)
            if tokens[i - 1].type == "th_close" and not head:  # the heading row names the columns
                head = cells
            else:
                lines.append(indent + _linear(head, cells))
        elif t == "table_close":
            lines.append("")
            head = []
        i += 1
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"
