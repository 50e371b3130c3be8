"""`mailgitops render` (previews and gallery) and `mailgitops restore`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailgitops.cli.main import CONTEXT, root_option, run
from mailgitops.cli.rootdir import repository
from mailgitops.diagnostics import Diagnostic, Severity, format_text, one_explanation, sort_diagnostics
from mailgitops.errors import ExitCode, MailgitopsError, UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mailgitops.gitops.manifest import ManifestEntry
    from mailgitops.gitops.previews import PreviewResult
    from mailgitops.model import Repo
    from mailgitops.render.compiled import CompiledTemplates
    from mailgitops.repo import LoadedRepo


def _explained(loaded: LoadedRepo, diags: list[Diagnostic]) -> list[Diagnostic]:
    """A template that could not be rendered because of a problem `validate` finds in its source
    (an unknown variable, a per-job value outside the loop) is explained as validate explains it,
    at the same line and column with the same fix, instead of by the value the sample lacked."""
    failed = {d.file for d in diags if d.code == "render-error"}
    if not failed:
        return diags
    from mailgitops.checks.templates import check as check_templates

    static = [d for d in check_templates(loaded) if d.severity is Severity.ERROR and d.file in failed]
    return one_explanation([*diags, *static])


def _compiled_or_fail(repo: Repo, workers: int) -> CompiledTemplates:
    """Every text compiled once, on `workers` cores, its code kept for the renders that follow."""
    from mailgitops.cli.validate import escape_controls
    from mailgitops.render.compiled import compile_repo_diagnostics

    compiled, diags = compile_repo_diagnostics(repo, workers=workers, keep_code=True)
    if compiled is None:
        raise MailgitopsError("the templates do not compile",
                              diagnostics=escape_controls(sort_diagnostics(diags)))
    return compiled


def _listed(out_dir: Path) -> set[str]:
    """The files an earlier render listed in this folder's manifest.json (none when it has none)."""
    import json

    try:
        emails = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8")).get("emails", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(e[k]) for e in emails if isinstance(e, dict) for k in ("html", "text", "eml")
            if isinstance(e.get(k), str) and e[k]}


def _drop_stale(out_dir: Path, before: set[str], entries: Sequence[ManifestEntry]) -> None:
    """An earlier render's previews that this one did not make (a language no longer rendered)
    are removed: the folder holds what its gallery and manifest list, nothing a reviewer could
    take for current. Only files an earlier manifest listed, inside the folder, are touched."""
    now = {f for e in entries for f in (e.html, e.text, e.eml) if f}
    root = out_dir.resolve()
    for rel in sorted(before - now):
        path = (out_dir / rel).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def _write(repo: Repo, compiled: CompiledTemplates, out: str, *, templates: tuple[str, ...],
           langs: tuple[str, ...], sample: str | None, total: int, workers: int,
           per_webshop: bool = False) -> PreviewResult:
    from mailgitops import private
    from mailgitops.gitops.gallery import gallery_html
    from mailgitops.gitops.previews import write_previews

    out_dir = Path(out)
    before = _listed(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: cannot create the folder ({e.strerror})",
                         hint="pass a folder you can write to") from e
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="rendering", file=sys.stderr) as bar:
                result = write_previews(repo, compiled, out_dir, templates=templates, langs=langs,
                                        sample=sample, progress=bar.update, workers=workers,
                                        per_webshop=per_webshop)
        else:
            result = write_previews(repo, compiled, out_dir, templates=templates, langs=langs, sample=sample,
                                    workers=workers, per_webshop=per_webshop)
        gallery = gallery_html(result.entries, folder=out_dir).encode("utf-8")
        private.write_bytes(out_dir / "index.html", gallery, mode=0o644)  # never through a link left there
        _drop_stale(out_dir, before, result.entries)
    except OSError as e:  # a full disk, a read-only folder: the environment, not a bug
        raise MailgitopsError(f"cannot write the previews to {out_dir}: {e.strerror} ({e.filename})") from e
    return result


