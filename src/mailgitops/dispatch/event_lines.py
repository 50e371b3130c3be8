"""Where in an event's JSON text a problem is: `event.json:7:18` for `$.customer.email`, so that
an editor jumps there. Used only when an event read from a file or stdin was refused: the send
path never imports it."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from mailgitops.diagnostics import Diagnostic
from mailgitops.errors import MailgitopsError

Path = tuple[str | int, ...]
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_WORDS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")


def offsets(text: str) -> dict[Path, int]:
    """The offset where each value starts, by its path; {} for text that is not JSON."""
    found: dict[Path, int] = {}

    def ws(i: int) -> int:
        m = _WS.match(text, i)
        return m.end() if m else i

    def value(i: int, path: Path) -> int:
        i = ws(i)
        found[path] = i
        c = text[i]
        if c in "{[":
            close, n = ("}" if c == "{" else "]"), 0
            i = ws(i + 1)
            while text[i] != close:
                if c == "{":
                    key = _STRING.match(text, i)
                    if key is None:
                        raise ValueError(i)
                    i = ws(key.end()) + 1  # past ':'
                    i = value(i, (*path, json.loads(key.group(0))))
                else:
                    i = value(i, (*path, n))
                    n += 1
                i = ws(i)
                if text[i] == ",":
                    i = ws(i + 1)
            return i + 1
        string = _STRING.match(text, i) if c == '"' else None
        if string is not None:
            return string.end()
        number = _NUMBER.match(text, i)
        if number is not None:
            return number.end()
        return i + len(next(w for w in _WORDS if text.startswith(w, i)))

    try:
        value(0, ())
    except (IndexError, ValueError, StopIteration, RecursionError):
        return {}
    return found


def parse_path(json_path: str) -> Path | None:
    """`$.order.jobs[0].price` -> ("order", "jobs", 0, "price"); None for anything else."""
    if not json_path.startswith("$"):
        return None
    steps = list(_STEP.finditer(json_path, 1))
    if "".join(m.group(0) for m in steps) != json_path[1:]:
        return None
    return tuple(m.group(1) if m.group(1) is not None else int(m.group(2)) for m in steps)


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def with_lines(e: MailgitopsError, text: str, source: str) -> MailgitopsError:
    """`e` with each of its problems in `source` placed at the value it names (a missing value:
    at the object it belongs in). `e` itself when there is nothing to place."""
    if not any(d.file == source and d.line == 0 and d.json_path for d in e.diagnostics):
        return e
    where = offsets(text)
    placed: list[Diagnostic] = []
    for d in e.diagnostics:
        path = parse_path(d.json_path) if d.file == source and d.line == 0 else None
        while path is not None and path not in where and path:
            path = path[:-1]  # `$.customer.name` is missing: point at `customer`
        if path is None or path not in where:
            placed.append(d)
            continue
        line, col = line_col(text, where[path])
        placed.append(replace(d, line=line, col=col))
    return MailgitopsError(e.message, diagnostics=placed, exit_code=e.exit_code, hint=e.hint)
