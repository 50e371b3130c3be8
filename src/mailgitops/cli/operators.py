"""`mailgitops operators add|remove|list`: the console's sign-in accounts (docs/serve.md)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from mailgitops.cli.dispatch import outbox_option
from mailgitops.cli.main import CONTEXT, run

if TYPE_CHECKING:
    from mailgitops.console.accounts import Accounts

operators_option = click.option(
    "--operators", "operators", envvar="MAILGITOPS_OPERATORS", type=click.Path(dir_okay=False),
    help="The file of console accounts (MAILGITOPS_OPERATORS; default: mailgitops-operators.sqlite next "
         "to the outbox). Keep it out of the config repository.")


def _accounts(operators: str | None, outbox: str | None) -> Accounts:
    from mailgitops.console.accounts import Accounts, default_path

    return Accounts(operators or default_path(outbox))


def read_password() -> str:
    """Standard input, one line (a terminal asks twice, without echo)."""
    from mailgitops.errors import MailgitopsError

    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise MailgitopsError("the two passwords differ; nothing was changed")
        return first
    text = sys.stdin.readline()
    return text.rstrip("\r\n")


def add(*, name: str, language: str | None, replace: bool, operators: str | None,
        outbox: str | None) -> int:
    accounts = _accounts(operators, outbox)
    try:
        if language is None:  # a new password is no reason to lose the language they chose
            kept = [op.language for op in accounts.names() if op.name == name] if replace else []
            language = kept[0] if kept else "en"
        accounts.add(name, read_password(), language=language, replace=replace)
        click.echo(f"operator {name} can sign in to the console ({accounts.path})")
    finally:
        accounts.close()
    return 0


def remove(*, name: str, operators: str | None, outbox: str | None) -> int:
    accounts = _accounts(operators, outbox)
    try:
        accounts.remove(name)
        click.echo(f"operator {name} removed; their sessions ended")
    finally:
        accounts.close()
    return 0


def list_(*, operators: str | None, outbox: str | None) -> int:
    accounts = _accounts(operators, outbox)
    try:
        for op in accounts.names():
            click.echo(f"{op.name}\t{op.language}")
    finally:
        accounts.close()
    return 0


def register(group: click.Group) -> None:
    @group.group("operators", context_settings=CONTEXT)
    def operators_group() -> None:
        """Console sign-in accounts, stored hashed (argon2) outside the config repository.

        \b
        Examples:
          export MAILGITOPS_OPERATORS=/var/lib/mailgitops/operators.sqlite
          mailgitops operators add ada --language de < ada-password.txt
          mailgitops operators list
          mailgitops operators remove ada
        """

    @operators_group.command("add", context_settings=CONTEXT)
    @click.argument("name")
    @click.option("--language", type=click.Choice(["en", "de", "zh"]), default=None,
                  help="The console's language for this operator (they can change it after signing in). "
                       "Default: en for a new operator; with --replace, the one they had.")
    @click.option("--replace", is_flag=True,
                  help="Set a new password for an existing operator (signs them out everywhere).")
    @operators_option
    @outbox_option
    def add_cmd(*, name: str, language: str | None, replace: bool, operators: str | None,
                outbox: str | None) -> None:
        """Add operator NAME; the password is read from standard input (at least 10 characters).

        \b
        Examples:
          printf '%s\\n' "$PASSWORD" | mailgitops operators add ada --language de
          mailgitops operators add ada --replace < new-password.txt
        """
        run(add, name=name, language=language, replace=replace, operators=operators, outbox=outbox)

    @operators_group.command("remove", context_settings=CONTEXT)
    @click.argument("name")
    @operators_option
    @outbox_option
    def remove_cmd(*, name: str, operators: str | None, outbox: str | None) -> None:
        """Remove operator NAME and end their sessions.

        \b
        Examples:
          mailgitops operators remove ada --operators /var/lib/mailgitops/operators.sqlite
        """
        run(remove, name=name, operators=operators, outbox=outbox)

    @operators_group.command("list", context_settings=CONTEXT)
    @operators_option
    @outbox_option
    def list_cmd(*, operators: str | None, outbox: str | None) -> None:
        """The operators and their console language, one per line: NAME, a tab, the language.

        \b
        Examples:
          mailgitops operators list --operators /var/lib/mailgitops/operators.sqlite
          mailgitops operators list --outbox /var/lib/mailgitops/outbox.sqlite   # the file next to it
        """
        run(list_, operators=operators, outbox=outbox)
