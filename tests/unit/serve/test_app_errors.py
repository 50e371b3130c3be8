"""What an integrator sees when a request goes wrong: every error answer is JSON of one shape,
{"error", "problems", "hint"}, with a hint that says what to do, also where the refusal has no
hint of its own; a mistyped path is a JSON 404 even with the console mounted at `/`."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mailgitops.dispatch.api import CONFLICT_HINT
from mailgitops.serve.app import build_app
from mailgitops.serve.service import Service
from mailgitops.serve.shapes import MAX_BODY
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import free_port

TOKEN = secrets.token_hex(16)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json", **AUTH}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=free_port()))


@pytest.fixture
def client(bundle: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The API with the operator console mounted at `/`, as `serve` runs it."""
    from mailgitops.console.app import ConsoleSettings, console_app

    svc = Service(bundle, outbox=str(tmp_path / "outbox.sqlite"), attachments_root=SAMPLES / "files",
                  token=TOKEN)
    settings = ConsoleSettings(operators_path=tmp_path / "operators.sqlite", secure_cookies=False)
    app = build_app(svc, console=console_app(svc, settings, notice=False))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c
    svc.close()


def error_of(resp: Any) -> dict[str, Any]:
    assert resp.headers["content-type"].startswith("application/json"), resp.text
    body = json.loads(resp.content)
    assert set(body) >= {"error", "problems", "hint"}, body
    assert isinstance(body["hint"], str) and body["hint"], body  # always something to do next
    return body


def test_a_refused_event_says_what_to_do_next(client: TestClient) -> None:
    resp = client.post("/events", content=b"[1, 2]", headers=JSON)
    assert resp.status_code == 422
    body = error_of(resp)
    assert body["problems"][0]["message"] == "$: must be of type object, not array"
    assert "will not help" in body["hint"]  # the order system must not resend it unchanged


def test_a_wrong_method_names_the_right_one(client: TestClient) -> None:
    resp = client.get("/events", headers=AUTH)
    assert resp.status_code == 405
    assert resp.headers["allow"] == "POST"
    assert error_of(resp)["hint"] == "/events takes POST"


def test_a_body_too_large_and_a_chunked_one_carry_a_hint(client: TestClient) -> None:
    resp = client.post("/events", content=b" " * (MAX_BODY + 1), headers=JSON)
    assert resp.status_code == 413
    assert "attachments" in error_of(resp)["hint"]

    def chunks() -> Iterator[bytes]:
        yield b"{}"

    resp = client.post("/events", content=chunks(), headers=JSON)
    assert resp.status_code == 411
    assert "Content-Length" in error_of(resp)["hint"]


def test_a_body_that_is_not_utf8_is_named_so(client: TestClient) -> None:
    # \xff\xfe reads as a UTF-16 byte order mark to json.loads, which then said only
    # "Expecting value: line 1 column 1"
    resp = client.post("/events", content=b'\xff\xfe{"event_id": "x"}', headers=JSON)
    assert resp.status_code == 400
    body = error_of(resp)
    assert body["error"].startswith("the body is not UTF-8 text (byte 0xff at offset 0)")
    assert "UTF-8" in body["hint"]


def test_an_event_conflict_keeps_its_own_hint(client: TestClient) -> None:
    event = sample_event("flyers", trigger="order_received", event_id="e-1")
    assert client.post("/events", json=event, headers=AUTH).status_code == 202
    event["order"]["number"] = "PO-other"
    resp = client.post("/events", json=event, headers=AUTH)
    assert resp.status_code == 409
    assert error_of(resp)["hint"] == CONFLICT_HINT


@pytest.mark.parametrize("path", ["/drafts/abc", "/drafts/1/sendd", "/events/1", "/outbox/",
                                  "/event", "/no/such/thing"])
def test_an_unknown_path_is_a_json_404_with_the_console_mounted(client: TestClient, path: str) -> None:
    for method in ("GET", "POST"):
        resp = client.request(method, path, json={}, headers=AUTH)
        assert resp.status_code == 404, (method, path)
        body = error_of(resp)
        assert body["error"] == f"no such endpoint: {path}"
        assert "/openapi.json" in body["hint"]
        assert resp.headers["x-content-type-options"] == "nosniff"  # the guard's headers still apply


