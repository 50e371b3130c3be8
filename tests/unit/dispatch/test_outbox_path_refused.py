"""An --outbox that names something no retry turns into an outbox (a document such as README.md, a
folder, a file where the folder should be, a malformed PostgreSQL URL) is a mistake to fix: every
command that takes --outbox stops with exit 2 (1 for the URL), naming the path and the fix, and
leaves the file as it was. What may heal while the order system retries (a folder not there yet,
a PostgreSQL that is down) stays 75."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli
from support.pgcluster import PgCluster
from support.smtpd import free_port

PROJECT = Path(__file__).resolve().parents[3]
BUNDLE = str(PROJECT / "bundle" / "mailgitops.bundle.json")

# every command that opens the outbox, with what it needs besides --outbox
COMMANDS = {
    "dispatch": ["dispatch", "--bundle", BUNDLE, "--event", "-"],
    "outbox flush": ["outbox", "flush", "--bundle", BUNDLE],
    "outbox list": ["outbox", "list"],
    "outbox retry": ["outbox", "retry", "1"],
    "outbox resume": ["outbox", "resume"],
    "outbox migrate": ["outbox", "migrate"],
    "outbox prune": ["outbox", "prune", "--older-than", "30d"],
    "outbox forget": ["outbox", "forget", "--older-than", "30d"],
    "drafts list": ["drafts", "list"],
    "drafts discard": ["drafts", "discard", "1"],
    "serve": ["serve", "--bundle", BUNDLE, "--port", "0"],
}
EVENT = '{"event_id": "e-1", "trigger": "order_received", "occurred_at": "2026-11-27T10:00:00Z"}'


def run(args: list[str], outbox: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("MAILGITOPS_DELIVERY", "redirect:qa@druckhaus-nord.de")
    monkeypatch.setenv("MAILGITOPS_API_TOKEN", "t" * 40)
    monkeypatch.delenv("MAILGITOPS_OUTBOX", raising=False)
    result = CliRunner().invoke(cli, [*args, "--outbox", outbox], input=EVENT)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_document_given_as_the_outbox_is_a_usage_error(command: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n", encoding="utf-8")
    code, said = run(COMMANDS[command], str(readme), monkeypatch)
    assert code == 2, said  # not 75: the order system would send the event again for ever
    assert f"cannot open the outbox {readme}: that file is not an outbox" in said
    assert "pass --outbox (or MAILGITOPS_OUTBOX) the outbox file that dispatch and serve use" in said
    assert readme.read_text(encoding="utf-8") == "# notes\n"


@pytest.mark.parametrize("command", ["dispatch", "outbox flush", "serve"])
def test_a_folder_or_a_path_through_a_file_is_a_usage_error(command: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, said = run(COMMANDS[command], str(tmp_path), monkeypatch)
    assert (code, f"cannot open the outbox {tmp_path}: that is a folder" in said) == (2, True), said
    (tmp_path / "notes").write_text("x", encoding="utf-8")
    code, said = run(COMMANDS[command], str(tmp_path / "notes" / "o.sqlite"), monkeypatch)
    assert (code, f"{tmp_path / 'notes'} is a file, not a folder" in said) == (2, True), said


@pytest.mark.parametrize("command", ["dispatch", "outbox flush"])
def test_a_folder_not_there_yet_stays_try_again_later(command: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # a volume not mounted yet: the event is kept by the order system and sent again
    code, said = run(COMMANDS[command], str(tmp_path / "not-mounted" / "o.sqlite"), monkeypatch)
    assert code == 75, said


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql://[db/outbox", "is not a PostgreSQL connection URL: end of string reached"),
    ("postgresql://mail@127.0.0.1/outbox?nosuch=1", 'invalid URI query parameter: "nosuch"'),
    ("postgresql://mail@127.0.0.1:99999/outbox", "names the port `99999`, which is no port number"),
    ("postgresql://mail@127.0.0.1:pg/outbox", "names the port `pg`, which is no port number"),
    ("postgresql://mail@127.0.0.1:1/outbox?sslmode=bogus", 'libpq refuses: invalid sslmode value: "bogus"'),
    # a SQLite file in a folder `postgresql` that is not there: retried for ever
    ("postgresql//mail@db/outbox", "looks like a mistyped PostgreSQL URL"),
    ("postgres:/db/outbox", "looks like a mistyped PostgreSQL URL"),
])
@pytest.mark.parametrize("command", ["dispatch", "outbox list", "serve"])
def test_a_malformed_postgresql_url_is_bad_input(command: str, url: str, said: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(COMMANDS[command], url, monkeypatch)
    assert code == 1, output
    assert said in output
    assert "postgresql://USER@HOST:PORT/DATABASE" in output


def test_a_postgresql_that_does_not_answer_stays_try_again_later(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run(COMMANDS["dispatch"], f"postgresql://mail@127.0.0.1:{free_port()}/outbox", monkeypatch)
    assert code == 75, output
    assert "Connection refused" in output


@pytest.mark.parametrize("what", ["database", "role"])
def test_a_database_or_user_the_server_lacks_is_bad_input(what: str, pg_cluster: PgCluster,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL naming a database (or user) that PostgreSQL does not have: no retry creates it."""
    url = pg_cluster.url(database="no_such_db") if what == "database" else pg_cluster.url(user="no_such_user")
    code, output = run(COMMANDS["dispatch"], url, monkeypatch)
    assert code == 1, output
    assert f'names a {what} the server does not have: {what} "no_such_' in output


@pytest.mark.parametrize("location", ["host=127.0.0.1 password=Hunter2 dbname=mail",
                                      "host=db password='Hunter2 x' user=u", "postgresql//u:Hunter2@db/x",
                                      "postgres:/u:Hunter2@db/x"])
@pytest.mark.parametrize("command", ["dispatch", "outbox list", "serve"])
def test_a_refused_location_never_repeats_its_password(command: str, location: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyword form was quoted whole in the refusal, password and all, into the journal (a
    security review); docs/security.md says a password is never shown."""
    code, output = run(COMMANDS[command], location, monkeypatch)
    assert code == 1, output
    assert "Hunter2" not in output and "***" in output, output
