"""`translations export`: every template's texts in the source language, beside the target
language's current ones, with the variable catalog's descriptions as notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from mailgitops import catalog
from mailgitops.catalog import Catalog
from mailgitops.diagnostics import Diagnostic, Severity, error
from mailgitops.errors import MailgitopsError, NotATemplate, UsageError
from mailgitops.repo import LoadedRepo, load_repo
from mailgitops.translations.footer import export_files
from mailgitops.translations.units import TemplateDoc, codes, misalignment, parse
from mailgitops.translations.xliff_write import ExportFile, ExportUnit, write

LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_FILTER = re.compile(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)")
FILE_NOTE = ("The tags are placeholders (the customer's name, the order number, a link, the "
             "start of a list item): move them where your language needs them, but keep every one. "
             "Text between ** ** is bold; text in [ ] is a link's text.")


@dataclass(frozen=True, slots=True)
class Export:
    xliff: str
    templates: int
    units: int
    translated: int  # units that already had a translation in the target language
    # templates left out: their translation does not pair with the source paragraph by paragraph
    left_out: tuple[Diagnostic, ...] = ()
    footers: int = 0  # the footers in the file (theme.yaml's), each one unit


def check_lang(lang: str, default: str) -> None:
    if not LANG.match(lang):
        raise UsageError(f"--lang {lang!r} is not a language code",
                         hint="a BCP 47 code as the templates' file names use it: de, fr, pt-BR")
    if lang == default:
        raise UsageError(f"--lang {lang} is the source language (the default in config/languages.yaml)",
                         hint="export a language the templates are translated into")


def loaded_templates(root: Path) -> LoadedRepo:
    """The repository, refused when its templates or languages cannot be read."""
    if not root.is_dir():
        raise UsageError(f"--root {root}: no such folder",
                         hint="give the folder that holds config/ and templates/")
    loaded = load_repo(root)
    bad = [d for d in loaded.diagnostics if d.severity is Severity.ERROR
           and (d.file.startswith("templates/") or d.file == "config/languages.yaml")]
    if bad:
        raise MailgitopsError("the templates have problems; fix them first (mailgitops validate)",
                              diagnostics=bad)
    return loaded


def template_doc(loaded: LoadedRepo, rel: str) -> tuple[TemplateDoc | None, list[Diagnostic]]:
    try:
        return parse(loaded.sources[rel]), []
    except NotATemplate as e:
        return None, [error(rel, 1, 1, "translation-template", str(e))]


def notes(text: str, cat: Catalog | None = None) -> tuple[str, ...]:
    """What each variable and filter used in `text` means, from the variable catalog (the
    repository's, with its own variables, when given)."""
    out: list[str] = []
    cat = cat or catalog.packaged()
    variables, filters = cat.variables, cat.filters
    for code in codes(text):
        for name in _NAME.findall(code):
            spec = variables.get(name)
            note = spec and f"{{{{ {name} }}}}: {spec.description}" + (
                f" Example: {spec.example}" if spec.example not in (None, "", []) else "")
            if note and note not in out:
                out.append(note)
        for name in _FILTER.findall(code):
            note = f"| {name}: {filters[name]}" if name in filters else None
            if note and note not in out:
                out.append(note)
    return tuple(out)


def aligned_target(loaded: LoadedRepo, tid: str, lang: str,
                   source: TemplateDoc) -> tuple[TemplateDoc | None, list[Diagnostic]]:
    """The target language's file of `tid`, when it exists and pairs with the source's."""
    rel = f"templates/{tid}/{lang}.md"
    if rel not in loaded.sources:
        return None, []
    target, diags = template_doc(loaded, rel)
    why = target and misalignment(source, target)
    if why:
        default = loaded.repo.languages.default
        found = error(rel, 1, 1, "translation-misaligned",
                      f"left out: cannot be paired with {default}.md paragraph by paragraph: {why}",
                      hint=f"give it the same blank lines and Jinja-only lines as {default}.md, "
                           "or keep translating this template by hand")
        return None, [replace(found, severity=Severity.WARNING)]
    return target, diags


def export(root: Path, lang: str) -> Export:
    loaded = loaded_templates(root)
    default = loaded.repo.languages.default
    check_lang(lang, default)
    files: list[ExportFile] = []
    diags: list[Diagnostic] = []
    left_out: list[Diagnostic] = []
    for tid, template in sorted(loaded.repo.templates.items()):
        if default not in template.texts:
            continue  # validate reports the missing file; nothing to translate from
        source, d1 = template_doc(loaded, template.texts[default].file)
        target, d2 = aligned_target(loaded, tid, lang, source) if source else (None, [])
        diags += d1 + [d for d in d2 if d.severity is Severity.ERROR]
        if any(d.code == "translation-misaligned" for d in d2):
            # one translation written its own way must not keep every other template from the
            # translator: it is left out (its text is the admin's), and said so
            left_out += d2
            continue
        if source is None:
            continue
        units = []
        for u in source.units:
            t = target.unit(u.id) if target else None
            units.append(ExportUnit(u.id, u.text, t.text if t else None, notes(u.text, loaded.repo.catalog)))
        files.append(ExportFile(tid, template.texts[default].file,
                                tuple(n for n in (template.description, FILE_NOTE) if n), tuple(units)))
    if diags:
        raise MailgitopsError(f"cannot export {lang}: some templates cannot be paired", diagnostics=diags)
    templates = len(files)
    files += export_files(loaded, lang)
    every = [u for f in files for u in f.units]
    done = sum(u.target is not None for u in every)
    return Export(write(default, lang, files), templates, len(every), done, tuple(left_out),
                  footers=len(files) - templates)
