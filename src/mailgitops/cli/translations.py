"""`mailgitops translations export|import`: the translator round-trip through XLIFF 2.0."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from mailgitops.cli.main import CONTEXT, root_option, run

_LABELS = {
    "updated": "translated, written",
    "untranslated": "not translated yet (left as they are)",
    "new": "new since the export (not in the file: export again to translate them)",
    "changed": "changed since the export (the source text changed: not written, export again)",
    "stale": "stale (no longer in the templates: ignored)",
}


def _export(root: str, lang: str, out: str | None) -> int:
    from mailgitops.errors import UsageError
    from mailgitops.translations.exporter import export

    result = export(Path(root), lang)
    if out is None:
        click.echo(result.xliff, nl=False)
    else:
        try:
            Path(out).write_text(result.xliff, encoding="utf-8", newline="")
        except OSError as e:  # the user's path, not a bug
            raise UsageError(f"--out {out}: cannot write the XLIFF file ({e.strerror or e})",
                             hint="pass a file in a folder you can write to") from e
    if result.left_out:
        from mailgitops.diagnostics import format_text

        click.echo(format_text(list(result.left_out)), err=True)
    skipped = f"; {len(result.left_out)} left out, see above" if result.left_out else ""
    footer = " and the footer" if result.footers == 1 else (
        f" and {result.footers} footers" if result.footers else "")  # theme.yaml's, a webshop's
    click.echo(f"exported {result.units} units of {result.templates} templates{footer} for {lang} "
               f"({result.translated} already translated{skipped}){'' if out is None else f' to {out}'}",
               err=True)
    return 0


def _import(root: str, file: str, fmt: str) -> int:
    from mailgitops.translations.importer import STATUSES, import_file

    report = import_file(Path(root), Path(file), file)
    if fmt == "json":
        click.echo(json.dumps({
            "lang": report.lang,
            "written": list(report.written),
            "not_written": [{"file": f, "reason": r} for f, r in report.not_written],
            "counts": {s: report.count(s) for s in STATUSES},
            "units": [{"file": u.file, "unit": u.unit, "status": u.status} for u in report.units],
        }, ensure_ascii=False, indent=2))
        return 0
    for path in report.written:
        units = [u.unit for u in report.units if u.file == path and u.status == "updated"]
        click.echo(f"wrote {path} ({', '.join(units)})")
    for path, why in report.not_written:
        click.echo(f"did not write {path}: {why}")
    for status, label in _LABELS.items():
        found = [u for u in report.units if u.status == status]
        if found and status != "updated":
            click.echo(f"{len(found)} unit(s) {label}:")
            if status == "untranslated":  # the translator's work still to do: a line per file
                # (a new language's first template listed every other unit, 160 lines and more)
                per_file = Counter(u.file for u in found)
                for path, n in per_file.items():
                    click.echo(f"  {path}: {n} unit(s)")
                continue
            for u in found:
                click.echo(f"  {u.file} {u.unit}")
    click.echo(f"{report.count('updated')} updated, {report.count('unchanged')} unchanged, "
               f"{report.count('untranslated')} not translated yet, "
               f"{report.count('new')} new, {report.count('changed')} changed, {report.count('stale')} stale")
    return 0


def register(group: click.Group) -> None:
    @group.group("translations", context_settings=CONTEXT)
    def translations() -> None:
        """Hand templates to translators as XLIFF 2.0 and bring their work back.

        \b
        Examples:
          mailgitops translations export --lang de --out de.xlf
          (the translator works on de.xlf in their translation tool)
          mailgitops translations import de.xlf
        """

    @translations.command("export", context_settings=CONTEXT)
    @root_option
    @click.option("--lang", required=True, help="The language to translate into, e.g. de.")
    @click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE (default: standard output).")
    def export_cmd(root: str, lang: str, out: str | None) -> None:
        """Every template's subject, preheader and paragraphs as XLIFF 2.0.

        Each unit holds the source language's text and, where it exists, the current
        translation. Placeholders are locked tags a translation tool will not let the translator
        edit; notes explain each variable. A template whose translation cannot be paired with
        its source paragraph by paragraph is left out with a warning naming the file and why;
        the others are exported (exit 0).

        \b
        Examples:
          mailgitops translations export --lang de --out de.xlf
          mailgitops translations export --lang it --out it.xlf   # a new language: no targets yet
        """
        run(_export, root, lang, out)

    @translations.command("import", context_settings=CONTEXT)
    @root_option
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    def import_cmd(root: str, file: str, fmt: str) -> None:
        """Write a translated XLIFF file back into templates/<id>/<lang>.md.

        Nothing is written when any unit drops, changes or adds a placeholder (each is named
        with its line in FILE; exit 1). Reports the units that are new, changed or stale since
        the export; untouched files keep their exact bytes.

        \b
        Examples:
          mailgitops translations import de.xlf
          mailgitops translations import de.xlf --format json   # per unit, for scripts
        """
        run(_import, root, file, fmt)
