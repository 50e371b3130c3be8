"""Render lints read from a text's Markdown source, without rendering: alt text, link targets, size bound.

The Markdown is parsed with every Jinja tag taken out: `{{ ... }}` becomes a placeholder token (text
to Markdown, as when rendering), `{% ... %}` and `{# ... #}` vanish as Jinja's trim_blocks and
lstrip_blocks make them vanish. Each finding is placed at its own line of the .md file.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import validateLink
from markdown_it.token import Token

from mailgitops.render.jinja_env import TAG_RE, TOKEN_CLOSE, TOKEN_OPEN, TOKEN_RE
from mailgitops.render.linebreaks import keep_line_breaks

_NEWLINE = re.compile("\n")
# Every place a parse could find something at (a superset), read with block tags and comments cut
# out: an image whose alt text does not start with a plain character, and whatever follows `](`,
# `]:` (a reference definition) or `<` + scheme (an autolink). Spaces are allowed where `{%-`
# would remove them.
_BLOCK = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CANDIDATE = re.compile(
    r"!\s*\[\s*(?:[\]`&\\<!\[]|\Z)|\]\s*[(:]\s*<?\s*|<\s*(?=[A-Za-z][A-Za-z0-9+.\-]{1,31}:)")
# `{{ order.url }}`: a plain variable, whose preview value says whether the link is https
_VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*-?\}\}")
_SECURE_START = re.compile(r"(?:https|mailto):", re.IGNORECASE)
_FOR = re.compile(r"\{%[-+]?\s*(for|endfor)\b")
_RANGE = re.compile(r"range\(\s*(\d+)")
SECURE_SCHEMES = frozenset({"https", "mailto"})
LINK_SCHEMES = frozenset({"https", "http", "mailto"})  # what the renderer makes a link of
# Link syntax the parse left as text (a link not made, so the customer reads the brackets): `[text](`
# (a `)` missing), `[text] (` (a space between), `[text][name]` (no such reference), and `[text(https://`
# (a `]` missing). Read on the parsed text, one line at a time; `_MAYBE_BROKEN` is its quick look.
_NOT_MADE = re.compile(r"\[[^\[\]\n]*\][ \t]*[(\[]|\[[^\[\]\n]*\((?:https?:|mailto:|\ue000\d+\ue001)")
_MAYBE_BROKEN = re.compile(r"\[[^\n]*[(\[]")
# A whole inline link or image (balanced brackets and parentheses, a `{{ ... }}` allowed in its
# address): taken out before that quick look, so that a text whose links are all whole is not
# parsed for this (validate's cold run parses only the texts that need it).
_WHOLE_LINK = re.compile(r"!?\[[^\[\]\n]*\]\((?:\{\{[^{}\n]*\}\}|[^()\s\\]|\([^()\s\\]*\))*\)")
_IMAGE = re.compile(r"!\s*\[")



class _AsWritten(MarkdownIt):
    """Link targets as written (no percent-encoding, no punycode), to find them in the source."""

    def normalizeLink(self, url: str) -> str:  # markdown-it's name
        return url

    def validateLink(self, url: str) -> bool:  # markdown-it's name
        return True  # every link the source writes is found; lint_markdown says which the renderer refuses


# Only what decides whether a link or an image exists (code spans and blocks hide them); emphasis
# and line breaks only style text. An escaped character (`\\[`) stays a token of its own
# (text_special), so that brackets escaped to be text are not taken for a link not made.
_MD = _AsWritten("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["emphasis", "newline", "text_join"])

# Size bound (see checks/rendered.py): every source byte at most ESCAPE_FACTOR bytes of HTML (`&` is
# `&amp;`), plus for every character that can open an element (a line, a table cell, a code span, a
# link, a quote, a heading, a list item, an image) the longest styled tag pair the renderer writes.
ESCAPE_FACTOR = 5
MARKUP_BYTES = 120
_MARKS = "\n|`[>#*-_+!"
MAX_LOOP_FACTOR = 10_000


@dataclass(frozen=True, slots=True)
class SourceFinding:
    line: int  # line of the Markdown source (1 = the body's first line)
    col: int
    # image-without-alt | image-left-out | remote-image | insecure-link | link-refused | link-left-out
    # | link-not-made
    code: str
    message: str
    hint: str
    error: bool = False  # the email loses something the text shows: validate refuses it


@dataclass(frozen=True, slots=True)
class _Placeheld:
    text: str  # Markdown with a token for each `{{ ... }}`
    exprs: tuple[str, ...]  # the source of token i
    line_of: tuple[int, ...]  # output line (0-based) -> source line (1-based) it starts on


def placeheld(source: str) -> _Placeheld:
    """The Markdown Jinja would hand on, values as tokens, with a map back to the source lines."""
    source = keep_line_breaks(source)  # as the environment reads it: the same lines
    newlines = [m.start() for m in _NEWLINE.finditer(source)]
    parts: list[str] = []
    exprs: list[str] = []
    line_of = [1]
    fresh = [True]  # nothing written on the current output line yet

    def emit(start: int, end: int) -> None:
        if start >= end:
            return
        lo, hi = bisect.bisect_left(newlines, start), bisect.bisect_left(newlines, end)
        if fresh[0]:  # the line's first text: its source line, not the line of the newline before
            line_of[-1] = lo + 1
        parts.append(source[start:end])
        line_of.extend(i + 2 for i in range(lo, hi))  # the line after newline number i (0-based)
        fresh[0] = source[end - 1] == "\n"

    pos = 0
    for m in TAG_RE.finditer(source):
        tag, start = m.group(0), m.start()
        if tag.startswith("{{"):
            while tag[2:3] == "-" and start > pos and source[start - 1].isspace():
                start -= 1
            emit(pos, start)
            if fresh[0]:
                line_of[-1] = bisect.bisect_left(newlines, start) + 1
                fresh[0] = False
            parts.append(f"{TOKEN_OPEN}{len(exprs)}{TOKEN_CLOSE}")
            exprs.append(tag)
            pos = m.end()
            while tag.endswith("-}}") and pos < len(source) and source[pos].isspace():
                pos += 1
            continue
        if tag[2:3] == "-":  # `{%-` strips all whitespace before it, line breaks included
            while start > pos and source[start - 1].isspace():
                start -= 1
        elif tag[2:3] != "+":  # lstrip_blocks: blanks between the line's start and the tag
            newline = source.rfind("\n", pos, start)
            line_start = newline + 1 if newline >= 0 else pos
            at_line_start = newline >= 0 or pos == 0 or source[pos - 1] == "\n"
            if at_line_start and source[line_start:start].strip(" \t") == "":
                start = line_start
        emit(pos, start)
        pos = m.end()
        if tag.endswith("-%}") or tag.endswith("-#}"):
            while pos < len(source) and source[pos].isspace():
                pos += 1
        elif not tag.endswith("+%}") and source.startswith("\n", pos):  # trim_blocks
            pos += 1
    emit(pos, len(source))
    return _Placeheld("".join(parts), tuple(exprs), tuple(line_of))


def _inline(tokens: list[Token]) -> Iterator[tuple[Token, Token]]:
    for tok in tokens:
        if tok.type == "inline":
            for child in tok.children or ():
                yield tok, child


def _raw(target: str, exprs: tuple[str, ...]) -> str:
    """A link target as written in the source (tokens back to their Jinja)."""
    def expr(m: re.Match[str]) -> str:
        i = int(m.group(1))
        return exprs[i] if i < len(exprs) else ""

    return TOKEN_RE.sub(expr, target)


def _locate(source_lines: list[str], p: _Placeheld, block: Token, needle: str,
            taken: set[tuple[int, int]]) -> tuple[int, int]:
    """The first place of `needle` in the block's source lines (else anywhere) not `taken` yet."""
    first = p.line_of[min(block.map[0], len(p.line_of) - 1)] if block.map else 1
    last = p.line_of[min(block.map[1], len(p.line_of) - 1)] if block.map else len(source_lines)
    for lo, hi in ((first, last), (1, len(source_lines))):
        for n in range(lo, min(hi, len(source_lines)) + 1):
            col = source_lines[n - 1].find(needle) if needle else -1
            while col >= 0 and (n, col + 1) in taken:
                col = source_lines[n - 1].find(needle, col + 1)
            if col >= 0:
                taken.add((n, col + 1))
                return n, col + 1
    return first, 1


