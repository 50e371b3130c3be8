"""serve on a PostgreSQL outbox whose login is refused: at the start it stops with the reason
(exit 1, a setting to fix); once running (the password changed under it) an event is answered 503
and accepted once the login works again, never 4xx, which the order system would drop."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from starlette.testclient import TestClient

from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.serve.app import build_app
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.pgcluster import PASSWORD_ROLE, PgCluster
from support.smtpd import free_port

TOKEN = secrets.token_hex(16)  # 32 characters, the least allowed; made at each run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=free_port()))


@pytest.fixture
def url(pg_cluster: PgCluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")  # no password from this machine's files
    yield pg_cluster.new_database(owner=PASSWORD_ROLE)
    _set_password(pg_cluster, pg_cluster.password)  # other tests of this run log in with it


def _set_password(cluster: PgCluster, password: str) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(PASSWORD_ROLE),
                                                                 sql.Literal(password)))


def _connections(cluster: PgCluster, url: str, allowed: bool) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.SQL("true" if allowed else "false")))


def test_a_refused_login_stops_the_start(bundle: Path, url: str, pg_cluster: PgCluster,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "not-" + pg_cluster.password)
    with pytest.raises(MailgitopsError) as got:
        Service(bundle, outbox=url, attachments_root=SAMPLES / "files", token=TOKEN)
    assert got.value.exit_code == ExitCode.PROBLEMS
    assert "password authentication failed" in str(got.value)
    assert "PGPASSWORD" in str(got.value)
    assert pg_cluster.password not in str(got.value)


def test_a_login_refused_after_the_start_is_503_then_accepted(bundle: Path, url: str, pg_cluster: PgCluster,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    _connections(pg_cluster, url, allowed=False)  # the database is down for maintenance at the start
    svc = Service(bundle, outbox=url, attachments_root=SAMPLES / "files", token=TOKEN)
    try:
        _set_password(pg_cluster, "rotated-" + pg_cluster.password)  # ... and comes back with a new one
        _connections(pg_cluster, url, allowed=True)
        event = sample_event("flyers", trigger="order_received", event_id="rotated")
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with TestClient(build_app(svc), base_url="http://127.0.0.1") as client:
            refused = client.post("/events", json=event, headers=auth)
            assert refused.status_code == 503
            assert "password authentication failed" in refused.json()["error"]
            assert refused.headers["Retry-After"]
            monkeypatch.setenv("PGPASSWORD", "rotated-" + pg_cluster.password)  # the operator's fix
            accepted = client.post("/events", json=event, headers=auth)
            assert accepted.status_code == 202
            assert [m["status"] for m in accepted.json()["messages"]] == ["queued"]
    finally:
        svc.close()
