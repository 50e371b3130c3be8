"""What a newcomer trips over on the command line: settings kept across a change, help that teaches."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli
from support.dispatchrepo import cli as mailgitops
from support.dispatchrepo import make_repo
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


def test_send_test_to_a_server_that_is_down_is_try_again_later(tmp_path: Path) -> None:
    """Nothing listens on the port: exit 75, as `outbox flush` and `smtp check` say for it, and the
    message names the test email (it said `smtp check failed`), where it failed and the fix."""
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = make_repo(tmp_path / "repo", port=port)
    proc = mailgitops("smtp", "send-test", "--root", str(repo), "--to", "me@example.org")
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.startswith("error: the test email was not sent (at connect): ")
    assert "smtp check" not in proc.stderr and "hint: check server.host and server.port" in proc.stderr


def test_send_test_without_the_password_names_where_it_goes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=1, auth={"mode": "custom", "username": "printroom",
                                                      "password_env": "MG_NEWCOMER_UNSET_PASSWORD"})
    env = {k: v for k, v in os.environ.items() if k != "MG_NEWCOMER_UNSET_PASSWORD"}
    proc = mailgitops("smtp", "send-test", "--root", str(repo), "--to", "me@example.org", env=env)
    assert proc.returncode == 1, proc.stderr
    assert "not sent: auth.password_env names MG_NEWCOMER_UNSET_PASSWORD" in proc.stderr
    assert "(at connect)" not in proc.stderr and "hint: give the password" in proc.stderr


def test_smtp_check_without_the_password_says_it_did_not_start(tmp_path: Path) -> None:
    """No connection is tried without the password: the error names no stage it never reached."""
    repo = make_repo(tmp_path / "repo", port=1, auth={"mode": "custom", "username": "printroom",
                                                      "password_env": "MG_NEWCOMER_UNSET_PASSWORD"})
    env = {k: v for k, v in os.environ.items() if k != "MG_NEWCOMER_UNSET_PASSWORD"}
    proc = mailgitops("smtp", "check", "--root", str(repo), env=env)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    said = ("error: smtp check did not start: auth.password_env names MG_NEWCOMER_UNSET_PASSWORD, "
            "but that environment variable is not set")
    assert errors[0].startswith(said), proc.stderr
    assert "failed at connect" not in proc.stderr and "the server was not contacted" in proc.stderr


@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "previews"],
                                     ["bundle", "--out", "b.json"], ["schema"]],
                         ids=["validate", "render", "bundle", "schema"])
def test_a_folder_that_is_no_repository_is_one_usage_error(command: list[str], tmp_path: Path) -> None:
    """Run from the wrong folder (a home folder, the parent of the clone): one error saying where it
    looked and how to point it elsewhere, not one `missing-file` per config file, and nothing written
    (schema wrote schema/ into it and said it was current)."""
    (tmp_path / "notes.txt").write_text("not a repository\n", encoding="utf-8")
    code, out, err = run(*command, cwd=tmp_path)
    assert code == 2, out + err
    assert err == (f"error: {tmp_path.resolve()} is not a config repository (it has no config/ and no "
                   "templates/ folder)\n  hint: run mailgitops in the repository's folder, or pass "
                   "--root DIR; `mailgitops init DIR` starts a new one\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_bundle_that_cannot_be_written_is_the_users_to_fix(tmp_path: Path) -> None:
    """--out under a file (a typo, a path from another machine): an error naming the path, not
    exit 3 'a bug in mailgitops'."""
    repo = make_repo(tmp_path / "repo", port=25)
    (tmp_path / "taken").write_text("a file, not a folder\\n", encoding="utf-8")
    code, out, err = run("bundle", "--root", str(repo), "--out", str(tmp_path / "taken" / "b.json"),
                         cwd=tmp_path)
    assert code == 2, out + err
    assert err.startswith(f"error: --out {tmp_path / 'taken' / 'b.json'}: cannot write the bundle (")
    assert "bug" not in err and "Traceback" not in err


PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [
    ["translations", "export", "--root", str(PROJECT), "--lang", "de", "--out", "{taken}/de.xlf"],
    ["plan", "--bundle", str(PROJECT / "bundle" / "mailgitops.bundle.json"), "--event",
     str(PROJECT / "config" / "samples" / "flyers.yaml"), "--out", "{taken}/plan"],
], ids=["translations export", "plan"])
def test_an_out_path_that_cannot_be_written_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder\\n", encoding="utf-8")
    argv = [a.replace("{taken}", str(tmp_path / "taken")) for a in command]
    code, out, err = run(*argv, cwd=tmp_path)
    assert code == 2, out + err
    assert err.startswith(f"error: --out {tmp_path / 'taken'}/") and "cannot write" in err
    assert "bug" not in err


@pytest.mark.parametrize("body", [None, b"\xff\xfe not UTF-8"], ids=["missing", "not-utf8"])
def test_a_draft_body_file_that_cannot_be_read_is_named(body: bytes | None, tmp_path: Path) -> None:
    """The operator's --body file is missing or not text: their mistake, named (it exited 3)."""
    if body is not None:
        (tmp_path / "body.md").write_bytes(body)
    code, out, err = run("drafts", "edit", "1", "--body", "body.md", "--bundle",
                         str(PROJECT / "bundle" / "mailgitops.bundle.json"), "--outbox",
                         str(tmp_path / "outbox.sqlite"), cwd=tmp_path)
    assert code == 2, out + err
    assert err.startswith("error: --body body.md: cannot read the new body (") and "bug" not in err


def test_schema_never_writes_a_catalog_of_its_own_through_a_link(tmp_path: Path) -> None:
    """mailgitops' own checkout links schema/ to the package's built-in catalogs; an admin following
    the guide there (config/catalog.yaml, then `mailgitops schema`) rewrote the package's files, and
    validate then called their own values built-in."""
    repo = make_repo(tmp_path / "repo", port=25)
    builtin = tmp_path / "package-schemas"
    builtin.mkdir()
    (builtin / "variables.yaml").write_text("built-in\n", encoding="utf-8")
    (repo / "schema").symlink_to(builtin)
    (repo / "config" / "catalog.yaml").write_text(
        "variables:\n  project.code:\n    type: string\n    description: The project code.\n"
        "    example: PRJ-42\n", encoding="utf-8")
    code, out, err = run("schema", "--root", str(repo), cwd=tmp_path)
    assert code == 1, out + err
    assert "mailgitops' own built-in catalogs" in err and "nothing was written" in err
    assert sorted(p.name for p in builtin.iterdir()) == ["variables.yaml"]
    assert (builtin / "variables.yaml").read_text(encoding="utf-8") == "built-in\n"
    # a copied link that leads nowhere: said so, not "File exists"
    (repo / "schema").unlink()
    (repo / "schema").symlink_to(tmp_path / "gone")
    code, out, err = run("schema", "--root", str(repo), cwd=tmp_path)
    assert code == 1 and "which is no folder" in err and "File exists" not in err, err
