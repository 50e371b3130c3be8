"""What a newcomer trips over on the command line: settings kept across a change, help that teaches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli
from support.incli import run_in_process


def run(*args: str, stdin: str = "", cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MAILGITOPS_OPERATORS"}
    proc = run_in_process(list(args), cwd=cwd, env=env, stdin=stdin)
    return proc.returncode, proc.stdout, proc.stderr


def test_a_new_password_keeps_the_operators_console_language(tmp_path: Path) -> None:
    store = str(tmp_path / "ops.sqlite")
    assert run("operators", "add", "ada", "--language", "de", "--operators", store,
               stdin="a long enough passphrase\n", cwd=tmp_path)[0] == 0
    code, _, err = run("operators", "add", "ada", "--replace", "--operators", store,
                       stdin="another long passphrase\n", cwd=tmp_path)
    assert code == 0, err
    assert run("operators", "list", "--operators", store, cwd=tmp_path)[1].split() == ["ada", "de"]
    # asked for, the language still changes; a new operator still starts in English
    run("operators", "add", "ada", "--replace", "--language", "zh", "--operators", store,
        stdin="a third long passphrase\n", cwd=tmp_path)
    run("operators", "add", "bob", "--operators", store, stdin="bob's long passphrase\n", cwd=tmp_path)
    listed = run("operators", "list", "--operators", store, cwd=tmp_path)[1]
    assert listed.split() == ["ada", "zh", "bob", "en"]


# every command a newcomer starts from shows how it is called, in its own --help
EXAMPLED = [("validate",), ("render",), ("restore",), ("bundle",), ("diff",), ("init",), ("schema",),
            ("dispatch",), ("plan",), ("serve",), ("smtp", "check"), ("smtp", "send-test"),
            ("bounces", "ingest"), ("operators", "add"), ("translations",)]


@pytest.mark.parametrize("command", EXAMPLED, ids=[" ".join(c) for c in EXAMPLED])
def test_help_shows_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    examples = [line for line in result.output.splitlines()
                if line.strip().startswith(("mailgitops ", "printf ")) or " mailgitops " in line]
    assert any(f"mailgitops {' '.join(command)}" in line for line in examples), result.output


def test_the_first_help_page_sends_with_a_delivery_mode() -> None:
    """Its dispatch example, copied as it stands, must not be refused for want of a delivery mode."""
    output = CliRunner().invoke(cli, ["--help"]).output
    (line,) = [x for x in output.splitlines() if "mailgitops dispatch" in x]
    assert "MAILGITOPS_DELIVERY=production" in line or "--delivery" in line