@pytest.mark.parametrize(("lang", "words"), [("de", "Diese Seite gibt es nicht."), ("zh", "没有这个页面。"),
                                            ("en", "There is no such page.")])
def test_a_browser_at_a_mistyped_console_address_gets_the_consoles_page(client: TestClient, lang: str,
                                                                         words: str) -> None:
    # an operator who types /inbox (the inbox is /) reads a page in their language with the way
    # back, not the API's JSON; an integrator's client (no HTML asked for) still gets the JSON
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": lang}
    page = client.get("/inbox", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert words in page.text
    assert 'href="/"' in page.text
    assert error_of(client.get("/inbox", headers=AUTH))["error"] == "no such endpoint: /inbox"
    # a form sent to an address nobody serves is the API's JSON 404, not 405
    assert error_of(client.post("/inbox", headers=browser))["error"] == "no such endpoint: /inbox"


def test_the_console_pages_are_untouched(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_a_draft_edit_names_every_bad_field_and_changes_nothing(client: TestClient) -> None:
    """It answered only the first problem, in `error`, with `problems` empty."""
    made = client.post("/events", json=sample_event("flyers", trigger="quotation", event_id="q-1"),
                       headers=AUTH)
    assert made.status_code == 202
    draft_id = made.json()["messages"][0]["draft_id"]
    before = client.get(f"/drafts/{draft_id}", headers=AUTH).json()
    resp = client.post(f"/drafts/{draft_id}", headers=AUTH, json={
        "subject": "two\nlines", "body": "fine", "cc": ["ok@example.com", "not one", "a@b@c"],
        "attach": ["jobs/PO-1001/ticket.pdf", "jobs/nope.pdf"]})
    assert resp.status_code == 422
    body = error_of(resp)
    assert body["error"] == "the edit was refused (4 problems); nothing was changed"
    assert [p["json_path"] for p in body["problems"]] == ["$.subject", "$.cc[1]", "$.cc[2]", "$.attach[1]"]
    assert "one non-empty line" in body["problems"][0]["message"]
    assert "'not one'" in body["problems"][1]["message"]
    assert "jobs/nope.pdf" in body["problems"][3]["message"]
    assert client.get(f"/drafts/{draft_id}", headers=AUTH).json() == before
    good = client.post(f"/drafts/{draft_id}", headers=AUTH,
                       json={"subject": "Revised", "attach": ["jobs/PO-1001/ticket.pdf"]})
    assert good.status_code == 200
    assert good.json()["operator_attachments"] == ["jobs/PO-1001/ticket.pdf"]


@pytest.mark.parametrize(("method", "target", "named", "hint"), [
    ("GET", "/outbox?statuss=failed", "`statuss`", "did you mean `status`?"),
    ("GET", "/outbox?status=failed&limt=5", "`limt`", "did you mean `limit`?"),
    ("GET", "/drafts?al=1", "`al`", "did you mean `all`?"),
    ("POST", "/plan?rendr=1", "`rendr`", "did you mean `render`?"),
])
def test_a_mistyped_query_parameter_is_refused_not_ignored(client: TestClient, method: str, target: str,
                                                           named: str, hint: str) -> None:
    """`?statuss=failed` listed every message as if all had failed."""
    resp = client.request(method, target, headers=JSON, json=sample_event("flyers", event_id="p-1"))
    assert resp.status_code == 400, resp.text
    body = error_of(resp)
    assert body["error"] == f"unknown query parameter {named}; nothing was done"
    assert body["problems"][0]["hint"] == hint
    fixed = target.replace(named.strip("`") + "=", hint.split("`")[1] + "=")
    resp = client.request(method, fixed, headers=JSON, json=sample_event("flyers", event_id="p-1"))
    assert resp.status_code == 200, (fixed, resp.text)
