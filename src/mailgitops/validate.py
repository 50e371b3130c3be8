"""The validate stage: load the repository and run every check family on it."""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from mailgitops.checks import result_cache
from mailgitops.checks.result_cache import CacheStats, ResultCache
from mailgitops.diagnostics import Diagnostic, Severity, one_explanation, sort_diagnostics
from mailgitops.errors import ExitCode
from mailgitops.repo import MAX_READ_BYTES, LoadedRepo, front_matter, load_repo

Check = Callable[[LoadedRepo], list[Diagnostic]]
# Template texts still to analyse from which the per-file work is shared with a process per core:
# the fork, the checks across files run in each process and the results sent back cost a fixed
# ~0.3 s of CPU, which a 15-template repository (75 texts, ~0.2 s of per-file work) cannot pay
# back. The boundary is a judgement; docs/performance.md says what was measured.
POOL_FROM_TEXTS = 1000


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


def _run_checks(loaded: LoadedRepo) -> list[Diagnostic]:
    from mailgitops.checks import jinja_analysis

    diags: list[Diagnostic] = []
    try:
        for check in checks():
            diags.extend(check(loaded))
    finally:
        jinja_analysis.clear()
    return diags


_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def sample_values(loaded: LoadedRepo) -> list[Diagnostic]:
    """A sample order's value that its trigger's emails read and their filters cannot (a price as
    a word), at its line: dispatch's own rule (dispatch/value_types.py), so that what validate
    lets through, dispatch sends, and a value no email of the trigger reads is left alone."""
    from mailgitops.dispatch import value_types

    repo, out = loaded.repo, []
    for sample in repo.samples.values():
        trigger = repo.workflow.triggers.get(str(sample.data.get("trigger")))
        doc = loaded.docs.get(sample.file)
        if trigger is None or doc is None or not isinstance(sample.data, dict):
            continue
        ids = {trigger.template, *trigger.templates.values()}
        texts = [part or "" for tid in sorted(ids) if tid in repo.templates
                 for x in repo.templates[tid].texts.values() for part in (x.subject, x.preheader, x.body)]
        for d in value_types.check(dict(sample.data), sample.file, value_types.read_by(texts)):
            path = tuple(int(i) if i else k for k, i in _STEP.findall(d.json_path))
            pos = doc.pos(path)
            if any((e.file, e.line, e.col) == (sample.file, pos.line, pos.col) for e in loaded.diagnostics):
                continue  # the event schema's own check named it there (`copies` is typed by both)
            # "$.order.price: `order.price` must be ...": the place is the line, the path goes
            message = d.message.partition(": ")[2] or d.message
            out.append(replace(d, line=pos.line, col=pos.col, message=message))
    return out


def _one_cause(diags: list[Diagnostic], samples: list[Diagnostic]) -> list[Diagnostic]:
    """A sample's value named at its line is the cause of each text that fails to render with that
    sample: those texts' errors (one per template and language) are left out."""
    blamed = {f"it fails with the sample order `{Path(d.file).stem}`" for d in samples}
    return [d for d in diags if not (d.code == "render-error" and d.hint in blamed)] + samples


# what the print room's own catalog decides: with config/catalog.yaml unreadable these are said of
# triggers and variables it may well declare
_FROM_CATALOG = ("unknown-trigger", "unknown-variable", "variable-not-provided", "schema-copy-stale")


def _catalog_unread(loaded: LoadedRepo, diags: list[Diagnostic]) -> list[Diagnostic]:
    """One slip in config/catalog.yaml made some 20 errors (an admin's walk): the schema copies
    called stale, whose fix (`mailgitops schema`) refuses for the same slip, and the triggers and
    variables it declares, called unknown, each with a fix that did not apply. They are left out
    until the catalog can be read, and counted in one line at the catalog."""
    from mailgitops.checks.crossfile import loaded_ok
    from mailgitops.diagnostics import warning
    from mailgitops.repo_catalog import FILE

    if FILE not in loaded.sources or loaded_ok(loaded, FILE):
        return diags
    kept = [d for d in diags if d.code not in _FROM_CATALOG]
    held = len(diags) - len(kept)
    if held:
        kept.append(warning(FILE, 1, 1, "catalog-unread",
                            f"{held} problem(s) in other files name triggers or variables this file may "
                            "declare; they are checked again once it can be read",
                            hint="fix this file's error first, then run `mailgitops validate` again"))
    return kept


def workers_for(texts: int) -> int:
    """Processes worth using: one per core this process may run on, once the repository is large."""
    if texts < POOL_FROM_TEXTS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 4))


