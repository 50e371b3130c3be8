"""`mailgitops serve` through real HTTP (urllib) on 127.0.0.1, with a real aiosmtpd sink: the token,
202-then-delivered, idempotency, refusals, drafts, health, metrics, an unwritable outbox, SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.serve.server import Server
from mailgitops.serve.service import Service
from support.childlog import ChildLog
from support.dispatchrepo import ROOT, SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer

FILES = SAMPLES / "files"
TOKEN = "test-token-" + "x" * 22  # 32 bytes: the shortest serve accepts
AUTH = {"Authorization": f"Bearer {TOKEN}"}



@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=smtp_server.port))



# no proxy from the environment (HTTP_PROXY): requests go straight to 127.0.0.1, never elsewhere
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Api:
    def __init__(self, base: str) -> None:
        assert base.startswith("http://127.0.0.1:")
        self.base = base

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             raw: bytes | None = None, auth: bool = True) -> tuple[int, Message, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        json_header = {"Content-Type": "application/json"} if data is not None else {}
        hdrs = {**(AUTH if auth else {}), **json_header, **(headers or {})}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with _OPENER.open(req, timeout=30) as resp:
                status, rh, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, rh, text = e.code, e.headers, e.read().decode()
        ctype = rh.get("Content-Type", "")
        return status, rh, json.loads(text) if ctype.startswith("application/json") else text


@pytest.fixture
def served(bundle: Path, outbox_location: str) -> Iterator[tuple[Api, Server]]:
    """`serve` on each outbox backend (a SQLite file, a PostgreSQL database)."""
    service = Service(bundle, outbox=outbox_location, attachments_root=FILES, token=TOKEN,
                      policy=RetryPolicy(backoff_seconds=0.01))
    server = Server(service, "127.0.0.1", 0, interval=0.05).start()
    yield Api(f"http://127.0.0.1:{server.port}"), server
    server.stop()


@pytest.fixture
def api(served: tuple[Api, Server]) -> Api:
    return served[0]


def event(trigger: str, event_id: str, **changes: Any) -> dict[str, Any]:
    return sample_event("flyers", trigger=trigger, event_id=event_id, **changes)


def settle(server: Server) -> None:
    """A server-side synchronisation point: a whole pass of the sender loop that began after this
    call has ended, so a second copy it would wrongly send has been sent (and would be counted)."""
    assert server.pool.wait_for_a_full_pass(timeout=20), "the sender loop did not finish a pass in 20 s"


def test_requests_without_the_right_token_are_refused(served: tuple[Api, Server], sink: SmtpServer) -> None:
    api, server = served
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        status, rh, body = api.call("POST", "/events", event("order_received", "no-token"), auth=False,
                                    headers=headers)
        assert status == 401
        assert "token" in body["error"]
        assert rh["WWW-Authenticate"].startswith("Bearer")
    assert api.call("GET", "/drafts", auth=False)[0] == 401
    assert api.call("GET", "/metrics", auth=False)[0] == 401
    assert api.call("GET", "/health", auth=False)[0] == 200
    settle(server)
    assert sink.messages == []
    assert api.call("GET", "/outbox")[2]["messages"] == []


def test_accepted_event_is_then_delivered(api: Api, sink: SmtpServer) -> None:
    status, _, got = api.call("POST", "/events", event("order_received", "accept-1"))
    assert status == 202
    assert got["duplicate"] is False
    [m] = got["messages"]
    # accepted on disk; the sender (woken at once by NOTIFY on PostgreSQL) may already have sent it
    assert m["status"] in ("queued", "sent")
    assert m["to"] == ["ada@example.org"]
    [received] = sink.wait_for(1)
    assert received.message_id == m["message_id"]
    # the server has it once it answered 250; the sender records "sent" just after: the outbox
    # is read until it shows it (over HTTP there is nothing to wait on)
    deadline = time.monotonic() + 10
    while (not (outbox := api.call("GET", "/outbox?status=sent")[2])["messages"]
           and time.monotonic() < deadline):
        time.sleep(0.02)
    assert [r["message_id"] for r in outbox["messages"]] == [m["message_id"]]


def test_an_internationalised_address_is_accepted_and_sent_with_smtputf8(api: Api, sink: SmtpServer) -> None:
    """zoë@example.com is one address: the event is accepted (202) and the message goes to a
    server that offers SMTPUTF8 with her address as written, in the envelope and in To."""
    status, _, got = api.call("POST", "/events", event("order_received", "intl-http-1",
                                                       customer={**event("order_received", "x")["customer"],
                                                                 "email": "zoë@example.com"}))
    assert status == 202, got
    [m] = got["messages"]
    assert m["to"] == ["zoë@example.com"]
    [received] = sink.wait_for(1)
    assert received.rcpts == ["zoë@example.com", "archive@example.com"]  # the archive CC too
    head = received.data.split(b"\r\n\r\n", 1)[0].decode("utf-8")  # UTF-8 headers (RFC 6532)
    assert "zoë@example.com" in next(line for line in head.splitlines() if line.startswith("To:"))


def test_the_same_event_five_times_sends_one_email(served: tuple[Api, Server], sink: SmtpServer) -> None:
    api, server = served
    ev = event("order_received", "five-times")
    answers: list[tuple[int, Any]] = []
    threads = [threading.Thread(target=lambda: answers.append(api.call("POST", "/events", ev)[::2]))
               for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in answers) == [200, 200, 200, 200, 202]
    assert [b["duplicate"] for s, b in answers if s == 200] == [True] * 4
    assert len({b["messages"][0]["message_id"] for _, b in answers}) == 1
    sink.wait_for(1)
    settle(server)
    assert len(sink.messages) == 1


def test_bad_event_names_every_problem_and_queues_nothing(api: Api, sink: SmtpServer) -> None:
    ev = event("order_recieved", "bad-1", customer={"name": "Ada", "email": "not an address"})
    del ev["order"]
    status, _, body = api.call("POST", "/events", ev)
    assert status == 422
    assert "refused" in body["error"]
    text = " ".join(p["message"] + " " + (p["hint"] or "") for p in body["problems"])
    assert "order" in text
    assert "email" in text
    assert "order_recieved" in text
    assert "order_received" in text
    assert {p["code"] for p in body["problems"]} >= {"bad-event"}
    assert all(p["file"] == "event" for p in body["problems"])
    outbox = api.call("GET", "/outbox")[2]
    assert outbox["messages"] == []
    assert sink.messages == []


def test_a_refused_events_problems_are_placed_at_their_lines_of_the_body(api: Api) -> None:
    """As `mailgitops dispatch` places them in a file: the order system's developer finds the
    field in the JSON they sent (line 0 and column 0 said nothing)."""
    ev = event("order_received", "lines-1")
    ev["customer"] = {**ev["customer"], "language": "german!"}
    raw = json.dumps(ev, indent=2).encode()
    lines = raw.decode().splitlines()
    expected = next(i for i, line in enumerate(lines, 1) if '"german!"' in line)
    status, _, body = api.call("POST", "/events", raw=raw)
    assert status == 422
    [problem] = [p for p in body["problems"] if p["json_path"] == "$.customer.language"]
    assert problem["line"] == expected
    assert problem["col"] == lines[expected - 1].index('"german!"') + 1


def test_same_event_id_with_other_content_is_a_conflict(served: tuple[Api, Server], sink: SmtpServer) -> None:
    api, server = served
    assert api.call("POST", "/events", event("order_received", "conflict-1"))[0] == 202
    changed = event("order_received", "conflict-1", occurred_at="2026-11-28T09:00:00Z")
    status, _, body = api.call("POST", "/events", changed)
    assert status == 409
    assert "different content" in body["error"]
    sink.wait_for(1)
    settle(server)
    assert len(sink.messages) == 1


def test_draft_edit_then_send_twice_sends_once(served: tuple[Api, Server], sink: SmtpServer) -> None:
    api, server = served
    status, _, got = api.call("POST", "/events", event("quotation", "draft-1"))
    assert status == 202
    assert got["messages"][0]["status"] == "draft"
    draft_id = got["messages"][0]["draft_id"]
    assert [d["id"] for d in api.call("GET", "/drafts")[2]] == [draft_id]
    assert "markdown" in api.call("GET", f"/drafts/{draft_id}")[2]
    status, _, edited = api.call("POST", f"/drafts/{draft_id}",
                                 {"subject": "Your quote, revised", "body": "Hello, **new** price."})
    assert status == 200
    assert edited["subject"] == "Your quote, revised"
    settle(server)
    assert sink.messages == []  # a draft is never sent by itself
    first = api.call("POST", f"/drafts/{draft_id}/send")
    second = api.call("POST", f"/drafts/{draft_id}/send")
    assert first[0] == 202
    assert first[2]["already"] is False
    assert second[0] == 200
    assert second[2]["already"] is True
    [received] = sink.wait_for(1)
    settle(server)
    assert len(sink.messages) == 1
    assert received.message["Subject"] == "Your quote, revised"
    status, _, body = api.call("POST", f"/drafts/{draft_id}", {"subject": "too late"})
    assert status == 409
    assert "can no longer be edited" in body["error"]


def test_draft_edit_names_every_bad_field(api: Api) -> None:
    got = api.call("POST", "/events", event("quotation", "draft-2"))[2]
    draft_id = got["messages"][0]["draft_id"]
    status, _, body = api.call("POST", f"/drafts/{draft_id}", {"subject": 5, "cc": "a@x", "colour": "red"})
    assert status == 422
    assert sorted(p["json_path"] for p in body["problems"]) == ["$.cc", "$.colour", "$.subject"]
    assert api.call("POST", "/drafts/999/send")[0] == 404
    assert api.call("POST", f"/drafts/{draft_id}/discard")[2]["status"] == "skipped"
    assert api.call("POST", f"/drafts/{draft_id}/send")[0] == 409


def test_health_and_metrics(served: tuple[Api, Server], sink: SmtpServer, outbox_location: str) -> None:
    api, server = served
    api.call("POST", "/events", event("order_received", "metrics-1"))
    sink.wait_for(1)
    settle(server)  # the outbox row is marked sent once the server's 250 reached the sender
    assert api.call("GET", "/health", auth=False)[::2] == (200, {"status": "up"})
    status, _, health = api.call("GET", "/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["bundle_hash"] == server.service.bundle.hash
    assert health["outbox"]["sent"] == 1
    status, rh, text = api.call("GET", "/metrics")
    assert status == 200
    assert rh["Content-Type"].startswith("text/plain; version=0.0.4")
    for line in ('mailgitops_outbox_messages{status="sent"} 1',
                 'mailgitops_outbox_messages{status="queued"} 0',
                 "mailgitops_ambiguous_redeliveries_total 0", "mailgitops_sending_paused 0",
                 "mailgitops_events_accepted_total 1", "# TYPE mailgitops_events_accepted_total counter"):
        assert line in text.splitlines()
    # what the sender records after an authentication failure (dispatch/sender.py)
    outbox = open_outbox(outbox_location)
    outbox.pause(time.time() + 60, "the server refused the user name or password")
    outbox.close()
    assert api.call("GET", "/health", auth=False)[::2] == (503, {"status": "down"})
    status, _, health = api.call("GET", "/health")
    assert status == 503
    assert health["status"] == "paused"
    assert "password" in health["reason"]
    assert "mailgitops_sending_paused 1" in api.call("GET", "/metrics")[2].splitlines()


def test_unwritable_outbox_answers_503_and_accepts_nothing(bundle: Path, tmp_path: Path,
                                                          sink: SmtpServer) -> None:
    folder = tmp_path / "missing-dir"
    service = Service(bundle, outbox=str(folder / "o.sqlite"), attachments_root=FILES, token=TOKEN)
    server = Server(service, "127.0.0.1", 0, interval=0.05).start()
    api = Api(f"http://127.0.0.1:{server.port}")
    try:
        status, rh, body = api.call("POST", "/events", event("order_received", "no-outbox"))
        assert status == 503
        assert rh["Retry-After"].isdigit()
        assert "outbox" in body["error"]
        status, _, health = api.call("GET", "/health")
        assert status == 503
        assert health["status"] == "outbox-unavailable"
        assert "mailgitops_events_refused_total{reason=\"unavailable\"} 1" in api.call("GET", "/metrics")[2]
        folder.mkdir()  # fixed: the order system's retry is accepted and sent
        assert api.call("POST", "/events", event("order_received", "no-outbox"))[0] == 202
        assert len(sink.wait_for(1)) == 1
    finally:
        server.stop()


def test_bad_requests_get_json_errors(api: Api) -> None:
    assert api.call("POST", "/events", raw=b"{not json")[0] == 400
    status, _, body = api.call("POST", "/events", raw=b"{}", headers={"Content-Type": "text/plain"})
    assert status == 415
    assert "application/json" in body["error"]
    assert api.call("POST", "/events", raw=b"x" * 1_000_001)[0] == 413
    assert api.call("GET", "/nowhere")[0] == 404
    status, rh, _ = api.call("DELETE", "/events")
    assert status == 405
    assert rh["Allow"] == "POST"
    status, _, body = api.call("GET", "/outbox?status=lost")
    assert status == 400
    assert "queued" in body["problems"][0]["hint"]


def test_sigterm_stops_the_service_cleanly(bundle: Path, tmp_path: Path, sink: SmtpServer) -> None:
    env = {**os.environ, "MAILGITOPS_API_TOKEN": TOKEN, "MAILGITOPS_RETRY_BACKOFF_SECONDS": "0.01"}
    proc = subprocess.Popen([sys.executable, "-m", "mailgitops", "serve", "--bundle", str(bundle), "--port",
                             "0", "--outbox", str(tmp_path / "o.sqlite"), "--attachments-root",
                             str(FILES)], env=env, stderr=subprocess.PIPE, text=True)
    log = ChildLog(proc)
    try:
        # --port 0: the system picks a free port and the "listening on" line names it
        api = Api(log.wait_for(r"listening on (http://127\.0\.0\.1:\d+)")[1])
        assert api.call("POST", "/events", event("order_received", "sigterm-1"))[0] == 202
        sink.wait_for(1)
        proc.send_signal(signal.SIGTERM)
        stderr = log.finish(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    # the start as docs/serve.md shows it: the delivery mode, then where it listens, which bundle
    assert re.match(r"mailgitops serve: delivery: production\nmailgitops serve: listening on "
                    r"http://127\.0\.0\.1:\d+ \(bundle sha256:[0-9a-f]{64}\)\n", stderr), stderr
    assert ("# mailgitops serve: delivery: production\n# mailgitops serve: listening on "
            "http://127.0.0.1:8025 (bundle sha256:...)\n") in (ROOT / "docs/serve.md").read_text("utf-8")
    assert len(sink.messages) == 1
    assert '"POST /events" 202' in stderr
    assert "stopped in" in stderr
    assert TOKEN not in stderr
    assert "Traceback" not in stderr
    assert "ada@example.org" not in stderr
    # sending for real with the example addresses a new repository ships with: named at start
    assert "warning: 5 example addresses (domains reserved for examples, where no mail arrives)" \
        in stderr, stderr
    assert "mailgitops serve:   config/smtp.yaml cc: archive@example.com" in stderr


def test_a_password_file_others_can_read_is_warned_at_start(smtp_server: SmtpServer, tmp_path: Path,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("the-smtp-password-123\n", encoding="utf-8")
    secret.chmod(0o644)
    repo = make_repo(tmp_path / "repo", port=smtp_server.port,
                     auth={"mode": "custom", "username": "printroom", "password_file": str(secret)})
    service = Service(build_bundle(repo), outbox=str(tmp_path / "o.sqlite"), attachments_root=FILES,
                      token=TOKEN)
    Server(service, "127.0.0.1", 0, interval=0.05).start().stop()
    err = capfd.readouterr().err
    assert (f"mailgitops serve: warning: auth.password_file {secret} can be read by other users of this "
            f"machine (mode 0644): make it the service user's alone, chmod 600 {secret}") in err
    assert "the-smtp-password-123" not in err


def test_the_log_names_no_customer_even_when_the_server_quotes_them(
        served: tuple[Api, Server], sink: SmtpServer, capfd: pytest.CaptureFixture[str]) -> None:
    """The log is for running the service: ids and counts. A refusal, a deferral and a failure at
    DATA that each quote the customer stay in the outbox and the outcome, out of the log."""
    api, server = served
    sink.faults.refuse["ada@example.org"] = "550 5.1.1 <ada@example.org>: Ada Lovelace is unknown here"
    assert api.call("POST", "/events", event("order_received", "quoted-1"))[0] == 202
    settle(server)
    sink.faults.refuse.clear()
    sink.faults.add("MAIL", "451 4.7.1 <ada@example.org>: greylisted, Ada Lovelace try later")
    sink.faults.add("DATA_END", "554 5.7.1 message for Ada Lovelace <ada@example.org> refused: PO-1001")
    assert api.call("POST", "/events", event("order_received", "quoted-2"))[0] == 202
    assert api.call("POST", "/events", event("order_received", "quoted-3"))[0] == 202
    settle(server)
    settle(server)
    status, _h, listed = api.call("GET", "/outbox?limit=10")
    assert status == 200
    assert "ada@example.org" in json.dumps(listed)  # the record holds it, for the token's holder
    err = capfd.readouterr().err
    assert "mailgitops serve: sender" in err  # the passes were logged...
    for private in ("ada@example.org", "Ada", "Lovelace", "PO-1001", "greylisted", TOKEN):
        assert private not in err, private  # ...without the customer, the reply or the token
