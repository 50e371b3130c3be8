"""`mailgitops diff`, `mailgitops init` and `mailgitops schema`: the pull-request review loop."""

from __future__ import annotations

from pathlib import Path

import click

from mailgitops.cli.main import CONTEXT, root_option, run
from mailgitops.cli.rootdir import repository


def _write(path: str, text: str) -> None:
    from mailgitops.errors import MailgitopsError

    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        raise MailgitopsError(f"cannot write {path}: {e.strerror or e}",
                              hint="pass a path in a folder you can write to") from e


def _diff(base: str, head: str, out: str | None, json_out: str | None) -> int:
    from mailgitops.gitops.diff import compare_dirs
    from mailgitops.gitops.report import to_json, to_markdown

    comparison = compare_dirs(Path(base), Path(head))
    markdown = to_markdown(comparison)
    if out is None:
        click.echo(markdown, nl=False)
    else:
        _write(out, markdown)
        click.echo(f"{len(comparison.changes)} email(s) differ; summary written to {out}", err=True)
    if json_out is not None:
        _write(json_out, to_json(comparison))
    return 0


def _init(directory: str, force: bool, install: str | None) -> int:
    from mailgitops.gitops.init import BUNDLE_PATH, default_requirement, init_repository

    result = init_repository(Path(directory), force=force, requirement=install)
    click.echo(f"wrote {len(result.written)} files into {directory}")
    click.echo(f"CI and pre-commit install `{install or default_requirement()}` (requirements.txt)")
    click.echo("\nnext steps:")
    for step in (
        f"cd {directory}",
        "git init -b main   # unless it is a clone already",
        "pip install -r requirements.txt pre-commit && pre-commit install",
        "mailgitops validate && mailgitops render --out previews",
        f"mailgitops bundle --out {BUNDLE_PATH}",
        "git add -A && git commit -m 'Our emails' && git push",
    ):
        click.echo(f"  {step}")
    return 0


def _schema(root: str) -> int:
    from mailgitops.gitops.schema import write_schema

    written = write_schema(repository(root))
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"schema/ is current ({len(written)} file(s) rewritten)" if written else
               "schema/ was already current (nothing rewritten)", err=True)
    return 0


def register(group: click.Group) -> None:
    @group.command("diff", context_settings=CONTEXT)
    @click.argument("base_dir", type=click.Path(exists=True, file_okay=False))
    @click.argument("head_dir", type=click.Path(exists=True, file_okay=False))
    @click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
                  help="Write the Markdown here instead of to standard output.")
    @click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None,
                  help="Also write the list of differing emails as JSON (for the screenshot step).")
    def diff_cmd(base_dir: str, head_dir: str, out: str | None, json_out: str | None) -> None:
        """Summarise what changed between two render outputs, as Markdown for a pull request.

        BASE_DIR and HEAD_DIR are `mailgitops render --out` folders (each with a manifest.json).
        For each template and language: added, removed or changed, the subject before → after, a
        changed From, Reply-To, To or Cc, a text diff of the body, the HTML size change and new
        warnings. Unchanged emails are not listed.
        The output is deterministic: the same two folders give the same bytes.

        \b
        Examples:
          git worktree add ../base origin/main
          mailgitops render --root ../base --out previews/base
          mailgitops render --out previews/head
          mailgitops diff previews/base previews/head --out comment.md
        """
        run(_diff, base_dir, head_dir, out, json_out)

    @group.command("init", context_settings=CONTEXT)
    @click.argument("directory", type=click.Path(file_okay=False))
    @click.option("--force", is_flag=True,
                  help="Write into a non-empty folder, overwriting files of the same name.")
    @click.option("--install", "install", metavar="SPEC", default=None,
                  help="The pip requirement CI and pre-commit install mailgitops with, written to "
                       "requirements.txt (default: mailgitops==<this version>), e.g. "
                       "'mailgitops @ git+https://git.example.com/tools/mailgitops@v0.1.0'.")
    def init_cmd(directory: str, force: bool, install: str | None) -> None:
        """Start a new print room's config repository in DIRECTORY.

        Writes config/ and templates/ (the shipped defaults), schema/ (for editors), the GitHub
        workflows (pull-request previews; bundle on main), .pre-commit-config.yaml,
        requirements.txt (where CI gets mailgitops from; see --install) and a README for admins.
        The result validates, renders and bundles as it is. Refuses a non-empty folder unless --force.

        \b
        Examples:
          mailgitops init printroom-emails
          mailgitops init printroom-emails --install 'mailgitops @ git+https://git.example.com/tools/mailgitops@v0.1.0'
        """
        run(_init, directory, force, install)

    @group.command("schema", context_settings=CONTEXT)
    @root_option
    def schema_cmd(root: str) -> None:
        """Rewrite schema/ from the package's catalog and config/catalog.yaml.

        schema/ is generated, for editors and for the order system's developers: the JSON
        Schemas, the variable and trigger catalogs, and the event schema with your own fields.
        mailgitops never reads it; `validate` reports a file there that differs from what this
        command writes. Exit 1 (nothing written) when config/catalog.yaml has problems.

        \b
        Examples:
          mailgitops schema          # after editing config/catalog.yaml or upgrading mailgitops
        """
        run(_schema, root)
