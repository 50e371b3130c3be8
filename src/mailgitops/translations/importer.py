"""`translations import`: a translated XLIFF file back into `templates/<id>/<lang>.md`.

All or nothing: a unit that drops, changes or adds a placeholder refuses the whole import (every
such unit named, with its line in the translator's file), so no half-checked text is written.
Units are compared with the repository as it is now, which tells what happened since the export:
new (in the source now, not in the file), changed (the source text changed since the export; the
translation is of the old text, so it is not written), stale (no longer in the source)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from mailgitops.diagnostics import Diagnostic, Severity, error
from mailgitops.errors import MailgitopsError
from mailgitops.repo import LoadedRepo
from mailgitops.translations.exporter import LANG, aligned_target, loaded_templates, template_doc
from mailgitops.translations.footer import UNIT, Footer, footers, set_text
from mailgitops.translations.units import FRONT_KEYS, TemplateDoc, code_problems
from mailgitops.translations.xliff_read import ReadDoc, ReadUnit, read

STATUSES = ("updated", "unchanged", "untranslated", "new", "changed", "stale")


@dataclass(frozen=True, slots=True)
class UnitResult:
    file: str  # the target language's template file, repository-relative
    unit: str
    status: str  # one of STATUSES


@dataclass(frozen=True, slots=True)
class ImportReport:
    lang: str
    units: tuple[UnitResult, ...]
    written: tuple[str, ...]
    not_written: tuple[tuple[str, str], ...]  # (file, why): a new file that is not fully translated

    def count(self, status: str) -> int:
        return sum(u.status == status for u in self.units)


@dataclass
class _Template:
    rel: str
    source: TemplateDoc
    target: TemplateDoc | None
    texts: dict[str, str]  # unit id -> the translation to write


def _compare(t: _Template, got: dict[str, ReadUnit], file: str, results: list[UnitResult],
             diags: list[Diagnostic]) -> None:
    for u in t.source.units:
        r = got.pop(u.id, None)
        current = t.target.unit(u.id) if t.target else None
        if r is None:
            status = "new"
        elif r.source != u.text:
            status = "changed"
        elif r.target is None or not r.target.strip():
            status = "untranslated"
        else:
            reference = current.text if current else u.text
            for problem in code_problems(r.target, reference):
                diags.append(error(file, r.line, r.col, "translation-placeholder",
                                   f"unit {u.id} of {t.rel}: {problem}",
                                   hint="keep every placeholder tag of the source exactly once; "
                                        "move it, never retype or delete it"))
            t.texts[u.id] = r.target
            status = "unchanged" if current and current.text == r.target else "updated"
        results.append(UnitResult(t.rel, u.id, status))
    results += [UnitResult(t.rel, uid, "stale") for uid in got]


def _footers(loaded: LoadedRepo, lang: str, by_file: dict[str, dict[str, ReadUnit]],
             results: list[UnitResult]) -> list[tuple[Footer, str]]:
    """The footers' units, compared as a template's are; (footer, text) for each to write."""
    out: list[tuple[Footer, str]] = []
    default = loaded.repo.languages.default
    for f in footers(loaded):
        source = f.source(default)
        got = by_file.pop(f.file_id, {})
        if source is None:
            results += [UnitResult(f.rel, uid, "stale") for uid in got]
            continue
        r = got.pop(UNIT, None)
        if r is None:
            status = "new"
        elif r.source != source:
            status = "changed"
        elif r.target is None or not r.target.strip():
            status = "untranslated"
        elif r.target == f.target(lang):
            status = "unchanged"
        else:
            status = "updated"
            out.append((f, r.target))
        results.append(UnitResult(f.rel, UNIT, status))
        results += [UnitResult(f.rel, uid, "stale") for uid in got]
    return out


def _new_text(t: _Template) -> tuple[str | None, str | None]:
    """The file to write (None: leave it), or why a new file is not written."""
    if t.target is not None:
        missing = {k: v for k, v in t.texts.items()
                   if k in FRONT_KEYS and t.target.unit(k) is None}
        return t.target.assemble(t.texts, missing), None
    untranslated = [u.id for u in t.source.units if u.id not in t.texts]
    if untranslated:
        return None, "not every unit is translated yet (" + ", ".join(untranslated) + ")"
    return t.source.assemble(t.texts), None


def _write(path: Path, content: str) -> None:
    """Atomically: an interrupted import leaves the old file, never half a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _templates(loaded: LoadedRepo, lang: str, diags: list[Diagnostic],
               in_file: set[str]) -> dict[str, _Template]:
    out: dict[str, _Template] = {}
    default = loaded.repo.languages.default
    for tid, template in sorted(loaded.repo.templates.items()):
        if default not in template.texts:
            continue
        source, d1 = template_doc(loaded, template.texts[default].file)
        target, d2 = aligned_target(loaded, tid, lang, source) if source else (None, [])
        if any(d.code == "translation-misaligned" for d in d2):
            if tid not in in_file:
                continue  # the export left it out (translated by hand): nothing of it comes back
            d2 = [replace(d, severity=Severity.ERROR) for d in d2]  # it came back: cannot be paired
        diags += d1 + d2
        if source is not None:
            out[tid] = _Template(f"templates/{tid}/{lang}.md", source, target, {})
    return out