def _scheme(target: str, exprs: tuple[str, ...], value_of: Callable[[str], str | None]) -> str | None:
    """The link's scheme (lower case, "" for none), or None when only sending decides it."""
    lead = TOKEN_RE.match(target)
    if lead is None:
        return _scheme_of(target)
    i = int(lead.group(1))
    var = _VARIABLE.fullmatch(exprs[i]) if i < len(exprs) else None
    value = value_of(var.group(1)) if var else None
    return None if value is None else _scheme_of(value.strip())


def _scheme_of(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:  # e.g. an unclosed `[` in the host: no working link either
        return ""


def _worth_parsing(source: str, value_of: Callable[[str], str | None]) -> bool:
    """False when no link or image could be found wanting: every target starts https:/mailto: or
    with a variable judged fine, and every image's alt text starts with a plain character. Most
    texts need no Markdown parse."""
    text = _BLOCK.sub("", source)
    if _IMAGE.search(text) or "&#" in text or _MAYBE_BROKEN.search(_WHOLE_LINK.sub("", text)):
        return True
    for m in _CANDIDATE.finditer(text):
        if m.group(0).startswith("!"):
            return True
        if _SECURE_START.match(text, m.end()):
            continue
        var = _VARIABLE.match(text, m.end())
        if var:
            value = value_of(var.group(1))
            if value is None or _scheme_of(value.strip()) in SECURE_SCHEMES:
                continue
        return True
    return False


def lint_markdown(source: str, value_of: Callable[[str], str | None],
                  assets: Collection[str] = ()) -> list[SourceFinding]:
    """Images without alt text or left out (neither https nor a file of `assets`), links that are
    not https (mailto: is fine) or not made at all, and link syntax left as text. A target that is a
    variable (`{{ order.url }}`) is judged by the value `value_of` gives (None: unknown, not judged)."""
    if not _worth_parsing(source, value_of):
        return []
    p = placeheld(source)
    lines = source.split("\n")
    out: list[SourceFinding] = []
    taken: set[tuple[int, int]] = set()
    blocks = [t for t in _MD.parse(p.text) if t.type == "inline"]
    for block in blocks:
        out += _not_made(block, lines, p, taken)
    for block, tok in _inline(blocks):
        if tok.type == "image":
            src = str(tok.attrs.get("src", ""))
            if not TOKEN_RE.match(src) and _scheme_of(src) != "https" and src not in assets:
                raw = _raw(src, p.exprs)
                line, col = _locate(lines, p, block, raw, taken)
                out.append(_image_left_out(line, col, raw, assets))
                continue
            alt = "".join(c.content for c in tok.children or ()
                          if c.type in ("text", "text_special", "code_inline"))
            remote = _scheme_of(src) == "https"
            if alt.strip() and not remote:
                continue
            raw = _raw(str(tok.attrs.get("src", "")), p.exprs)
            line, col = _locate(lines, p, block, raw, taken)
            if remote:  # as the theme's logo: an image from elsewhere only by choice
                out.append(SourceFinding(
                    line, col, "remote-image",
                    f"image {raw} is loaded from another server each time the email is opened: that "
                    "server learns who opened it and when, and many mail programs block it",
                    "put the file in templates/_assets/ and write its name: it travels in the email"))
            if alt.strip():
                continue
            at = lines[line - 1].rfind("![", 0, max(col - 1, 0)) if 0 < line <= len(lines) else -1
            out.append(SourceFinding(line, at + 1 if at >= 0 else col, "image-without-alt",
                                     f"image {raw or '(no address)'} has no alt text",
                                     "describe it: ![Our opening hours](https://...)"))
        elif tok.type == "link_open":
            target = str(tok.attrs.get("href", ""))
            if not validateLink(target):  # the renderer's rule: no link is made, the text stays
                raw = _raw(target, p.exprs)
                line, col = _locate(lines, p, block, raw, taken)
                out.append(SourceFinding(line, col, "link-refused",
                                         f"link {raw} is never made: a {raw.partition(':')[0]}: address is "
                                         "refused, so the customer reads the Markdown [text](address) itself",
                                         "use an https:// address"))
                continue
            scheme = _scheme(target, p.exprs, value_of)
            if scheme is None or scheme in SECURE_SCHEMES:
                continue
            raw = _raw(target, p.exprs)
            line, col = _locate(lines, p, block, raw, taken) if raw else _empty_target(lines, p, block, taken)
            if scheme not in LINK_SCHEMES and not TOKEN_RE.match(target):  # written here, not a value
                out.append(SourceFinding(
                    line, col, "link-left-out",
                    f"link {raw or '(empty)'} is not a web or mail address, so no link is made: the "
                    "customer reads only its words, without the address",
                    "write the whole address, e.g. https://print.example.com/prices (or mailto:...)",
                    error=True))
                continue
            out.append(SourceFinding(line, col, "insecure-link", f"link {raw or '(empty)'} is not https",
                                     "use an https:// address"))
    return out


def _empty_target(lines: list[str], p: _Placeheld, block: Token,
                  taken: set[tuple[int, int]]) -> tuple[int, int]:
    """Where `[words]()` leaves its address out: at the `(`."""
    line, col = _locate(lines, p, block, "]()", taken)
    return line, col + 1


def _image_left_out(line: int, col: int, raw: str, assets: Collection[str]) -> SourceFinding:
    from mailgitops.suggest import did_you_mean

    guess = did_you_mean(raw, sorted(assets)) if raw and "/" not in raw else None
    where = "an https:// address nor a file in templates/_assets/"
    files = ", ".join(sorted(assets)) or "none"
    fix = (f"put the file in templates/_assets/ and write its name, or use an https:// address "
           f"(files there: {files})")
    return SourceFinding(line, col, "image-left-out",
                         f"image {raw or '(no address)'} is left out of the email: it is neither {where}",
                         f"{guess} Otherwise {fix}" if guess else fix, error=True)


def _not_made(block: Token, lines: list[str], p: _Placeheld,
              taken: set[tuple[int, int]]) -> list[SourceFinding]:
    """Link syntax the parse left as text in this block: the customer reads the brackets."""
    text = "".join("\n" if c.type in ("softbreak", "hardbreak") else c.content if c.type == "text" else "\0"
                   for c in block.children or ())  # anything else (an escape, a link, code) breaks a match
    out: list[SourceFinding] = []
    for m in _NOT_MADE.finditer(text):
        raw = _raw(m.group(0), p.exprs)
        line, col = _locate(lines, p, block, raw, taken)
        if "](" in raw:
            why = "a `)` is missing at its end"
        elif "][" in raw:
            why = "there is no `[name]: address` line for its second part"
        elif "]" in raw:
            why = "there is a space between `]` and `(`"
        else:
            why = "a `]` is missing after its words"
        out.append(SourceFinding(line, col, "link-not-made",
                                 f"`{raw.strip()}` looks like a link but is not one ({why}): the customer "
                                 "reads the brackets and the address as text",
                                 "write it as [words](https://address), or escape a bracket meant "
                                 "as text: \\[", error=True))
    return out


def html_bound(source: str, loop_items: int, value_bytes: int) -> int:
    """An upper bound of the HTML this Markdown + Jinja source makes inside the layout: text and
    markup inside `{% for %}` count `loop_items` times per nesting level, and each `{{ ... }}` as a
    value of `value_bytes` (escaped). Text made by filters (join, repetition) is not bounded."""

    def cost(text: str) -> int:
        return (ESCAPE_FACTOR * (len(text.encode("utf-8")) + value_bytes * text.count("{{"))
                + MARKUP_BYTES * sum(text.count(c) for c in _MARKS))

    if "for" not in source:
        return cost(source)
    total, pos = 0, 0
    factors = [1]  # one per open `{% for %}`, innermost last
    for m in _BLOCK.finditer(source):
        total += factors[-1] * cost(source[pos:m.start()])
        loop = _FOR.match(m.group(0))
        if loop and loop.group(1) == "for":
            items = max([loop_items, 1, *(int(n) for n in _RANGE.findall(m.group(0)))])
            factors.append(min(factors[-1] * items, MAX_LOOP_FACTOR))
        elif loop and len(factors) > 1:
            factors.pop()
        pos = m.end()
    return total + factors[-1] * cost(source[pos:])
