"""`mailgitops --help` promises that each command has its own --help with examples: every command
and subcommand, groups included, found by walking the CLI (a command added later is covered too),
shows an `Examples:` section with a line that runs that very command, using only its real options."""

from __future__ import annotations

import shlex

import click
import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli


def walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group, info_name=" ".join(("mailgitops", *path)))
    found: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append((*path, name))
        if isinstance(command, click.Group):
            found.extend(walk(command, (*path, name)))
    return found


COMMANDS = walk(cli)


def resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(click.Context(command), name)
        assert sub is not None, path
        command = sub
    return command


def examples(help_text: str) -> list[str]:
    """The lines of the `Examples:` section: indented under it, up to the next unindented line."""
    _, marker, rest = help_text.partition("Examples:\n")
    assert marker, "no `Examples:` section"
    lines = []
    for line in rest.splitlines():
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line.strip())
    return [line for line in lines if line]


def words(example: str) -> list[str]:
    """The words of an example's first command, as the shell splits them: up to a pipe, `&&` or
    `;`, without the comment."""
    lexer = shlex.shlex(example, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[str] = []
    for word in lexer:
        if word in {"|", "||", "&&", ";", "&"}:
            break
        found.append(word)
    return found


def option_names(example: str, path: tuple[str, ...]) -> list[str]:
    """The --options an example line gives its command."""
    given = words(example)
    assert given[: 1 + len(path)] == ["mailgitops", *path], example
    return [w.partition("=")[0] for w in given[1 + len(path):] if w.startswith("--")]


def test_the_walk_reaches_nested_commands() -> None:
    """The walk itself is what the other tests stand on: it must see the subcommands of groups."""
    groups = [path for path in COMMANDS if isinstance(resolve(path), click.Group)]
    assert groups, COMMANDS
    for group in groups:
        assert any(len(path) > len(group) and path[: len(group)] == group for path in COMMANDS), group


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_help_has_an_example_of_itself(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    runnable = [line for line in examples(result.output)
                if line.startswith(f"mailgitops {' '.join(path)}")]
    assert runnable, f"`mailgitops {' '.join(path)} --help` has no example that runs it:\n{result.output}"
    for line in runnable:
        command = resolve(path)
        if isinstance(command, click.Group):  # an example of a group runs one of its commands
            given = words(line)
            sub = given[1 + len(path)] if len(given) > 1 + len(path) else None
            assert sub in command.commands, f"{line!r}: {sub!r} is no command of the group"
            sub_path = (*path, sub)
            command = resolve(sub_path)
        else:
            sub_path = path
        known = {name for param in command.params for name in param.opts + param.secondary_opts}
        unknown = [name for name in option_names(line, sub_path) if name not in known]
        assert not unknown, f"{line!r} gives options the command does not have: {unknown}"
