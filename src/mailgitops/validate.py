"""The validate stage: load the repository and run every check family on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailgitops.checks import result_cache
from mailgitops.checks.result_cache import CacheStats
from mailgitops.diagnostics import Diagnostic, Severity, one_explanation, sort_diagnostics
from mailgitops.errors import ExitCode
from mailgitops.repo import LoadedRepo, load_repo

Check = Callable[[LoadedRepo], list[Diagnostic]]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    loaded: LoadedRepo
    diagnostics: tuple[Diagnostic, ...]
    cache: CacheStats | None = None  # what came from the per-file cache, when it was used

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


def validate_repo(root: Path, *, cache: bool = False) -> ValidationResult:
    """Every problem of the repository at `root`. With `cache`, results of files unchanged since
    an earlier run come from the per-user cache (checks/result_cache.py); the output is the same."""
    from mailgitops.checks import jinja_analysis

    results = result_cache.ResultCache.open(root) if cache else None
    with result_cache.active(results):
        loaded = load_repo(root, result_cache.per_file)
        if results is not None:
            results.bind(result_cache.shared_digest(loaded.sources, loaded.repo.assets))
        diags = list(loaded.diagnostics)
        try:
            for check in checks():
                diags.extend(check(loaded))
        finally:
            jinja_analysis.clear()
    if results is not None:
        results.save()
    return ValidationResult(loaded=loaded, diagnostics=tuple(sort_diagnostics(one_explanation(diags))),
                            cache=results.stats() if results is not None else None)
