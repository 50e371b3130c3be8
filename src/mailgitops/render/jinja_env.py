"""The Jinja environment (the sandbox of sandbox.py, values as opaque tokens) and its source helpers."""

from __future__ import annotations

import contextlib
import contextvars
import marshal
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from jinja2 import FileSystemBytecodeCache, StrictUndefined, Template, nodes
from jinja2.bccache import Bucket

from mailgitops.errors import RenderLimitError
from mailgitops.render import diskcache, formats, linebreaks, sandbox
from mailgitops.render.linebreaks import KeepLineBreaks
from mailgitops.render.sandbox import (
    DEADLINE,
    MAX_OUTPUT_CHARS,
    MAX_RENDER_SECONDS,
    MAX_STEPS,
    STEPS,
    LimitedSandbox,
    check_deadline,
    counted,
    safe_range,
    step,
)

# Values never reach Markdown: each `{{ ... }}` becomes TOKEN_OPEN + index + TOKEN_CLOSE, private-use
# characters that Markdown treats as plain text; the real values are put in after parsing.
TOKEN_OPEN = "\ue000"  # noqa: S105  (a marker, not a password)
TOKEN_CLOSE = "\ue001"  # noqa: S105  (a marker, not a password)
TOKEN_RE = re.compile("\ue000(\\d+)\ue001")
# Every tag in a source, by Jinja's default delimiters (what the checks and lints read without parsing).
TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_values: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("mailgitops_values", default=None)
_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("mailgitops_budget", default=None)


def _finalize(value: Any) -> str:
    """Every `{{ value }}` becomes an opaque token (the value is kept aside)."""
    values = _values.get()
    # str() of StrictUndefined raises: a clear error. Token characters inside data are dropped so
    # that a value can never pose as another value's token.
    text = "" if value is None else clean_source(str(value))
    if values is None:  # compile-time use (e.g. layouts) outside render_tokens
        return text
    step()
    budget = _budget.get()
    if budget is not None:  # values count against the output cap although only a token is output
        budget[0] -= len(text)
    if budget is not None and budget[0] < 0:
        raise RenderLimitError(f"the template made more than {MAX_OUTPUT_CHARS:,} characters")
    values.append(text)
    return f"{TOKEN_OPEN}{len(values) - 1}{TOKEN_CLOSE}"


class OptionalUndefined(StrictUndefined):
    """A missing value may be tested (`{% if order.comment %}` is false) but never printed.

    Events leave optional fields out; printing one is still the clear StrictUndefined error."""

    __slots__ = ()

    def __bool__(self) -> bool:  # type: ignore[override]  # falsy instead of raising, on purpose
        return False


@lru_cache(maxsize=64)
def environment(lang: str) -> LimitedSandbox:
    """One environment per language (the Babel filters format for it)."""
    env = LimitedSandbox(
        undefined=OptionalUndefined,
        autoescape=True,  # forced on: select_autoescape would turn it off for .md names
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=[KeepLineBreaks],  # trim_blocks only for a tag alone on its line
    )
    env.filters.update(formats.filters(lang))
    env.filters = {name: counted(f) for name, f in env.filters.items()}
    env.globals["range"] = safe_range
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    return env


_PRIVATE = re.compile("[\ue000-\ue004]")


def clean_source(source: str) -> str:
    """Token and marker characters (U+E000..U+E004) in a template or a value would be mistaken
    for the renderer's own: drop them."""
    return _PRIVATE.sub("", source)


class _BytecodeCache(FileSystemBytecodeCache):
    """Jinja's own file cache, but a folder that cannot be read or written is a miss, never an
    error (Jinja already treats a corrupt or foreign-version entry as a miss)."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@lru_cache(maxsize=1)
def _bytecode_cache(folder: Path) -> _BytecodeCache:
    return _BytecodeCache(str(folder), "%s.jinja")


@lru_cache(maxsize=1)
def _compiler_fingerprint() -> str:
    """What the code depends on besides the source: Jinja's version, this module (the environment's
    options), sandbox.py (its intercepted operators and code generator) and the filters (whether a
    filter takes the context is compiled into the calls)."""
    return diskcache.source_fingerprint(__file__, sandbox.__file__, jinja2.__file__, formats.__file__,
                                       linebreaks.__file__)


# (language, source) -> marshalled code that `render` compiled while checking the templates, on
# every core, before forking the workers that render: a worker only loads it (~20 us, not ~2 ms).
# Bytes, not Template objects: 2-3 KB a text, so a whole repository fits, whatever its size.
_PRECOMPILED: dict[tuple[str, str], bytes] = {}


def code_of(lang: str, source: str) -> bytes:
    """`source` compiled for `lang`'s environment, as marshalled code; raises what compiling raises."""
    from mailgitops.render.skeleton import compile_text

    return marshal.dumps(compile_text(lang, environment(lang), clean_source(source)))


