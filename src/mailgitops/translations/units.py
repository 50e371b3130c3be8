"""A template's `<lang>.md` cut into translation units and the exact text between them.

A unit is the subject, the preheader, or one paragraph (a block between blank lines) that has
words to translate. Everything else (the `---` lines, other front matter keys, blank lines,
blocks made only of Jinja such as `{% for job in order.jobs %}`) is skeleton, kept byte for byte,
so that putting the same texts back gives the same file."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from mailgitops.errors import NotATemplate

FRONT_KEYS = ("subject", "preheader")

# What a translator must not change, only move: Jinja expressions, tags and comments; a link's
# destination `](…)` (a URL is not prose); the marker that starts a list item, heading or
# quote, with the line break before it (dropping either would merge lines or end the list); and
# a paragraph style `{.note}` on its own line (translated or joined to the text, it would show).
_CODES = (r"\]\((?:\{\{.*?\}\}|[^()\n])*\)"
          r"|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"
          r"|(?:^|\n)[ \t]*(?:[-*+]|\d{1,9}[.)]|#{1,6}|>)[ \t]+"
          r"|(?:^|\n)[ \t]*\{\.[A-Za-z][\w-]*\}[ \t]*\n")
CODE = re.compile(_CODES, re.DOTALL)
# In a table, also its `| --- |` line and every `|` (with the line break that starts a row): a
# translator sees the cells' words only and cannot shift a column or merge two rows.
_TABLE_RULE = re.compile(r"(?:^|\n)[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*"
                         r"(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*(?=\n|$)")
TABLE_CODE = re.compile(_CODES + r"|" + _TABLE_RULE.pattern + r"|(?:^|\n)[ \t]*\||\|", re.DOTALL)


def _code_re(text: str) -> re.Pattern[str]:
    return TABLE_CODE if _TABLE_RULE.search(text) else CODE


def codes(text: str) -> list[str]:
    """The protected pieces of `text`, in order."""
    return [m.group() for m in _code_re(text).finditer(text)]


def parts(text: str) -> list[str | Code]:
    """`text` as plain runs and codes, in order (plain runs are never empty)."""
    out: list[str | Code] = []
    pos = 0
    for m in _code_re(text).finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append(Code(m.group()))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def translatable(text: str) -> bool:
    return bool(_code_re(text).sub("", text).strip())


def code_problems(text: str, reference: str) -> list[str]:
    """Why `text` does not keep exactly the codes of `reference` (empty: it does).

    Codes may move (languages order words differently) but none may be dropped, changed or
    added, and Jinja tags keep their order: `{% endif %}` before `{% if %}` is a broken template."""
    have, want = Counter(codes(text)), Counter(codes(reference))
    problems = [f"`{_show(c)}` is missing" for c in sorted(want - have)]
    problems += [f"`{_show(c)}` is not in the original (a placeholder was changed or added)"
                 for c in sorted(have - want)]
    if not problems:
        tags = [c for c in codes(text) if c.startswith("{%")]
        if tags != [c for c in codes(reference) if c.startswith("{%")]:
            problems.append("the Jinja tags (" + ", ".join(f"`{t}`" for t in tags)
                            + ") are no longer in their original order")
    return problems


def _show(code: str) -> str:
    return code.replace("\n", "\\n")


@dataclass(frozen=True, slots=True)
class Code:
    text: str  # the exact source text the code stands for


@dataclass(frozen=True, slots=True)
class Unit:
    id: str  # "subject", "preheader" or "p<n>" (the n-th block of the body, counting every block)
    text: str  # the Markdown/Jinja source to translate
    line: int  # 1-based line in the .md file
    raw: str  # what the unit occupies in the file (a front matter key: the whole `key: value`)
    key: str | None = None  # the front matter key, for subject and preheader


@dataclass(frozen=True, slots=True)
class TemplateDoc:
    """A template file as skeleton text and units; joining `pieces` gives the file back."""

    pieces: tuple[str | Unit, ...]
    front_end: int  # index in `pieces` of the closing `---`: new front matter keys go before it
    blocks: tuple[str, ...]  # every body block's text, units or not, for alignment checks

    @property
    def units(self) -> tuple[Unit, ...]:
        return tuple(p for p in self.pieces if isinstance(p, Unit))

    def unit(self, uid: str) -> Unit | None:
        return next((u for u in self.units if u.id == uid), None)

    def assemble(self, texts: Mapping[str, str], new_front: Mapping[str, str] | None = None) -> str:
        """The file with each unit's text replaced by `texts[unit.id]` where given, and the
        front matter keys in `new_front` added; what is unchanged stays byte for byte."""
        out: list[str] = []
        for i, piece in enumerate(self.pieces):
            if i == self.front_end:
                out.extend(f"{k}: {quote(v)}\n" for k, v in (new_front or {}).items())
            if isinstance(piece, str):
                out.append(piece)
            elif piece.id not in texts or texts[piece.id] == piece.text:
                out.append(piece.raw)
            elif piece.key is not None:
                out.append(f"{piece.key}: {quote(texts[piece.id])}")
            else:
                out.append(texts[piece.id])
        return "".join(out)


def quote(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are a subset of YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def parse(text: str) -> TemplateDoc:
    lines = text.split("\n")
    if lines[0].removeprefix("\ufeff").rstrip() != "---":
        raise NotATemplate("the file does not start with a `---` front matter line")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise NotATemplate("the front matter is never closed with `---`")
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as e:
        raise NotATemplate(f"the front matter is not valid YAML ({e})") from e
    if not isinstance(data, dict):
        raise NotATemplate("the front matter is not a mapping of keys to values")
    pieces: list[str | Unit] = [lines[0] + "\n"]
    i = 1
    while i < end:
        m = re.match(r"(subject|preheader)\s*:", lines[i])
        j = i + 1
        while m and j < end and lines[j][:1] in (" ", "\t"):
            j += 1  # a value folded over indented lines
        if m and isinstance(data.get(m.group(1)), str):
            pieces += [Unit(m.group(1), data[m.group(1)], i + 1, "\n".join(lines[i:j]), m.group(1)), "\n"]
        else:
            pieces += ["\n".join(lines[i:j]) + "\n"]
        i = j
    front_end = len(pieces)
    closing = "\n".join(lines[: end + 1])
    rest = text[len(closing):]
    pieces.append(lines[end] + rest[:1])  # the closing `---` and its line break
    blocks = _body(rest[1:], end + 2, pieces)
    return TemplateDoc(tuple(pieces), front_end, blocks)


def _body(body: str, first_line: int, pieces: list[str | Unit]) -> tuple[str, ...]:
    """Append the body's blocks (units where they have words) and separators to `pieces`."""
    blocks: list[str] = []
    lines = re.findall(r"[^\n]*\n|[^\n]+$", body)
    i, line_no = 0, first_line
    while i < len(lines):
        if not lines[i].strip():
            sep = lines[i]
            i += 1
        else:
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            block = "".join(lines[i:j])
            text = block.removesuffix("\n")
            blocks.append(text)
            start = line_no
            line_no += j - i - 1
            i = j
            pieces.append(Unit(f"p{len(blocks)}", text, start, text) if translatable(text) else text)
            sep = block[len(text):]
        if sep:
            line_no += sep.count("\n")
            pieces.append(sep)
    return tuple(blocks)


def misalignment(source: TemplateDoc, target: TemplateDoc) -> str | None:
    """Why the target language's file cannot be paired with the source's paragraph by
    paragraph (None: it can)."""
    if len(source.blocks) != len(target.blocks):
        return (f"it has {len(target.blocks)} paragraphs (blocks between blank lines), "
                f"the source language's file has {len(source.blocks)}")
    for n, (s, t) in enumerate(zip(source.blocks, target.blocks, strict=True), start=1):
        if translatable(s) != translatable(t) or (not translatable(s) and s != t):
            return (f"paragraph {n} is `{_show(t)[:60]}` where the source language's file has "
                    f"`{_show(s)[:60]}`")
    return None
