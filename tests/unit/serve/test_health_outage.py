"""/health while PostgreSQL cannot be reached: the answer is "down" within a monitoring probe's
timeout. It waited for the outbox's usual 15 s, so a probe with a 5 s timeout saw no answer at
all (a timeout, not a 503 with the reason) and a service manager restarted a healthy process."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mailgitops.serve.app import build_app
from mailgitops.serve.monitor import PROBE_SECONDS
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo
from support.pgcluster import PgCluster
from support.pgswitch import PgSwitch
from support.smtpd import free_port

TOKEN = secrets.token_hex(16)


@pytest.fixture
def switch(pg_cluster: PgCluster) -> Iterator[PgSwitch]:
    sw = PgSwitch(pg_cluster.port).up()
    yield sw
    sw.down()


def _health(client: TestClient, token: str | None) -> tuple[int, dict[str, object], float]:
    start = time.monotonic()
    got = client.get("/health", headers={"authorization": f"Bearer {token}"} if token else {})
    return got.status_code, json.loads(got.content), time.monotonic() - start


def test_health_says_down_within_seconds_when_postgresql_is_unreachable(
        pg_cluster: PgCluster, switch: PgSwitch, tmp_path: Path) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=free_port()))
    service = Service(bundle, outbox=switch.url(pg_cluster.new_database()),
                      attachments_root=SAMPLES / "files", token=TOKEN, delivery="production")
    try:
        with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
            assert _health(client, TOKEN)[0] == 200
            switch.down()
            status, body, took = _health(client, TOKEN)
            assert status == 503
            assert body["status"] == "outbox-unavailable"
            assert "no connection to the PostgreSQL server" in str(body["reason"])
            assert took < PROBE_SECONDS + 3, f"/health took {took:.1f} s"
            status, body, took = _health(client, None)  # a probe without the token: up or down only
            assert (status, body) == (503, {"status": "down"})
            assert took < PROBE_SECONDS + 3, f"/health took {took:.1f} s"
    finally:
        service.close()
