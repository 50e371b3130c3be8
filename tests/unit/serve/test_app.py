"""The application without sockets (Starlette's test client): routing, the token, body rules,
security headers, every status code of the events, drafts, outbox, health and metrics endpoints."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mailgitops.dispatch.api import CONFLICT_HINT
from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.serve.app import build_app
from mailgitops.serve.service import Service
from mailgitops.serve.shapes import MAX_BODY
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import free_port

TOKEN = secrets.token_hex(16)  # the handlers' bearer token, 32 characters (the least allowed), per run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=free_port()))


@pytest.fixture
def service(bundle: Path, outbox_location: str) -> Iterator[Service]:
    """A service on each backend: a SQLite file, or a fresh database on the run's PostgreSQL."""
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files", token=TOKEN)
    yield svc
    svc.close()


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def call(service: Service, method: str, target: str, body: Any = None, *, token: str | None = TOKEN,
         raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Answer, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    hdrs = {"content-type": "application/json",
            **({"authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    with TestClient(build_app(service), base_url="http://127.0.0.1") as client:
        got = client.request(method, target, content=data, headers=hdrs)
    resp = Answer(got.status_code, got.headers, got.content)
    parsed = json.loads(resp.body) if resp.headers["Content-Type"].startswith("application/json") else None
    return resp.status, resp, parsed


def event(trigger: str = "order_received", event_id: str = "u-1", **changes: Any) -> dict[str, Any]:
    return sample_event("flyers", trigger=trigger, event_id=event_id, **changes)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/events"), ("GET", "/drafts"), ("GET", "/drafts/1"), ("POST", "/drafts/1"),
    ("POST", "/drafts/1/send"), ("POST", "/drafts/1/discard"), ("GET", "/outbox"), ("GET", "/metrics"),
    ("GET", "/nowhere"),
])
def test_everything_but_health_needs_the_token(service: Service, method: str, path: str) -> None:
    status, resp, body = call(service, method, path, event(), token=None)
    assert status == 401
    assert body["error"] == "missing or wrong API token"
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="mailgitops"'
    assert call(service, method, path, event(), token="nope")[0] == 401
    assert call(service, "GET", "/health", token=None)[0] == 200


# the ids name the parameter, not the token: the token is made per process, and every pytest-xdist
# worker must collect the same test ids (a random id in the name made the run fail)
@pytest.mark.parametrize("target", [f"/outbox?token={TOKEN}", f"/health?access_token={TOKEN}",
                                    f"/events?API_KEY={TOKEN}", "/metrics?password=x"],
                         ids=["token", "access_token", "API_KEY", "password"])
def test_a_token_in_the_url_is_refused_even_with_the_header(service: Service, target: str) -> None:
    """A URL lands in proxies', browsers' and shells' histories: the token is taught to stay out of it."""
    status, _resp, body = call(service, "POST" if target.startswith("/events") else "GET", target, event())
    assert status == 400
    assert body["error"].startswith("a token or password is never accepted in a URL")
    assert "Authorization: Bearer" in body["hint"]
    assert TOKEN not in json.dumps(body)
    assert call(service, "GET", "/outbox?status=sent")[0] == 200  # other parameters as before


def test_event_accepted_then_duplicate_then_conflict(service: Service) -> None:
    status, _, first = call(service, "POST", "/events", event())
    assert status == 202
    assert first["duplicate"] is False
    assert [m["status"] for m in first["messages"]] == ["queued"]
    assert service.wake.is_set()  # the sender loop is told at once
    status, _, again = call(service, "POST", "/events", event())
    assert status == 200
    assert again["duplicate"] is True
    assert again["messages"][0]["message_id"] == first["messages"][0]["message_id"]
    status, _, body = call(service, "POST", "/events", event(occurred_at="2026-11-28T09:00:00Z"))
    assert status == 409
    assert "different content" in body["error"]
    assert body["hint"] == CONFLICT_HINT
    assert service.counts() == {"accepted": 1, "duplicate": 1, "invalid": 0, "conflict": 1, "unavailable": 0,
                                "backlog": 0}


def test_bad_event_is_422_with_every_problem(service: Service) -> None:
    ev = event(trigger="order_recieved", occurred_at="yesterday")
    status, _, body = call(service, "POST", "/events", ev)
    assert status == 422
    assert "nothing was queued" in body["error"]
    paths = {p["json_path"] for p in body["problems"]}
    assert {"$.trigger", "$.occurred_at"} <= paths
    assert any(p["hint"] == "did you mean `order_received`?" for p in body["problems"])
    assert service.dispatcher().outbox.rows() == []
    assert call(service, "POST", "/events", [1, 2])[0] == 422


TWICE = "$.trigger: is given more than once in one object"


@pytest.mark.parametrize(("path", "splice", "problem"), [
    ("/events", '"trigger": "order_rejected", "trigger": ', TWICE),
    ("/plan", '"trigger": "order_rejected", "trigger": ', TWICE),
    ("/events", '"trigger": "order_received", "price_digits": ' + "9" * 5000 + ", \"trigger\": ",
     "$.price_digits: a number of 5,000 digits is out of range"),
])
def test_an_event_read_two_ways_is_422_at_its_field(service: Service, path: str, splice: str,
                                                     problem: str) -> None:
    """A field given twice (json.loads keeps the last, other readers the first) or a number too
    long for Python's int() (400 'not valid JSON' quoting sys.set_int_max_str_digits) is 422."""
    raw = json.dumps(event()).replace('"trigger": ', splice, 1).encode()
    status, _, body = call(service, "POST", path, raw=raw)
    assert status == 422, body
    assert any(p["message"].startswith(problem) for p in body["problems"]), body
    assert service.dispatcher().outbox.rows() == []


def test_outbox_write_failure_is_503_and_nothing_accepted(service: Service,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> list[int]:
        raise MailgitopsError("the outbox could not store event u-1: disk I/O error; nothing was accepted",
                              exit_code=ExitCode.TEMPORARY)

    monkeypatch.setattr(service.dispatcher().outbox, "record_event", fail)
    status, resp, body = call(service, "POST", "/events", event())
    assert status == 503
    assert resp.headers["Retry-After"] == "10"
    assert "nothing was accepted" in body["error"]
    assert service.dispatcher().outbox.get_event("u-1") is None
    assert service.counts()["unavailable"] == 1
    assert service.counts()["accepted"] == 0


def test_outbox_that_cannot_be_opened(bundle: Path, tmp_path: Path) -> None:
    svc = Service(bundle, outbox=str(tmp_path / "no" / "o.sqlite"), attachments_root=None, token=TOKEN)
    status, resp, body = call(svc, "POST", "/events", event())
    assert status == 503
    assert "cannot open the outbox" in body["error"]
    assert "Retry-After" in resp.headers
    status, _, health = call(svc, "GET", "/health")
    assert status == 503
    assert health["status"] == "outbox-unavailable"


def test_an_outbox_of_an_older_schema_is_503_until_migrated_then_serves(bundle: Path, tmp_path: Path) -> None:
    # an upgrade: the new version started before `outbox migrate` ran; no restart is needed after
    import sqlite3

    from mailgitops.dispatch import outbox_schema
    from mailgitops.dispatch.outbox_backends import migrate

    path = tmp_path / "o.sqlite"
    db = sqlite3.connect(path)
    db.executescript(outbox_schema._V1)
    db.close()
    svc = Service(bundle, outbox=str(path), attachments_root=SAMPLES / "files", token=TOKEN)
    try:
        status, _, body = call(svc, "POST", "/events", event())
        assert status == 503  # the order system keeps the event
        assert "mailgitops outbox migrate" in body["error"]
        status, _, health = call(svc, "GET", "/health")
        assert (status, health["status"]) == (503, "outbox-unavailable")
        assert "mailgitops outbox migrate" in health["reason"]
        assert migrate(str(path))["changed"] is True
        status, _, body = call(svc, "POST", "/events", event())
        assert status in (200, 202), body
        assert call(svc, "GET", "/health")[0] == 200
    finally:
        svc.close()


@pytest.mark.parametrize(("headers", "raw", "status", "words"), [
    ({"content-type": "text/plain"}, b"{}", 415, "application/json"),
    ({"content-type": ""}, b"{}", 415, "unnamed"),
    ({}, b"{not json", 400, "not valid JSON"),
    ({}, b"\xff\xfe", 400, "not UTF-8 text"),
    ({}, b"x" * (MAX_BODY + 1), 413, "larger than"),
])
def test_body_rules(service: Service, headers: dict[str, str], raw: bytes, status: int, words: str) -> None:
    got, _, body = call(service, "POST", "/events", raw=raw, headers=headers)
    assert got == status
    assert words in body["error"]


def test_unknown_paths_and_methods(service: Service) -> None:
    assert call(service, "GET", "/drafts/abc")[0] == 404
    status, resp, body = call(service, "PUT", "/drafts/3")
    assert status == 405
    assert resp.headers["Allow"] == "GET, POST"
    assert body == {"error": "PUT is not allowed on /drafts/3", "problems": [],
                    "hint": "/drafts/3 takes GET or POST"}


def _draft(service: Service, event_id: str = "d-1") -> int:
    status, _, got = call(service, "POST", "/events", event("quotation", event_id))
    assert status == 202
    draft_id: int = got["messages"][0]["draft_id"]
    return draft_id


def test_a_cc_written_with_a_name_is_its_address(service: Service) -> None:
    """The API's `cc` follows the console's and the command line's rule (drafts.cc_address)."""
    draft_id = _draft(service)
    status, _, edited = call(service, "POST", f"/drafts/{draft_id}", {"cc": ["Boss <boss@example.com>"]})
    assert status == 200, edited
    assert edited["cc"] == ["boss@example.com"]
    status, _, body = call(service, "POST", f"/drafts/{draft_id}", {"cc": ["ok@example.com", "Boss <nope>"]})
    assert status == 422
    assert body["problems"][0]["json_path"] == "$.cc[1]"
    assert "not a single email address: 'Boss <nope>'" in body["problems"][0]["message"]


def test_draft_edit_send_discard(service: Service) -> None:
    draft_id = _draft(service)
    assert [d["id"] for d in call(service, "GET", "/drafts")[2]] == [draft_id]
    status, _, edited = call(service, "POST", f"/drafts/{draft_id}",
                             {"subject": "New subject", "body": "New body", "cc": ["boss@example.com"]})
    assert status == 200
    assert edited["subject"] == "New subject"
    assert edited["markdown"] == "New body"
    assert edited["cc"] == ["boss@example.com"]
    # in the change record, as the console's edits are: who (the API), what, which fields
    [line] = edited["history"]
    assert (line["who"], line["what"], line["fields"]) == ("the order system (HTTP API)", "edited",
                                                           ["subject", "body", "cc"])
    status, _, body = call(service, "POST", f"/drafts/{draft_id}", {"subject": "two\nlines"})
    assert status == 422
    assert "one non-empty line" in body["problems"][0]["message"]
    service.wake.clear()
    first, _, sent = call(service, "POST", f"/drafts/{draft_id}/send")
    assert first == 202
    assert sent["already"] is False
    assert sent["status"] == "queued"
    assert service.wake.is_set()
    mode = sent["delivery"]
    again, _, sent = call(service, "POST", f"/drafts/{draft_id}/send")
    assert again == 200
    assert sent["already"] is True
    assert sent["delivery"] == mode  # the same fields as the first answer
    assert len(service.dispatcher().outbox.rows("queued")) == 1
    assert call(service, "POST", f"/drafts/{draft_id}/discard")[0] == 409
    assert call(service, "GET", "/drafts")[2] == []
    assert [d["id"] for d in call(service, "GET", "/drafts?all=1")[2]] == [draft_id]


def test_discarded_draft_is_never_sent(service: Service) -> None:
    draft_id = _draft(service)
    status, _, body = call(service, "POST", f"/drafts/{draft_id}/discard")
    assert status == 200
    assert body["status"] == "skipped"
    status, _, body = call(service, "POST", f"/drafts/{draft_id}/send")
    assert status == 409
    assert "discarded" in body["error"]
    assert service.dispatcher().outbox.rows("queued") == []


def test_a_discarded_drafts_recipients_do_not_read_as_still_going_out(service: Service) -> None:
    # an operator's walk: GET /outbox said `deferred` ("not tried yet") for every recipient of a
    # discarded draft, and /metrics counted them as waiting, as if the email would still go out
    draft_id = _draft(service)
    [held] = call(service, "GET", "/outbox?status=draft")[2]["messages"]
    assert {r["result"] for r in held["recipients"]} == {"deferred"}
    assert call(service, "POST", f"/drafts/{draft_id}/discard")[0] == 200
    [row] = call(service, "GET", "/outbox?status=discarded")[2]["messages"]
    assert [r["address"] for r in row["recipients"]] == [r["address"] for r in held["recipients"]]
    assert {(r["result"], r["code"], r["text"]) for r in row["recipients"]} == {
        ("discarded", None, "the operator discarded the draft")}
    metrics = call(service, "GET", "/metrics")[1].body.decode()
    assert 'mailgitops_recipients{kind="to",result="deferred"} 0' in metrics
    assert 'mailgitops_recipients{kind="to",result="discarded"} 1' in metrics


def test_a_discarded_drafts_console_uploads_are_removed(bundle: Path, outbox_location: str,
                                                       tmp_path: Path) -> None:
    root = tmp_path / "files"
    shutil.copytree(SAMPLES / "files", root)
    svc = Service(bundle, outbox=outbox_location, attachments_root=root, token=TOKEN)
    try:
        draft_id = _draft(svc, "d-uploads")
        kept = _draft(svc, "d-uploads-kept")
        for which in (draft_id, kept):  # what the console stores for a file an operator attaches
            upload = root / "console-uploads" / str(which) / "0123456789abcdef" / "proof.pdf"
            upload.parent.mkdir(parents=True)
            upload.write_bytes(b"%PDF-1.4 the customer's proof")
        assert call(svc, "POST", f"/drafts/{draft_id}/discard")[0] == 200
        assert not (root / "console-uploads" / str(draft_id)).exists()
        assert (root / "console-uploads" / str(kept) / "0123456789abcdef" / "proof.pdf").is_file()
        assert (root / "jobs").is_dir()  # the order system's files are never touched
    finally:
        svc.close()


def test_draft_edit_problems_all_named(service: Service) -> None:
    draft_id = _draft(service)
    status, _, body = call(service, "POST", f"/drafts/{draft_id}",
                           {"subject": 1, "cc": [1], "attach": "x.pdf", "to": ["a@b"]})
    assert status == 422
    assert sorted(p["json_path"] for p in body["problems"]) == ["$.attach", "$.cc", "$.subject", "$.to"]
    assert call(service, "POST", f"/drafts/{draft_id}", ["subject"])[0] == 422
    status, _, body = call(service, "POST", f"/drafts/{draft_id}", {"attach": ["../../etc/passwd"]})
    assert status == 422
    assert body["error"]
    assert call(service, "GET", "/drafts/4242")[0] == 404
    assert call(service, "POST", "/drafts/4242", {"subject": "x"})[0] == 404
    assert call(service, "POST", "/drafts/4242/discard")[0] == 404
    # a message that is not a draft is not one here either
    queued = call(service, "POST", "/events", event())[2]["messages"][0]["outbox_id"]
    assert call(service, "GET", f"/drafts/{queued}")[0] == 404


def test_outbox_listing(service: Service) -> None:
    call(service, "POST", "/events", event())
    status, _, body = call(service, "GET", "/outbox?status=queued")
    assert status == 200
    assert body["counts"]["queued"] == 1
    assert len(body["messages"]) == 1
    assert call(service, "GET", "/outbox?status=sent")[2]["messages"] == []
    status, _, body = call(service, "GET", "/outbox?status=lost&limit=0")
    assert status == 400
    assert [p["json_path"] for p in body["problems"]] == ["status", "limit"]


def test_a_damaged_draft_is_listed_marked_and_refused_by_itself(service: Service) -> None:
    good, bad = _draft(service, "d-good"), _draft(service, "d-bad")
    outbox = service.dispatcher().outbox
    assert outbox.update(bad, None, draft={"subject": "lost its body"})  # as a hand edit leaves it
    said = f"the draft stored for outbox message {bad} ("
    status, _, listed = call(service, "GET", "/drafts")
    assert status == 200
    drafts = {d["id"]: d for d in listed}
    assert sorted(drafts) == sorted([good, bad])
    assert drafts[good]["draft_damaged"] is None
    assert drafts[bad]["subject"] is None
    assert drafts[bad]["draft_damaged"]["error"].startswith(said)
    assert drafts[bad]["draft_damaged"]["error"].endswith("is damaged: `markdown` is missing")
    assert drafts[bad]["draft_damaged"]["hint"]
    status, _, body = call(service, "GET", "/outbox?status=draft")
    assert status == 200
    assert body["counts"]["draft"] == 2
    assert [m["id"] for m in body["messages"] if m["draft_damaged"]] == [bad]
    for method, path in (("GET", ""), ("POST", "/send"), ("POST", "/discard")):
        status, _, body = call(service, method, f"/drafts/{bad}{path}")
        assert status == 422, path
        assert body["error"].startswith(said)
        assert body["hint"]
    assert outbox.rows("queued") == []
    assert call(service, "GET", f"/drafts/{good}")[0] == 200


def test_health_reports_a_pause(service: Service) -> None:
    status, _, body = call(service, "GET", "/health")
    assert status == 200
    assert body["bundle_hash"] == service.bundle.hash
    assert body["outbox"]["queued"] == 0
    service.dispatcher().outbox.pause(time.time() + 60, "TLS certificate not trusted")
    status, _, body = call(service, "GET", "/health")
    assert status == 503
    assert body["reason"] == "sending paused: TLS certificate not trusted"
    # a state to alert on, not a service to take away: events are still accepted, and wait
    status, _, body = call(service, "POST", "/events", event(event_id="while-paused"))
    assert (status, body["messages"][0]["status"]) == (202, "queued")
    assert call(service, "GET", "/health")[2]["outbox"]["queued"] == 1


def test_health_without_the_token_says_only_up_or_down(service: Service) -> None:
    assert call(service, "GET", "/health", token=None)[::2] == (200, {"status": "up"})
    assert call(service, "GET", "/health", token="wrong")[::2] == (200, {"status": "up"})
    service.dispatcher().outbox.pause(time.time() + 60, "TLS certificate not trusted")
    assert call(service, "GET", "/health", token=None)[::2] == (503, {"status": "down"})


@pytest.mark.parametrize("path", ["/health", "/events", "/nowhere", "/openapi.json"])
def test_every_answer_carries_the_security_headers(service: Service, path: str) -> None:
    _, resp, _ = call(service, "GET", path, token=None)
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"


def test_backlog_past_the_limit_is_503_and_nothing_accepted(bundle: Path, outbox_location: str) -> None:
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                  token=TOKEN, max_backlog=2)
    try:
        assert [call(svc, "POST", "/events", event(event_id=f"b-{i}"))[0] for i in range(2)] == [202, 202]
        status, resp, body = call(svc, "POST", "/events", event(event_id="b-2"))
        assert status == 503
        assert resp.headers["Retry-After"] == "10"
        assert "2 messages are waiting to be sent (the limit is 2)" in body["error"]
        assert svc.dispatcher().outbox.get_event("b-2") is None
        # a duplicate of an accepted event is still answered as one: nothing new to send
        assert call(svc, "POST", "/events", event(event_id="b-0"))[0] == 200
        text = call(svc, "GET", "/metrics")[1].body.decode()
        assert 'mailgitops_events_refused_total{reason="backlog"} 1' in text.splitlines()
        assert "mailgitops_backlog_messages 2" in text.splitlines()
        assert "mailgitops_backlog_limit 2" in text.splitlines()
        age = float(re.search(r"^mailgitops_backlog_oldest_age_seconds (\S+)$", text, re.M)[1])  # type: ignore[index]
        assert 0 <= age < 60
    finally:
        svc.close()


METRIC = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \d+(\.\d+)?$')


def test_metrics_are_prometheus_text(service: Service) -> None:
    call(service, "POST", "/events", event())
    call(service, "POST", "/events", event())
    status, resp, _ = call(service, "GET", "/metrics")
    assert status == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    lines = resp.body.decode().splitlines()
    samples = [line for line in lines if not line.startswith("#")]
    assert all(METRIC.match(line) for line in samples), samples
    names = {re.split(r"[{ ]", line)[0] for line in samples}
    for name in names:
        assert f"# TYPE {name} counter" in lines or f"# TYPE {name} gauge" in lines
    for want in ('mailgitops_outbox_messages{status="queued"} 1', "mailgitops_events_accepted_total 1",
                 "mailgitops_events_duplicate_total 1", "mailgitops_sending_paused 0",
                 "mailgitops_ambiguous_redeliveries_total 0", "mailgitops_outbox_available 1",
                 f'mailgitops_bundle_info{{hash="{service.bundle.hash}"}} 1'):
        assert want in lines


def test_a_bug_is_a_json_500_without_traceback(service: Service, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: Any) -> dict[str, int]:
        raise RuntimeError("boom")

    monkeypatch.setattr(service.dispatcher().outbox, "counts", broken)
    monkeypatch.delenv("MAILGITOPS_DEBUG", raising=False)
    status, _, body = call(service, "GET", "/outbox")
    assert status == 500
    assert "bug" in body["error"]
    assert "boom" not in body["error"]
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err
    assert "Traceback" not in err


def test_sqlite_failure_mid_run_is_503(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    def gone(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    draft_id = _draft(service)
    monkeypatch.setattr(service.dispatcher().outbox, "queue_draft", gone)
    status, resp, body = call(service, "POST", f"/drafts/{draft_id}/send")
    assert status == 503
    assert "readonly" in body["error"]
    assert resp.headers["Retry-After"] == "10"  # seconds: the order system tries again then


def test_the_console_is_mounted_at_the_root_and_the_api_keeps_its_paths(service: Service,
                                                                        tmp_path: Path) -> None:
    from mailgitops.console.app import ConsoleSettings, console_app

    settings = ConsoleSettings(operators_path=tmp_path / "operators.sqlite", secure_cookies=False)
    app = build_app(service, console=console_app(service, settings, notice=False))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        page = client.get("/sign-in")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "frame-ancestors" in page.headers["content-security-policy"]
        assert client.post("/events", json={}).status_code == 401  # the API still wants its token
        assert client.get("/metrics").status_code == 401
        assert client.put("/drafts/3").status_code == 401
        assert client.get("/health").json() == {"status": "up"}
        assert client.get("/openapi.json").status_code == 200
        authorized = {"Authorization": f"Bearer {TOKEN}"}
        wrong = client.put("/drafts/3", headers=authorized)
        assert wrong.status_code == 405  # not swallowed by the console at /
        assert wrong.headers["allow"] == "GET, POST"


def test_only_a_few_events_are_handled_at_once_so_the_senders_keep_their_share(service: Service) -> None:
    """Many concurrent POST /events: all answered 202, never more than ACCEPTING in the
    dispatcher at the same moment (the rest wait for a turn)."""
    import threading

    from mailgitops.serve.service import ACCEPTING

    disp = service.dispatcher()
    real = disp.handle
    inside, most, guard = [0], [0], threading.Lock()
    barrier = threading.Barrier(ACCEPTING, timeout=30)

    def handle(*args: Any, **kwargs: Any) -> Any:
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            barrier.wait()  # ACCEPTING of them are inside together before any goes on
            return real(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    disp.handle = handle  # type: ignore[method-assign]
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda i=i: statuses.append(
        call(service, "POST", "/events", event(event_id=f"many-{i}"))[0])) for i in range(3 * ACCEPTING)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [202] * (3 * ACCEPTING)
    assert most[0] == ACCEPTING


def _set_schema_version(location: str, version: int) -> None:
    """What another machine's newer mailgitops leaves after `outbox migrate` (the number alone)."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("UPDATE mailgitops_schema SET version=%s", (version,))
    else:
        import sqlite3

        db = sqlite3.connect(location)
        try:
            db.execute(f"PRAGMA user_version={version}")
        finally:
            db.close()


def test_a_running_serve_stops_using_an_outbox_a_newer_mailgitops_migrated(
        service: Service, outbox_location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instance forgotten in "stop every machine, then migrate" went on accepting and sending
    into the newer schema, /health ok (an operations walk); one started then refused it."""
    from mailgitops.dispatch import outbox_pg_schema, outbox_schema
    from mailgitops.serve import service as service_mod

    monkeypatch.setattr(service_mod, "SCHEMA_CHECK_SECONDS", 0.0)
    assert call(service, "POST", "/events", event(event_id="before"))[0] == 202
    known = (outbox_pg_schema if outbox_location.startswith("postgresql://") else outbox_schema).VERSION
    _set_schema_version(outbox_location, known + 1)
    status, _, body = call(service, "POST", "/events", event(event_id="after"))
    assert status == 503, body
    assert f"has schema version {known + 1}, made by a newer mailgitops" in body["error"]
    health = call(service, "GET", "/health")
    assert (health[0], health[2]["status"]) == (503, "outbox-unavailable")
    assert "made by a newer mailgitops" in health[2]["reason"]
    _set_schema_version(outbox_location, known)  # not a real migration: this version's tables again
    assert call(service, "POST", "/events", event(event_id="after"))[0] == 202
