"""/health and /metrics while the SMTP server cannot be reached: events are still accepted (200),
but the status says so, with the reason and since when. It said "ok" while every connection was
refused, so a monitor stayed green while nothing went out (a new user's walk)."""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from starlette.testclient import TestClient

from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.serve.app import build_app
from mailgitops.serve.loop import SenderPool
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer, free_port

TOKEN = secrets.token_hex(16)


def _until(check: object, seconds: float = 20.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("not within the time")


def test_health_says_the_smtp_server_cannot_be_reached_and_when_it_can_again(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet: the server is down
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    service = Service(bundle, outbox=str(tmp_path / "box.sqlite"), attachments_root=SAMPLES / "files",
                      token=TOKEN, delivery="production", policy=RetryPolicy(backoff_seconds=1))
    pool = SenderPool(service, 2, interval=0.2).start()
    srv: SmtpServer | None = None
    auth = {"authorization": f"Bearer {TOKEN}"}
    try:
        with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
            def health() -> dict[str, object]:
                got = client.get("/health", headers=auth)
                assert got.status_code == 200  # events are still accepted: not a 503
                return dict(json.loads(got.content))

            assert health()["status"] == "ok"
            event = sample_event(trigger="order_received", event_id="down-1")
            service.dispatcher().handle(event, deliver=False)
            service.wake.set()
            _until(lambda: health()["status"] == "smtp-unreachable")
            body = health()
            assert re.match(r"could not reach the SMTP server since 20\S+, the last try at 20\S+: ",
                            str(body["reason"])), body["reason"]
            assert "refused the connection" in str(body["reason"])
            smtp = body["smtp"]
            assert isinstance(smtp, dict) and smtp["reachable"] is False
            assert "refused the connection" in smtp["reason"] and str(smtp["since"]).startswith("20")
            assert smtp["tried"] >= smtp["since"]  # ISO 8601 in UTC: compared as text
            metrics = client.get("/metrics", headers=auth).text
            assert "mailgitops_smtp_reachable 0" in metrics
            assert client.get("/health").json() == {"status": "up"}  # a probe without the token: alive
            srv = SmtpServer(port).start()
            assert len(srv.wait_for(1, timeout=20)) == 1
            _until(lambda: health()["status"] == "ok")
            assert health()["smtp"] == {"reachable": True, "reason": None, "since": None, "tried": None}
            assert "mailgitops_smtp_reachable 1" in client.get("/metrics", headers=auth).text
    finally:
        pool.shutdown(time.monotonic() + 5)
        service.close()
        if srv is not None:
            srv.stop()


def test_a_session_kept_open_that_died_is_no_sign_the_server_is_reachable(tmp_path: Path) -> None:
    """The server restarts, or goes down, while a sender keeps its session open for the next
    message. Restarted: the next message goes at once on a new session, not after a backoff for
    "connection lost". Down: /health says so at once, where the dead session counted as a server
    reached and /health said ok through the outage's first backoff (a developer's walk: a minute)."""
    port = free_port()
    srv = SmtpServer(port).start()
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    service = Service(bundle, outbox=str(tmp_path / "box.sqlite"), attachments_root=SAMPLES / "files",
                      token=TOKEN, delivery="production", policy=RetryPolicy(backoff_seconds=600))
    pool = SenderPool(service, 1, interval=0.2).start()  # one sender: the session is the one kept
    auth = {"authorization": f"Bearer {TOKEN}"}

    def event(name: str) -> None:
        service.dispatcher().handle(sample_event(trigger="order_received", event_id=name), deliver=False)
        service.wake.set()

    try:
        with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
            def health() -> dict[str, object]:
                return dict(json.loads(client.get("/health", headers=auth).content))

            event("kept-1")
            assert len(srv.wait_for(1)) == 1  # sent; the session stays open for the next
            srv.stop()
            srv = SmtpServer(port).start()  # restarted: the kept session is dead, the server is up
            event("kept-2")
            assert [m.message["Subject"] is not None for m in srv.wait_for(1, timeout=10)] == [True]
            assert health()["status"] == "ok"
            srv.stop()  # now down, with the session from kept-2 still open
            event("kept-3")
            _until(lambda: health()["status"] == "smtp-unreachable", seconds=10)  # not after 600 s
            assert "mailgitops_smtp_reachable 0" in client.get("/metrics", headers=auth).text
            waiting = [r for r in service.dispatcher().outbox.rows(limit=10) if r.status == "queued"]
            assert len(waiting) == 1 and "refused the connection" in (waiting[0].last_error or "")
    finally:
        pool.shutdown(time.monotonic() + 5)
        service.close()
        srv.stop()


def test_a_refused_password_is_no_unreachable_server_once_the_pause_is_over(tmp_path: Path) -> None:
    """The server answered and refused the password: sending pauses, which /health says. Once the
    password was rotated and `outbox flush` sent what waited, /health said "smtp-unreachable ...
    rejected the user name or password" and mailgitops_smtp_reachable stayed 0 until serve next
    sent something: on a quiet night an alert that sends on-call to mend a mail server that is
    fine (an operations walk)."""
    from mailgitops.dispatch.api import Dispatcher

    srv = SmtpServer(users={"printroom": "the-new-password"}, auth_require_tls=False).start()
    secret = tmp_path / "smtp-password"
    secret.write_text("the-old-password\n", encoding="utf-8")
    bundle = build_bundle(make_repo(tmp_path / "repo", port=srv.port, auth={
        "mode": "custom", "username": "printroom", "password_file": str(secret)}))
    outbox = str(tmp_path / "box.sqlite")
    service = Service(bundle, outbox=outbox, attachments_root=SAMPLES / "files", token=TOKEN,
                      delivery="production")
    pool = SenderPool(service, 1, interval=0.2).start()
    auth = {"authorization": f"Bearer {TOKEN}"}
    try:
        with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
            def health() -> dict[str, object]:
                return dict(json.loads(client.get("/health", headers=auth).content))

            event = sample_event(trigger="order_received", event_id="pw-1")
            service.dispatcher().handle(event, deliver=False)
            service.wake.set()
            _until(lambda: health()["status"] == "paused")
            assert "password" in str(health()["reason"])
            secret.write_text("the-new-password\n", encoding="utf-8")  # rotated, then a flush sends it
            with Dispatcher.load(bundle, outbox=outbox, delivery="production") as flusher:
                assert flusher.flush().sent == 1
            _until(lambda: health()["status"] != "paused")
            time.sleep(0.6)  # a few of the sender's passes, with nothing due
            body = health()
            assert body["status"] == "ok", body
            assert body["smtp"] == {"reachable": True, "reason": None, "since": None, "tried": None}
            assert "mailgitops_smtp_reachable 1" in client.get("/metrics", headers=auth).text
    finally:
        pool.shutdown(time.monotonic() + 5)
        service.close()
        srv.stop()
