"""Parse and scan each Jinja source once; translations sharing a Jinja skeleton share the work.

The caches are unbounded for one validate run and emptied by `clear()` when it ends: a fixed size
thrashed once a repository had more sources than entries (1,000 templates x 10 languages x 3
fields: every source was split again by each of the five callers, and per-template cost grew with
the repository)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from jinja2 import TemplateSyntaxError, nodes

from mailgitops.checks.jinja_scan import Context, Finding, environment, scan
from mailgitops.render.jinja_env import TAG_RE, names_in

# TAG_RE splits by Jinja's default delimiters. A split that differs from Jinja's own lexer (a `}}`
# inside a string) makes the skeleton fail to parse, and then the real source is parsed instead.
_OPENER = re.compile(r"\{[{%#]")


@cache
def parse(source: str) -> nodes.Template | TemplateSyntaxError:
    try:
        return environment().parse(source)
    except TemplateSyntaxError as e:
        return e
    except RecursionError:  # Jinja's parser recurses once per nesting level
        return TemplateSyntaxError("the template nests too deeply to read", 1)


@cache
def _scan(source: str, ctx: Context) -> tuple[Finding, ...]:
    tree = parse(source)
    if isinstance(tree, TemplateSyntaxError):
        return ()
    try:
        return tuple(scan(tree, ctx))
    except RecursionError:  # pragma: no cover - the parser gives up first
        return (Finding(1, "", "template-too-complex", "the template nests too deeply to check",
                        "simplify the nested expressions"),)


@cache
def skeleton(source: str) -> tuple[str, tuple[int, ...]] | None:
    """The Jinja tags alone, one per line, and for each skeleton line the source line it came from;
    None when the text between tags still holds a tag opener (an unclosed `{{`).

    The text between tags never changes what a template means to Jinja, so the five translations
    of a template usually have one skeleton: it is parsed and scanned once."""
    tags: list[str] = []
    line_of = [0]  # skeleton line (1-based) -> source line
    line, pos = 1, 0
    for m in TAG_RE.finditer(source):
        if _OPENER.search(source, pos, m.start()):
            return None
        line += source.count("\n", pos, m.start())
        tag = m.group(0)
        tags.append(tag)
        line_of.extend(range(line, line + tag.count("\n") + 1))
        line += tag.count("\n")
        pos = m.end()
    if _OPENER.search(source, pos):
        return None
    return "\n".join(tags), tuple(line_of)


def clear() -> None:
    """Forget every source: called when a validate run ends, so a long-lived process (serve's
    console, a bundle build) does not keep the last repository's trees."""
    for f in (parse, _scan, skeleton, _names):
        f.cache_clear()


def _parsed(source: str) -> str:
    """What stands for `source` in the parse cache: its skeleton when that parses (it holds every
    tag, so it reads the same names), else the source itself."""
    split = skeleton(source)
    if split is not None and not isinstance(parse(split[0]), TemplateSyntaxError):
        return split[0]
    return source


def syntax_error(source: str) -> TemplateSyntaxError | None:
    """The source's syntax error, if any; after `analyse` (checks/templates.py) only cache hits."""
    tree = parse(_parsed(source))
    return tree if isinstance(tree, TemplateSyntaxError) else None


@cache
def _names(parsed: str) -> frozenset[str] | None:
    tree = parse(parsed)
    if isinstance(tree, TemplateSyntaxError):
        return None
    try:
        return frozenset(names_in(tree))
    except RecursionError:  # pragma: no cover - the parser gives up first
        return None


def variables(source: str) -> frozenset[str] | None:
    """Dotted names the source reads (`order.number`), None on a syntax error; translations that
    share a skeleton share one walk of its tree."""
    return _names(_parsed(source))


def analyse(source: str, ctx: Context) -> tuple[Finding, ...] | TemplateSyntaxError:
    """The findings of `source` (lines of `source`), or its syntax error."""
    split = skeleton(source)
    if split is not None and not isinstance(parse(split[0]), TemplateSyntaxError):
        skel, line_of = split
        return tuple(replace(f, lineno=line_of[min(max(f.lineno, 1), len(line_of) - 1)])
                     for f in _scan(skel, ctx)) if len(line_of) > 1 else ()
    tree = parse(source)  # the exact error, at the source's own line
    if isinstance(tree, TemplateSyntaxError):
        return tree
    return _scan(source, ctx)