def adopt(codes: Mapping[tuple[str, str], bytes]) -> None:
    """Use this code for these (language, source) pairs instead of compiling them again."""
    _PRECOMPILED.update(codes)


def forget_precompiled() -> None:
    from mailgitops.render import skeleton

    skeleton.forget()
    _PRECOMPILED.clear()
    compile_source.cache_clear()


@lru_cache(maxsize=4096)
def compile_source(lang: str, source: str) -> Template:
    """Compiling costs ~1-3 ms; every (language, source) is compiled once per process and, for
    the dispatcher, kept in Jinja's bytecode cache across processes."""
    env = environment(lang)
    code = _PRECOMPILED.get((lang, source))
    if code is not None:  # what from_string does, minus the compile; the bytes are code_of()'s own,
        # made by this process or a worker it forked, never read from outside
        return env.template_class.from_code(env, marshal.loads(code), env.make_globals(None), None)  # noqa: S302
    from mailgitops.render.skeleton import compile_text  # the code env.compile makes, made cheaper

    text = clean_source(source)
    folder = diskcache.directory("jinja")
    if folder is None:  # what from_string does
        return env.template_class.from_code(env, compile_text(lang, env, text), env.make_globals(None), None)
    # The bucket's name is the source's hash with the compiler's: a new source or a new Jinja
    # is a new entry, so stale code is never served. Jinja also checks the source's checksum and
    # its own bytecode format (Python version included) before using an entry.
    bcc = _bytecode_cache(folder)
    bucket = bcc.get_bucket(env, diskcache.digest(_compiler_fingerprint(), text), None, text)
    if bucket.code is None:
        # texts with the same tags on the same lines share one code generation (skeleton.py): a
        # cold dispatcher's first emails cost less (about 13% of its rendering in 200 events)
        bucket.code = compile_text(lang, env, text)  # named "<template>" in tracebacks, as from_string's
        bcc.set_bucket(bucket)
    return env.template_class.from_code(env, bucket.code, env.make_globals(None), None)


class Tokenised(NamedTuple):
    """Template output where each value is a token; `values[i]` is the text of token i.
    (A NamedTuple: an internal record made per render, cheaper to define than a dataclass.)"""

    text: str
    values: tuple[str, ...]

    def fill(self, escape: Any = None) -> str:
        """The output with values put back (optionally transformed, e.g. HTML-escaped)."""
        def sub(m: re.Match[str]) -> str:
            i = int(m.group(1))
            if i >= len(self.values):
                return ""
            return self.values[i] if escape is None else str(escape(self.values[i]))
        return TOKEN_RE.sub(sub, self.text)


def render_tokens(lang: str, source: str, context: Mapping[str, Any]) -> Tokenised:
    """Render with values as tokens, within the time and size caps. Raises what the template
    raises (TemplateError, SecurityError, RenderLimitError...); email.py locates it."""
    template = compile_source(lang, source)
    values: list[Any] = []
    vtok = _values.set(values)
    btok = _budget.set([MAX_OUTPUT_CHARS])
    stok = STEPS.set([MAX_STEPS])
    dtok = DEADLINE.set(time.monotonic() + MAX_RENDER_SECONDS)
    try:
        parts: list[str] = []
        size = 0
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise RenderLimitError(f"the template made more than {MAX_OUTPUT_CHARS:,} characters")
            check_deadline()
            parts.append(chunk)
        return Tokenised("".join(parts), tuple(values))
    finally:
        _values.reset(vtok)
        _budget.reset(btok)
        STEPS.reset(stok)
        DEADLINE.reset(dtok)


def template_line(exc: BaseException) -> int:
    """The template line of the innermost frame Jinja rewrote to `<template>` in `exc`'s traceback
    (Jinja gives a runtime error no line of its own); 0 when no template code was running."""
    line, tb = 0, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def names_in(tree: nodes.Template) -> set[str]:
    """Dotted variable names read in a parsed template (checks/jinja_analysis.py `variables`)."""
    found: set[str] = set()

    def dotted(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            base = dotted(node.node)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            base = dotted(node.node)
            return f"{base}.{node.arg.value}" if base else None
        return None

    # one walk, no recursion; a chain's inner links (`order` of `order.number`) are not names
    stack: list[tuple[nodes.Node, bool]] = [(tree, False)]
    while stack:
        node, inner = stack.pop()
        link = node if isinstance(node, nodes.Getattr | nodes.Getitem) else None
        if not inner and (link is not None or (isinstance(node, nodes.Name) and node.ctx == "load")):
            name = dotted(node)
            if name:
                found.add(name)
        base = link.node if link is not None else None
        stack.extend((child, child is base) for child in node.iter_child_nodes())
    return found
