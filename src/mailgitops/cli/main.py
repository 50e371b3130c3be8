"""The `mailgitops` click group; each command family lives in its own module."""

from __future__ import annotations

from typing import ClassVar

import click

from mailgitops import __version__
from mailgitops.cli.runner import run

__all__ = ["CONTEXT", "cli", "main", "root_option", "run"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=str), default=".", show_default=True,
    help="The config repository (the folder holding config/ and templates/).",
)


FAMILIES = ("validate", "render", "bundle", "dispatch", "outbox", "smtp", "gitops", "serve",
            "translations", "plan", "bounces", "operators")
# Commands whose family is known load only that module: the dispatcher's cold start must not
# pay for the validator (jsonschema, yaml) or the renderer's build step (mjml).
FAST_FAMILY = {"dispatch": "dispatch", "drafts": "dispatch", "outbox": "outbox", "bundle": "bundle",
               "smtp": "smtp", "serve": "serve", "translations": "translations", "plan": "plan",
               "bounces": "bounces", "operators": "operators"}


class LazyGroup(click.Group):
    """Imports a command family's module when one of its commands is asked for."""

    loaded: ClassVar[set[str]] = set()

    def _load(self, families: tuple[str, ...]) -> None:
        import importlib

        for family in families:
            if family not in self.loaded:
                self.loaded.add(family)
                importlib.import_module(f"mailgitops.cli.{family}").register(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load((FAST_FAMILY[cmd_name],) if cmd_name in FAST_FAMILY else FAMILIES)
        if cmd_name not in self.commands:
            self._load(FAMILIES)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load(FAMILIES)
        return super().list_commands(ctx)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mailgitops")
def cli() -> None:
    """A print room's customer emails as code.

    \b
    Typical use:
      mailgitops validate                 check config/ and templates/, all problems at once
      mailgitops render --out previews    every email as .html/.txt/.eml plus previews/index.html
      mailgitops bundle --out bundle.json what the dispatcher runs
      MAILGITOPS_DELIVERY=production mailgitops dispatch --bundle bundle.json --event event.json

    Each command has its own --help with examples; the guides are in the docs/ folder of
    mailgitops' source (docs/admin-guide.md for config changes, docs/dispatcher.md for the order
    system's developers).

    Exit codes: 0 success, 1 problems in the input (all reported) or a permanent failure, 2 wrong
    usage (also: no delivery mode set), 3 a bug in mailgitops, 75 temporary: try again later (the
    outbox could not be written, the SMTP server is down for now, messages still wait), 130
    interrupted.
    """


def main() -> None:
    cli(prog_name="mailgitops")
