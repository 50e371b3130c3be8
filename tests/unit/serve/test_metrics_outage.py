"""/metrics while the outbox cannot be read (PostgreSQL stopped, a SQLite folder not mounted): the
figures read from the outbox are left out rather than reported as 0, so an alert on the backlog or
on paused sending does not read "nothing waits" when nobody knows; and the outbox is asked once per
scrape (each try waits up to 15 s for PostgreSQL: two tries took 30 s, past Prometheus's default
10 s scrape timeout, so the scrape failed and mailgitops_outbox_available 0 was never seen)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mailgitops.serve.app import build_app
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo
from support.smtpd import free_port

TOKEN = secrets.token_hex(16)

UNKNOWN = ("mailgitops_outbox_messages", "mailgitops_recipients",
           "mailgitops_ambiguous_redeliveries_total", "mailgitops_sending_paused",
           "mailgitops_backlog_messages", "mailgitops_backlog_oldest_age_seconds")


def test_figures_from_an_outbox_that_cannot_be_read_are_left_out_not_zero(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=free_port()))
    svc = Service(bundle, outbox=str(tmp_path / "not-mounted" / "o.sqlite"),
                  attachments_root=SAMPLES / "files", token=TOKEN)
    asked = 0
    real = svc.dispatcher

    def counting() -> object:
        nonlocal asked
        asked += 1
        return real()

    monkeypatch.setattr(svc, "dispatcher", counting)
    with TestClient(build_app(svc), base_url="http://127.0.0.1") as client:
        got = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert got.status_code == 200
    lines = got.text.splitlines()
    samples = [line for line in lines if not line.startswith("#")]
    assert "mailgitops_outbox_available 0" in samples
    assert [s for s in samples if s.startswith(UNKNOWN)] == []
    for kept in ("mailgitops_events_accepted_total 0", "mailgitops_backlog_limit 5000",
                 f'mailgitops_bundle_info{{hash="{svc.bundle.hash}"}} 1'):
        assert kept in samples
    assert asked == 1
