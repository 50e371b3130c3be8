"""What a newcomer trips over on the command line: settings kept across a change, help that teaches."""

from __future__ import annotations

import os
from pathlib import Path

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
