"""`mailgitops operators add|remove|list`: the password from standard input, stored hashed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from mailgitops.console.accounts import Accounts
from support.incli import run_in_process

CLI = [sys.executable, "-m", "mailgitops"]


def run(*args: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAILGITOPS_OPERATORS"}
    return run_in_process(list(args), cwd=cwd, env=env, stdin=stdin)


def test_add_list_remove(tmp_path: Path) -> None:
    added = run("operators", "add", "ada", "--language", "de", "--outbox", str(tmp_path / "ob.sqlite"),
                stdin="a long enough passphrase\n", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    store = tmp_path / "mailgitops-operators.sqlite"  # next to the outbox
    assert store.exists()
    assert oct(store.stat().st_mode)[-3:] == "600"
    (hashed,) = sqlite3.connect(store).execute("SELECT hash FROM operators").fetchone()
    assert hashed.startswith("$argon2id$")
    assert "passphrase" not in hashed
    accounts = Accounts(store)
    assert accounts.verify("ada", "a long enough passphrase", ["t"]) is not None
    assert accounts.verify("ada", "a long enough passphrase\n", ["t"]) is None
    accounts.close()
    listed = run("operators", "list", "--operators", str(store), cwd=tmp_path)
    assert listed.stdout.strip() == "ada\tde"
    again = run("operators", "add", "ada", "--operators", str(store), stdin="another passphrase\n",
                cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "--replace" in again.stderr
    removed = run("operators", "remove", "ada", "--operators", str(store), cwd=tmp_path)
    assert removed.returncode == 0
    missing = run("operators", "remove", "ada", "--operators", str(store), cwd=tmp_path)
    assert missing.returncode == 1
    assert "no operator 'ada'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_short_password_and_bad_name_are_refused(tmp_path: Path) -> None:
    short = run("operators", "add", "ada", "--operators", str(tmp_path / "o.sqlite"), stdin="short\n",
                cwd=tmp_path)
    assert short.returncode == 1
    assert "10 to 1024 characters" in short.stderr
    bad = run("operators", "add", "../x", "--operators", str(tmp_path / "o.sqlite"),
              stdin="a long enough passphrase\n", cwd=tmp_path)
    assert bad.returncode == 1
    assert "not a usable operator name" in bad.stderr


def test_a_mistyped_outbox_folder_is_named_and_no_folder_is_made(tmp_path: Path) -> None:
    """The operators file goes next to the outbox: a mistyped outbox path made its folder (serve
    with MAILGITOPS_OUTBOX=/nonexistent/x.sqlite created /nonexistent/), and a folder it could not
    make was answered with a flag serve does not have."""
    typo = tmp_path / "mial" / "ob.sqlite"
    added = run("operators", "add", "ada", "--outbox", str(typo), stdin="a long enough passphrase\n",
                cwd=tmp_path)
    assert added.returncode == 75, added.stderr
    assert f"the folder {typo.parent} does not exist" in added.stderr
    assert "MAILGITOPS_OPERATORS" in added.stderr
    assert not typo.parent.exists()
    assert "Traceback" not in added.stderr


def test_a_document_given_as_the_operators_file_is_a_usage_error(tmp_path: Path) -> None:
    """Waiting does not turn README.md into the operators file: exit 2 (not 75, retried for ever),
    in the operators file's words, and the document is left as it was."""
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n", encoding="utf-8")
    added = run("operators", "add", "ada", "--operators", str(readme), stdin="a long enough passphrase\n",
                cwd=tmp_path)
    assert added.returncode == 2, added.stderr
    assert f"cannot open the operators file {readme}: that file is not an operators file" in added.stderr
    assert readme.read_text(encoding="utf-8") == "# notes\n"
