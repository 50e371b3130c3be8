"""`mailgitops validate`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import click

from mailgitops.cli.main import CONTEXT, root_option, run
from mailgitops.cli.rootdir import repository
from mailgitops.diagnostics import REPORTERS, Diagnostic
from mailgitops.validate import validate_repo


def _printable(text: str) -> str:
    """A value quoted in a message may hold a line break or control character (a header
    injection attempt, a key with `\n` in it): show it escaped, so every problem stays one line
    and no text can pose as another problem or a workflow command."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def escape_controls(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic with its file, message and hint made printable (see `_printable`)."""
    return [replace(d, file=_printable(d.file), message=_printable(d.message),
                    hint=None if d.hint is None else _printable(d.hint)) for d in diags]


def _reporters() -> dict[str, Callable[[Sequence[Diagnostic]], str]]:
    from mailgitops.gitops.problems import format_markdown  # for a pull request's summary

    return {**REPORTERS, "markdown": format_markdown}


def _validate(root: str, fmt: str | None, strict: bool, no_cache: bool = False) -> int:
    repository(root)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    result = validate_repo(Path(root), cache=not no_cache)
    click.echo(_reporters()[fmt](escape_controls(result.diagnostics)), nl=fmt != "markdown")
    return result.exit_code(strict=strict)


def register(group: click.Group) -> None:
    @group.command("validate", context_settings=CONTEXT)
    @root_option
    @click.option("--format", "fmt", type=click.Choice(sorted([*REPORTERS, "markdown"])), default=None,
                  help="Output format. Default: github inside GitHub Actions, else text. markdown: "
                       "for a pull request's comment (nothing when there is no problem).")
    @click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
    @click.option("--no-cache", is_flag=True,
                  help="Analyse every file afresh instead of reusing the results of files unchanged since "
                       "the last run (kept in ~/.cache/mailgitops/validate/; MAILGITOPS_NO_CACHE=1 does "
                       "the same).")
    def validate_cmd(root: str, fmt: str | None, strict: bool, no_cache: bool) -> None:
        """Check the config repository: YAML, schemas, cross-file rules, templates.

        Every problem is reported at once, sorted, as `path:line:col: error|warning: message
        [code]`. Exit 0 when clean (warnings allowed unless --strict), 1 when there are
        problems. Files unchanged since the last run are not analysed again: their results
        come from a per-user cache, and the checks across files always run.

        \b
        Examples:
          mailgitops validate                          # the repository in this folder
          mailgitops validate --root ~/printroom-emails --strict   # warnings fail too
        """
        run(_validate, root, fmt, strict, no_cache)
