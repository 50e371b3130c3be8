"""Jinja compiled once per skeleton: texts that differ only in their literal text share the work.

A template's translations, and templates made from one another, usually have the same tags on the
same lines and differ only in the words between them. Jinja spends most of a compile parsing,
generating Python and compiling that; here all of it is done once per skeleton (the token stream
with each piece of literal text replaced by a numbered placeholder), and each text only lexes
itself and puts its own words into the skeleton code's string constants (~4x less work).

Exact: the code is Jinja's own for the skeleton with this text's words as its constants, and
literal text is only ever a constant that code yields or buffers; Jinja computes nothing from it
while compiling. Tags that capture output (`{% set %}...{% endset %}`, `{% filter %}`, macros,
`{% call %}`, blocks, includes) are where it could start to, so to be safe a template with one,
or anything unusual on the way, is compiled by Jinja as it is."""

from __future__ import annotations

import re
import secrets
from types import CodeType
from typing import Any

from jinja2 import Environment, nodes
from jinja2.lexer import TOKEN_DATA, Token, TokenStream
from jinja2.parser import Parser

_OPEN, _CLOSE = "\ue005", "\ue006"
# A random part that no template can know, so that no constant a template computes (Jinja folds
# `{{ "%c" % n }}` while compiling) can pass for a placeholder.
_NONCE = secrets.token_hex(8)
_PLACEHOLDER = re.compile(f"{_OPEN}{_NONCE}:(\\d+){_CLOSE}")
# output captured into a value, where a placeholder would be measured or changed instead of printed
_CAPTURING = (nodes.AssignBlock, nodes.FilterBlock, nodes.Macro, nodes.CallBlock, nodes.Block,
              nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport, nodes.ScopedEvalContextModifier,
              nodes.EvalContextModifier)
_MADE: dict[tuple[str, tuple[tuple[int, str, Any], ...]], CodeType | None] = {}  # skeleton -> code


def forget() -> None:
    _MADE.clear()


def _fill(const: Any, words: list[str]) -> Any:
    """A constant of the skeleton's code with this text's words in the placeholders' place."""
    if isinstance(const, str):
        return _PLACEHOLDER.sub(lambda m: words[int(m.group(1))], const) if _OPEN in const else const
    if isinstance(const, CodeType):  # the functions the module defines (root, blocks...)
        return const.replace(co_consts=tuple(_fill(c, words) for c in const.co_consts))
    if isinstance(const, tuple | frozenset):  # Python folds constant tuples: their strings too
        return type(const)(_fill(c, words) for c in const)
    return const


def _code(env: Environment, tokens: list[Token]) -> CodeType | None:
    parser = Parser(env, "")
    parser.stream = TokenStream(iter(tokens), None, None)
    tree = parser.parse()
    if any(True for _ in tree.find_all(_CAPTURING)):
        return None
    return env.compile(tree)


def compile_text(lang: str, env: Environment, text: str) -> CodeType:
    """The code `env.compile(text)` makes, made the cheaper way when the skeleton allows it.
    `lang` names `env`: the code differs by language where Jinja folds a filter of constants."""
    if _OPEN in text or _CLOSE in text:
        return env.compile(text)
    try:
        tokens = list(env._tokenize(text, None, None))  # the lexer Jinja's parser uses
        words: list[str] = []
        shape: list[Token] = []
        for tok in tokens:
            if tok.type == TOKEN_DATA:
                shape.append(Token(tok.lineno, TOKEN_DATA, f"{_OPEN}{_NONCE}:{len(words)}{_CLOSE}"))
                words.append(tok.value)
            else:
                shape.append(tok)
        key = (lang, tuple((t.lineno, t.type, "" if t.type == TOKEN_DATA else t.value) for t in shape))
        if key not in _MADE:
            _MADE[key] = _code(env, shape)
        code = _MADE[key]
    except Exception:  # (Jinja's own compile below raises the real, located error)
        code = None
    if code is None:
        return env.compile(text)
    filled: CodeType = _fill(code, words)
    return filled