def _document(path: Path, shown: str) -> ReadDoc:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MailgitopsError(f"cannot read {shown}: {e.strerror}",
                              hint="give the translated XLIFF file") from e
    doc, diags = read(data, shown)
    if doc is None or diags:
        raise MailgitopsError(f"cannot import {shown}", diagnostics=diags)
    return doc


def import_file(root: Path, path: Path, shown: str) -> ImportReport:
    doc = _document(path, shown)
    loaded = loaded_templates(root)
    default = loaded.repo.languages.default
    if doc.src_lang != default:
        raise MailgitopsError(f"{shown} was exported from {doc.src_lang or 'an unnamed language'}, "
                              f"but the source language is now {default}",
                              hint=f"export again: mailgitops translations export --lang {doc.trg_lang}")
    if doc.trg_lang == default or not LANG.match(doc.trg_lang):
        # the file's own language, not a --lang given: exit 1 (bad input), not 2 (wrong usage)
        said = "the source language" if doc.trg_lang == default else "not a language code"
        raise MailgitopsError(f"{shown}: its target language (trgLang) {doc.trg_lang!r} is {said}",
                              hint="export the file again: mailgitops translations export --lang L")
    diags: list[Diagnostic] = []
    templates = _templates(loaded, doc.trg_lang, diags, {u.file_id for u in doc.units})
    by_file: dict[str, dict[str, ReadUnit]] = {}
    for u in doc.units:
        by_file.setdefault(u.file_id, {})[u.id] = u
    results: list[UnitResult] = []
    for tid, t in templates.items():
        _compare(t, by_file.pop(tid, {}), shown, results, diags)
    footer_texts = _footers(loaded, doc.trg_lang, by_file, results)
    for tid, units in sorted(by_file.items()):
        results += [UnitResult(f"templates/{tid}/{doc.trg_lang}.md", uid, "stale") for uid in units]
    if diags:
        raise MailgitopsError(f"nothing was imported: {len(diags)} problem(s) in {shown}", diagnostics=diags)
    written: list[str] = []
    not_written: list[tuple[str, str]] = []
    for t in templates.values():
        if not t.texts:
            continue
        content, why = _new_text(t)
        if why:
            not_written.append((t.rel, why))
        elif content is not None and content != loaded.sources.get(t.rel):
            _write(loaded.repo.root / t.rel, content)
            written.append(t.rel)
    for f, text in footer_texts:
        before = loaded.sources.get(f.rel) or (loaded.repo.root / f.rel).read_text(encoding="utf-8")
        _write(loaded.repo.root / f.rel, set_text(before, f.at, doc.trg_lang, text, default))
        written.append(f.rel)
    return ImportReport(doc.trg_lang, tuple(results), tuple(written), tuple(not_written))
