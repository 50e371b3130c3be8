"""JSON Schema `pattern`s with the meaning the standard gives them (ECMA-262) in Python's `re`.

The one difference that matters: Python's `$` also matches before a final newline, so
`^[a-z_]+$` would accept "order_received\n" and a name pattern would let a trailing newline
into a header. Here an unescaped `$` outside a character class means the end of the text (`\\Z`),
as in ECMA-262. Both the event check (dispatch/event.py) and the config check (schemacheck.py)
compile patterns here."""

from __future__ import annotations

import re
from functools import lru_cache


def ecma_anchors(pattern: str) -> str:
    """`pattern` with every end-of-input `$` written as Python's `\\Z`."""
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            out.append("\\Z")
            continue
        out.append(ch)
    return "".join(out)


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_anchors(pattern))