_STATE: dict[str, Any] = {}  # what the forked workers inherit instead of receiving it pickled


def _load_share(only: frozenset[str]) -> None:
    """A share of the loader's work: each template text's front matter (YAML and schema)."""
    root: Path = _STATE["root"]
    results: ResultCache = _STATE["results"]
    for rel in sorted(only):
        path = root / rel
        try:
            # links are left to the loader, which refuses those leading out (/dev/zero, a file
            # elsewhere) before reading; only plain files, as much as the loader would read
            if path.is_symlink() or path.parent.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as f:
                text = f.read(MAX_READ_BYTES + 1).decode("utf-8")
        except (OSError, UnicodeError):
            continue  # the loader reports it
        results.get("front-matter", rel, text, partial(front_matter, text, rel))


def _check_share(only: frozenset[str]) -> None:
    """A share of the checks' per-file work (the rest skipped, the cross-file results dropped)."""
    with result_cache.active(_STATE["results"]):
        _run_checks(_STATE["loaded"])


def _in_worker(job: Callable[[frozenset[str]], None], only: frozenset[str]) -> dict[str, Any]:
    results: ResultCache = _STATE["results"]
    results.prefill(only)
    job(only)
    return results.computed()


def _prefill(results: ResultCache, job: Callable[[frozenset[str]], None], shares: list[frozenset[str]],
             own: frozenset[str]) -> None:
    """Run `job` on one process per share, this one taking the first share and `own` besides;
    the results computed anywhere land in `results` for the real pass to read. The work is pure
    Python: only processes use another core, and fork lets them inherit what they need."""
    _STATE["results"] = results
    try:
        with ProcessPoolExecutor(len(shares) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_in_worker, job, share) for share in shares[1:]]
            results.prefill(shares[0] | own)
            job(shares[0] | own)
            results.prefill(None)
            for f in futures:
                results.merge(f.result())
    finally:
        results.prefill(None)


def _shares(groups: dict[str, list[str]], workers: int) -> list[frozenset[str]]:
    """The files split by template (translations stay together: they share skeleton runs)."""
    tids = sorted(groups)
    return [frozenset(f for tid in tids[i::workers] for f in groups[tid]) for i in range(workers)]


def validate_repo(root: Path, *, cache: bool = False, workers: int | None = None) -> ValidationResult:
    """Every problem of the repository at `root`. With `cache`, results of files unchanged since
    an earlier run come from the per-user cache (checks/result_cache.py); the output is the same.
    `workers` (default: one per core for a large repository) share the per-file work."""
    root = root.resolve()
    results = ResultCache.open(root) if cache else None
    groups: dict[str, list[str]] = {}
    for md in root.glob("templates/*/*.md"):
        if not md.parent.name.startswith(("_", ".")):
            groups.setdefault(md.parent.name, []).append(f"templates/{md.parent.name}/{md.name}")
    texts = sum(map(len, groups.values()))
    auto = workers is None  # else as the caller says, however small the work
    workers = workers_for(texts) if workers is None else workers
    shared = results or (ResultCache(None, {}) if workers > 1 else None)  # the pool needs one
    try:
        # only work still to do is worth sharing: not when the pack holds the texts' results
        if shared is not None and workers > 1 and (not auto or len(shared.old) < texts):
            _STATE["root"] = root
            _prefill(shared, _load_share, _shares(groups, workers), frozenset())
        with result_cache.active(shared):
            loaded = load_repo(root, result_cache.per_file)
        if shared is not None:
            shared.bind(result_cache.shared_digest(loaded.sources, loaded.repo.assets))
            if workers > 1 and (not auto or shared.missing("templates", loaded.sources) >= POOL_FROM_TEXTS):
                _STATE["loaded"] = loaded
                by_template = {tid: [x.file for x in t.texts.values()]
                               for tid, t in loaded.repo.templates.items()}
                shares = _shares(by_template, workers)
                every = frozenset().union(*shares)
                _prefill(shared, _check_share, shares, frozenset(r for r in loaded.sources if r not in every))
        with result_cache.active(shared):
            diags = _one_cause(list(loaded.diagnostics) + _run_checks(loaded), sample_values(loaded))
    finally:
        _STATE.clear()
    if results is not None:
        results.save()
    return ValidationResult(loaded=loaded, diagnostics=tuple(sort_diagnostics(
        _catalog_unread(loaded, one_explanation(diags, loaded.repo.languages.default)))),
                            cache=results.stats() if results is not None else None)
