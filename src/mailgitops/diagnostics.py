"""Diagnostic: one problem at one place in one file; and the reporters that print them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def json_path(path: Sequence[str | int]) -> str:
    """`("server", "port")` -> `$.server.port`, `("cc", 1)` -> `$.cc[1]`: where a value is, as
    every diagnostic and the event's refusals name it."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem. `line` and `col` are 1-based; 0 means "the whole file"."""

    file: str  # path relative to the repository root, with forward slashes
    line: int
    col: int
    code: str  # stable, kebab-case, e.g. "unknown-variable"
    message: str
    severity: Severity = Severity.ERROR
    json_path: str = ""  # "$.server.port" where the problem is in a data file
    hint: str | None = None  # how to fix it, when known ("did you mean `order.number`?")

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.code, self.message)

    def as_warning(self) -> Diagnostic:
        return replace(self, severity=Severity.WARNING)

    def full_message(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


def error(file: str, line: int, col: int, code: str, message: str, *, json_path: str = "",
          hint: str | None = None) -> Diagnostic:
    return Diagnostic(file, line, col, code, message, Severity.ERROR, json_path, hint)


def warning(file: str, line: int, col: int, code: str, message: str, *, json_path: str = "",
            hint: str | None = None) -> Diagnostic:
    return Diagnostic(file, line, col, code, message, Severity.WARNING, json_path, hint)


def one_explanation(diags: Iterable[Diagnostic], default_lang: str | None = None) -> list[Diagnostic]:
    """A template text that cannot be rendered because of an error found in its source (an
    unknown variable, a per-job value outside the loop) is explained once, by that error at its
    own line and column: the render failure it causes says the same thing less exactly. So is a
    misspelt value: the translation-drift warning it causes (`leaves out customer.name`, on the
    text itself, or on every translation when it is in the default language's text) is dropped."""
    diags = list(diags)
    explained = {d.file for d in diags if d.severity is Severity.ERROR and d.code != "render-error"}
    # a name that is no value these events carry: the drift it causes is the same mistake
    wrong = {d.file for d in diags if d.code in ("unknown-variable", "variable-not-provided",
                                                         "loop-over-value")}

    def follow_on(d: Diagnostic) -> bool:
        if d.code == "render-error":
            return d.file in explained
        if d.code != "translation-variables":
            return False
        folder = d.file.rpartition("/")[0]
        return d.file in wrong or (default_lang is not None and f"{folder}/{default_lang}.md" in wrong)

    return [d for d in diags if not follow_on(d)]


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position, exact duplicates removed (two checks may see the same fault)."""
    return sorted(set(diags), key=lambda d: d.sort_key)


# --- reporters -------------------------------------------------------------------------------


def where(d: Diagnostic) -> str:
    """`path:line:col`, or only `path` for a problem with the whole file (a missing file has
    no line 0 to point an editor at)."""
    return d.file if d.line == 0 else f"{d.file}:{d.line}:{d.col}"


def format_text(diags: Sequence[Diagnostic]) -> str:
    lines = [f"{where(d)}: {d.severity}: {d.full_message()} [{d.code}]" for d in diags]
    n_err = sum(d.severity is Severity.ERROR for d in diags)
    n_warn = len(diags) - n_err
    lines.append(f"{n_err} error(s), {n_warn} warning(s)" if diags else "no problems found")
    return "\n".join(lines)


def format_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([asdict(d) for d in diags], ensure_ascii=False, indent=2)


def _gh_escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(diags: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: each becomes an annotation on the changed line."""
    out = []
    for d in diags:
        props = f"file={_gh_escape(d.file, prop=True)},line={max(d.line, 1)},col={max(d.col, 1)}"
        props += f",title={_gh_escape(d.code, prop=True)}"
        out.append(f"::{d.severity} {props}::{_gh_escape(d.full_message())}")
    out.append(format_text(diags).splitlines()[-1])
    return "\n".join(out)


REPORTERS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}
