"""The `mailgitops` command lines the documentation shows, and the options each `--help` lists.

What counts as a command line (the convention docs/dev/CONVENTIONS.md states):
- in a fenced block tagged `sh`, `console` or `bash`, a command (after `$ `, `VAR=value`
  assignments, or a `|`, `&&`, `||`, `;` before it) whose program is `mailgitops` or a path
  ending in `/mailgitops`; a line ending in `\\` continues on the next one; `# ...` is a comment;
- an inline code span holding such a command, `mailgitops` followed by a command name;
- in README.md, the first cell of a row of the table under `## Commands`
  (`validate [--strict]`, commands without the `mailgitops` in front, `/` between variants);
- in each command's own `--help`, an example line that starts with `mailgitops `.
Square brackets, `|` inside them, `...` and upper-case placeholders are usage syntax: every
word starting with `-` is an option the command must list.
"""

from __future__ import annotations

import inspect
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from mailgitops.cli.main import cli

SEPARATORS = {"|", "||", "&&", ";", "<", ">", ">>", "&", "(", ")"}
BLOCK_LANGS = {"sh", "console", "bash", "shell"}
OPTION = re.compile(r"^(--?[A-Za-z][\w-]*)")
COMMAND_WORD = re.compile(r"^[a-z][a-z-]*$")


@dataclass(frozen=True, slots=True)
class DocCommand:
    """One command line a reader may copy: where it is, and its words after `mailgitops`."""

    where: str  # "docs/admin-guide.md:37" or "help of `mailgitops render`"
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: mailgitops {' '.join(self.words)}"


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote in an illustrative line: split on spaces instead
        return line.split("#", 1)[0].split()


def _is_program(token: str) -> bool:
    return token == "mailgitops" or token.endswith("/mailgitops")


def commands_in_shell(line: str) -> Iterator[tuple[str, ...]]:
    """Each `mailgitops ...` command of one (joined) shell line, up to the separator ending it."""
    tokens = _tokens(line.strip().removeprefix("$ "))
    start = True
    for i, token in enumerate(tokens):
        if start and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token):
            continue  # VAR=value before the program
        if start and _is_program(token):
            yield tuple(_until_separator(tokens[i + 1:]))
        start = token in SEPARATORS


def _until_separator(tokens: list[str]) -> Iterator[str]:
    depth = 0  # inside [...] a `|` separates alternatives, it is no pipe
    for token in tokens:
        if token in SEPARATORS and depth == 0:
            return
        depth += token.count("[") - token.count("]")
        yield token


def in_markdown(path: Path, name: str) -> Iterator[DocCommand]:
    lines = path.read_text(encoding="utf-8").split("\n")
    fence: str | None = None
    pending, first = "", 0
    in_commands_table = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped[3:].strip().lower()
            continue
        if fence is not None:
            if fence in BLOCK_LANGS:
                pending, first = (pending + " " + stripped, first) if pending else (stripped, number)
                if pending.endswith("\\"):
                    pending = pending[:-1]
                    continue
                for words in commands_in_shell(pending):
                    yield DocCommand(f"{name}:{first}", words)
                pending = ""
            continue
        if line.startswith("## "):
            in_commands_table = name == "README.md" and line.strip() == "## Commands"
        if in_commands_table and line.startswith("| `"):
            cell = line.split(" | ")[0].removeprefix("| ").replace("\\|", "|")
            for variant in cell.split("` / `"):
                yield DocCommand(f"{name}:{number}", tuple(variant.strip("`").split()))
        for span in re.findall(r"`([^`]+)`", line):
            for words in commands_in_shell(span):
                if words and COMMAND_WORD.match(words[0]):
                    yield DocCommand(f"{name}:{number}", words)


def in_help() -> Iterator[DocCommand]:
    """The example lines of every command's own --help."""
    for path, command in walk():
        for line in inspect.cleandoc(command.help or "").split("\n"):
            if line.startswith("  ") and "mailgitops " in line:
                for words in commands_in_shell(line):
                    yield DocCommand(f"help of `{' '.join(['mailgitops', *path])}`", words)


def walk(command: click.Command = cli, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from walk(sub, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    """What `mailgitops PATH --help` prints (run through click, as a reader would see it)."""
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, f"mailgitops {' '.join(path)} --help: {result.output}"
    return result.output


def problems(command: DocCommand, helps: dict[tuple[str, ...], str]) -> list[str]:
    """What is wrong with one documented command: an unknown command or an option it lacks."""
    path: tuple[str, ...] = ()
    rest = list(command.words)
    while rest and (*path, rest[0]) in helps:
        path = (*path, rest.pop(0))
    if not path:
        return [f"{command}: `mailgitops {command.words[0] if command.words else ''}` is no command"]
    if rest and COMMAND_WORD.match(rest[0]) and "Commands:" in helps[path]:
        return [f"{command}: `mailgitops {' '.join(path)}` has no command `{rest[0]}`"]
    listed = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", helps[path].split("Options:", 1)[-1]))
    named = [m.group(1) for word in rest if (m := OPTION.match(word.lstrip("[")))]
    return [f"{command}: `mailgitops {' '.join(path)}` has no option {option} (see its --help)"
            for option in named if option not in listed]