def _render(root: str, out: str, templates: tuple[str, ...], langs: tuple[str, ...],
            sample: str | None, *, per_webshop: bool = False) -> int:
    # a value quoted in a message (a sample's line break) stays on its line, as in validate
    from mailgitops.cli.validate import escape_controls
    from mailgitops.render.jinja_env import forget_precompiled
    from mailgitops.repo import load_repo

    repository(root)
    loaded = load_repo(Path(root))
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise MailgitopsError("the repository has problems; fix them first (`mailgitops validate`)",
                              diagnostics=escape_controls(sort_diagnostics(errors)))
    repo = loaded.repo
    for lang in langs:
        if lang not in repo.languages.active:
            raise UsageError(f"`{lang}` is not an active language",
                             hint=f"active: {', '.join(repo.languages.active)}. To preview a translation "
                                  "before it goes live, add it to `active` in config/languages.yaml on a "
                                  "branch and render there (validate lists the texts still missing; "
                                  "merge once none is)")
    per_shop = len(repo.webshops) * max(1, len(langs)) if per_webshop else 0
    total = len(templates or repo.templates) * (len(langs or repo.languages.active) + per_shop)
    # every core, once there is enough to share: a process costs ~50 ms to start
    workers = min(len(os.sched_getaffinity(0)), 1 + total // 40)
    try:  # the code kept for rendering is this run's alone
        result = _write(repo, _compiled_or_fail(repo, workers), out, templates=templates, langs=langs,
                        sample=sample, total=total, workers=workers, per_webshop=per_webshop)
    finally:
        forget_precompiled()
    problems = escape_controls(sort_diagnostics(_explained(loaded, result.diagnostics)))
    if problems:
        click.echo(format_text(problems), err=True)
    n_warn = sum(bool(e.warnings) for e in result.entries)
    # an active language without its text: the preview shows what a customer would get, the
    # default language's text, and says so here as well as in the gallery
    from collections import Counter

    fell_back = Counter((e.lang, e.language_used) for e in result.entries if e.language_used != e.lang)
    out_dir = Path(out)
    instead = "".join(f", {n} in {used} instead of {asked} (no {asked} text)"
                      for (asked, used), n in sorted(fell_back.items()))
    # an email that could not be rendered is named above; the count says it too, not only "wrote N"
    missing = total - len(result.entries)
    failed = f"; {missing} could not be rendered (named above)" if problems and missing > 0 else ""
    click.echo(f"wrote {len(result.entries)} email(s) to {out_dir}/ ({n_warn} with warnings{instead})"
               f"{failed}; open {out_dir / 'index.html'}")
    return int(ExitCode.PROBLEMS if problems else ExitCode.OK)


def _restore(root: str, template: str, lang: str | None) -> int:
    from mailgitops.gitops.restore import restore

    for path in restore(Path(root), template, lang):
        click.echo(f"restored {path}")
    return 0


def register(group: click.Group) -> None:
    @group.command("render", context_settings=CONTEXT)
    @root_option
    @click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
    @click.option("--template", "templates", multiple=True, metavar="ID",
                  help="Only this template (repeatable).")
    @click.option("--lang", "langs", multiple=True, metavar="L", help="Only this language (repeatable).")
    @click.option("--sample", default=None, metavar="NAME",
                  help="Sample order from config/samples/, rendered as written, its webshop included "
                       "(default: the one whose trigger sends the template and whose recipient gets "
                       "that language, else flyers, placed in no webshop: the print room's own sender).")
    @click.option("--per-webshop", is_flag=True,
                  help="Also render each template once per webshop (config/webshops/), in the default "
                       "language (or each --lang given), as OUT/<template>@<shop>/: each shop's sender, "
                       "reply-to, logo, footer and order link in a preview (the pull-request workflow "
                       "uses it).")
    def render_cmd(root: str, out: str, templates: tuple[str, ...], langs: tuple[str, ...],
                   sample: str | None, *, per_webshop: bool) -> None:
        """Render every template in every active language with a sample order.

        Writes OUT/<template>/<lang>.html, .txt and .eml, OUT/manifest.json, and OUT/index.html,
        a gallery to open in a browser. Exit 1 when a template cannot be rendered (each problem
        is shown as path:line:col).

        \b
        Examples:
          mailgitops render --out previews             # then open previews/index.html
          mailgitops render --out previews --template order-ready --lang de
        """
        run(_render, root, out, templates, langs, sample, per_webshop=per_webshop)

    @group.command("restore", context_settings=CONTEXT)
    @root_option
    @click.argument("template")
    @click.option("--lang", default=None, metavar="L", help="Only this language's text.")
    def restore_cmd(root: str, template: str, lang: str | None) -> None:
        """Put the shipped default of TEMPLATE back (all its files, or one language with --lang).

        It overwrites your edits to those files (git keeps what you committed).

        \b
        Examples:
          mailgitops restore order-accepted --lang de
          mailgitops restore order-ready              # every language and template.yaml
        """
        run(_restore, root, template, lang)
