"""How the PostgreSQL outbox finds its password, through the real CLI: from PGPASSWORD, from a
password file (PGPASSFILE, mode 0600), from a service file (PGSERVICEFILE and
postgresql:///?service=NAME). A wrong or missing password is a clear error naming the server and
the fix, exit 1 (a setting to fix: retrying would never help), and the password shows nowhere:
not in stdout, stderr, the outcome JSON or `outbox list`. A password in the URL stays refused."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from support.dispatchrepo import build_bundle, make_repo, outcome, sample_event, write_event
from support.incli import run_in_process
from support.pgcluster import PASSWORD_ROLE, PgCluster
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("pgpw") / "repo", port=smtp_server.port))


@pytest.fixture
def url(pg_cluster: PgCluster) -> str:
    """A fresh database owned by the role that must give its password, and the URL without it."""
    return pg_cluster.new_database(owner=PASSWORD_ROLE)


def run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real CLI with only the password sources given here: none from this machine's
    environment or ~/.pgpass (HOME is a fresh folder)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return run_in_process(args, cwd=None, env={**base, "HOME": str(home), **env}, stdin=None)


def dispatch_and_list(url: str, bundle: Path, tmp_path: Path, secret: str, **env: str) -> dict[str, Any]:
    shown: list[str] = []
    migrated = run(["outbox", "migrate", "--outbox", url], tmp_path, **env)
    shown += [migrated.stdout, migrated.stderr]
    assert outcome(migrated)["version"] >= 3
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id=f"pw-{tmp_path.name}"))
    sent = run(["dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", url], tmp_path, **env)
    shown += [sent.stdout, sent.stderr]
    got = outcome(sent)
    listed = run(["outbox", "list", "--outbox", url], tmp_path, **env)
    shown += [listed.stdout, listed.stderr]
    assert [m["message_id"] for m in outcome(listed)["messages"]] == [got["messages"][0]["message_id"]]
    assert not any(secret in text for text in shown)
    return got


def test_the_password_from_pgpassword(url: str, bundle: Path, tmp_path: Path, sink: SmtpServer,
                                      pg_cluster: PgCluster) -> None:
    got = dispatch_and_list(url, bundle, tmp_path, pg_cluster.password, PGPASSWORD=pg_cluster.password)
    assert got["messages"][0]["status"] == "sent"
    assert len(sink.wait_for(1)) == 1


def test_the_password_from_a_password_file(url: str, bundle: Path, tmp_path: Path, sink: SmtpServer,
                                           pg_cluster: PgCluster) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_cluster.port}:*:{PASSWORD_ROLE}:{pg_cluster.password}\n")
    passfile.chmod(0o600)
    got = dispatch_and_list(url, bundle, tmp_path, pg_cluster.password, PGPASSFILE=str(passfile))
    assert got["messages"][0]["status"] == "sent"


def test_the_connection_from_a_service_file(url: str, bundle: Path, tmp_path: Path, sink: SmtpServer,
                                            pg_cluster: PgCluster) -> None:
    database = url.rsplit("/", 1)[1]
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[mail]\nhost=127.0.0.1\nport={pg_cluster.port}\nuser={PASSWORD_ROLE}\n"
                        f"dbname={database}\npassword={pg_cluster.password}\n")
    services.chmod(0o600)
    got = dispatch_and_list("postgresql:///?service=mail", bundle, tmp_path, pg_cluster.password,
                            PGSERVICEFILE=str(services))
    assert got["messages"][0]["status"] == "sent"


def _refused(proc: subprocess.CompletedProcess[str], port: int, secret: str) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert secret not in proc.stderr
    assert "refused the outbox's login" in proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr or f"port={port}" in proc.stderr  # which server
    assert "PGPASSWORD" in proc.stderr  # the fix
    assert "PGPASSFILE" in proc.stderr
    return proc.stderr


@pytest.mark.parametrize("how", ["wrong PGPASSWORD", "no password anywhere", "password file too open"])
def test_a_wrong_or_missing_password_is_a_clear_error(how: str, url: str, bundle: Path, tmp_path: Path,
                                                     pg_cluster: PgCluster, sink: SmtpServer) -> None:
    env: Mapping[str, str] = {"PGPASSWORD": "not-" + pg_cluster.password} if how.startswith("wrong") else {}
    if how.startswith("password file"):  # libpq ignores a file others may read, and says so
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"*:*:*:*:{pg_cluster.password}\n")
        passfile.chmod(0o644)
        env = {"PGPASSFILE": str(passfile)}
    migrated = run(["outbox", "migrate", "--outbox", url], tmp_path, **env)
    err = _refused(migrated, pg_cluster.port, pg_cluster.password)
    words = "password authentication failed" if how.startswith("wrong") else "no password supplied"
    assert words in err
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="pw-refused"))
    sent = run(["dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", url], tmp_path, **env)
    assert words in _refused(sent, pg_cluster.port, pg_cluster.password)
    assert sink.messages == []


def test_a_password_in_the_url_stays_refused(url: str, bundle: Path, tmp_path: Path, sink: SmtpServer,
                                             pg_cluster: PgCluster) -> None:
    with_password = url.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{pg_cluster.password}@")
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="pw-in-url"))
    for args in (["outbox", "migrate", "--outbox", with_password],
                 ["dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", with_password]):
        proc = run(args, tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert "carries a password" in proc.stderr
        assert pg_cluster.password not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
    assert sink.messages == []


@pytest.mark.parametrize(("given", "fix"), [
    ("service=mail", "postgresql:///?service=mail"),
    ("host=127.0.0.1 dbname=mail", "postgresql://USER@HOST:PORT/DATABASE"),
])
def test_a_connection_string_is_refused_not_taken_for_a_file(given: str, fix: str, bundle: Path,
                                                              tmp_path: Path) -> None:
    """libpq's keyword form would otherwise become a SQLite file of that name, which nobody reads."""
    event = write_event(tmp_path, sample_event("flyers", event_id="conninfo"))
    for args in (["outbox", "list"], ["dispatch", "--bundle", str(bundle), "--event", str(event)]):
        proc = run_in_process([*args, "--outbox", given], cwd=tmp_path, env=os.environ, stdin=None)
        assert proc.returncode == 1, (args, proc.stderr)
        assert f"the outbox `{given}` is a PostgreSQL connection string" in proc.stderr
        assert f"write it as a URL: {fix}" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conninfo.json"]  # no SQLite file was made
