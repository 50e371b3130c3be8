"""The `mailgitops` click group; each command family lives in its own module."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from mailgitops import __version__
from mailgitops.errors import ExitCode, MailgitopsError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def run(fn: Callable[..., int], *args: Any, **kwargs: Any) -> None:
    """Call a plain command function and turn its result or error into the exit code.

    The one place where exceptions become exit codes: user errors print their message,
    bugs print one line asking for a report (the traceback only with MAILGITOPS_DEBUG=1)."""
    try:
        code = fn(*args, **kwargs)
    except MailgitopsError as e:
        click.echo(f"error: {e}", err=True)
        for d in e.diagnostics:
            click.echo(f"  {d.file}:{d.line}:{d.col}: {d.full_message()} [{d.code}]", err=True)
        code = int(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = int(ExitCode.INTERRUPTED)
    except click.exceptions.Exit:
        raise
    except Exception as e:
        if os.environ.get("MAILGITOPS_DEBUG"):
            traceback.print_exc()
        click.echo(f"unexpected error: {type(e).__name__}: {e}\n"
                   "This is a bug in mailgitops; rerun with MAILGITOPS_DEBUG=1 for details.",
                   err=True)
        code = int(ExitCode.UNEXPECTED)
    sys.exit(code)


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=str), default=".", show_default=True,
    help="The config repository (the folder holding config/ and templates/).",
)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mailgitops")
def cli() -> None:
    """A print room's customer emails as code.

    \b
    Typical use:
      mailgitops validate                 check config/ and templates/, all problems at once
      mailgitops render --out previews    every email as .html/.txt/.eml plus previews/index.html
      mailgitops bundle --out bundle.json what the dispatcher runs
      mailgitops dispatch --bundle bundle.json --event event.json

    Exit codes: 0 success, 1 problems in the input (all reported), 2 wrong usage.
    """


def _register() -> None:
    from mailgitops.cli import bundle, dispatch, gitops, render, smtp, validate

    for module in (validate, render, bundle, dispatch, smtp, gitops):
        module.register(cli)


_register()


def main() -> None:
    cli(prog_name="mailgitops")
