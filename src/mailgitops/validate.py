"""The validate stage: load the repository and run every check family on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailgitops.diagnostics import Diagnostic, Severity, one_explanation, sort_diagnostics
from mailgitops.errors import ExitCode
from mailgitops.repo import LoadedRepo, load_repo

Check = Callable[[LoadedRepo], list[Diagnostic]]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    loaded: LoadedRepo
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    def exit_code(self, *, strict: bool = False) -> int:
        failing = self.diagnostics if strict else self.errors
        return int(ExitCode.PROBLEMS if failing else ExitCode.OK)


def checks() -> list[Check]:
    """The check families, in the order they run (each reports independently)."""
    from mailgitops.checks import registry

    return registry.CHECKS


def validate_repo(root: Path) -> ValidationResult:
    from mailgitops.checks import jinja_analysis

    loaded = load_repo(root)
    diags = list(loaded.diagnostics)
    try:
        for check in checks():
            diags.extend(check(loaded))
    finally:
        jinja_analysis.clear()
    return ValidationResult(loaded=loaded, diagnostics=tuple(sort_diagnostics(one_explanation(diags))))
