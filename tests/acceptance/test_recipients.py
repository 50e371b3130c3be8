"""Per-recipient truth: `sent` only when every To recipient was accepted, each envelope
recipient's answer in the outcome, `outbox list`, `GET /outbox` and /metrics."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.serve.server import Server
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

TOKEN = "test-token-" + "r" * 22  # 32 bytes: the shortest serve accepts
CUSTOMER, ARCHIVE = "ada@example.org", "archive@example.com"


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("rcpt") / "repo", port=smtp_server.port))


def _by_address(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in entry["recipients"]}


def test_a_refused_customer_is_failed_although_the_archive_copy_was_accepted(
        sink: SmtpServer, bundle: Path, tmp_path: Path, outbox_location: str) -> None:
    sink.faults.refuse[CUSTOMER] = "550 5.1.1 no such user here"
    ob = outbox_location
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id="refused-to"))
    m = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))["messages"][0]
    assert m["status"] == "failed"
    assert CUSTOMER in m["reason"]
    assert "550" in m["reason"]
    got = _by_address(m)
    assert got[CUSTOMER] == {"address": CUSTOMER, "kind": "to", "result": "refused", "code": 550,
                             "text": "5.1.1 no such user here"}
    assert (got[ARCHIVE]["kind"], got[ARCHIVE]["result"], got[ARCHIVE]["code"]) == ("cc", "accepted", 250)
    assert [r.rcpts for r in sink.wait_for(1)] == [[ARCHIVE]]  # the archive did get its copy
    listed = outcome(cli("outbox", "list", "--outbox", ob))
    assert listed["counts"]["failed"] == 1
    assert listed["counts"]["sent"] == 0
    assert _by_address(listed["messages"][0])[CUSTOMER]["result"] == "refused"
    again = outcome(cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob))
    assert again["sent"] == 0
    assert len(sink.messages) == 1  # failed for good: never sent again


def test_a_deferred_customer_is_tried_again_alone(sink: SmtpServer, bundle: Path,
                                                 outbox_location: str) -> None:
    sink.faults.add(f"RCPT:{CUSTOMER}", "451 4.2.1 mailbox busy, try later")
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=0)) as d:
        before = time.time()
        first = d.handle(sample_event(trigger="order_received", event_id="deferred-to")).to_json()
        m = first["messages"][0]
        assert m["status"] == "queued"
        assert "451" in m["reason"]
        # when it is tried again, after its backoff (none here): the order system is not left guessing
        assert before - 1 <= datetime.fromisoformat(m["next_attempt_at"]).timestamp() <= time.time() + 1
        got = _by_address(m)
        assert (got[CUSTOMER]["result"], got[CUSTOMER]["code"]) == ("deferred", 451)
        assert got[ARCHIVE]["result"] == "accepted"
        assert d.flush().sent == 1
        done = d.handle(sample_event(trigger="order_received", event_id="deferred-to")).to_json()
    assert done["messages"][0]["status"] == "sent"
    assert done["messages"][0]["next_attempt_at"] is None
    assert {r["result"] for r in done["messages"][0]["recipients"]} == {"accepted"}
    received = sink.wait_for(2)
    assert [r.rcpts for r in received] == [[ARCHIVE], [CUSTOMER]]  # the archive got it once
    assert received[0].message_id == received[1].message_id == m["message_id"]


def test_a_refused_archive_copy_is_named_and_the_customer_message_is_sent(
        sink: SmtpServer, bundle: Path, tmp_path: Path) -> None:
    sink.faults.refuse[ARCHIVE] = "554 5.7.1 archive full"
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=0)) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="refused-cc")).to_json()["messages"][0]
    assert m["status"] == "sent"
    assert ARCHIVE in m["reason"]
    assert "554" in m["reason"]
    assert _by_address(m)[ARCHIVE] == {"address": ARCHIVE, "kind": "cc", "result": "refused", "code": 554,
                                       "text": "5.7.1 archive full"}


def _get(base: str, path: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, no proxy
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with opener.open(req, timeout=30) as resp:
        return resp.status, resp.read().decode()


def test_the_http_api_and_metrics_show_the_refused_customer(sink: SmtpServer, bundle: Path,
                                                           outbox_location: str) -> None:
    sink.faults.refuse[CUSTOMER] = "550 5.1.1 no such user here"
    ob = outbox_location
    with Dispatcher.load(bundle, outbox=ob, attachments_root=SAMPLES / "files") as d:
        d.handle(sample_event(trigger="order_received", event_id="refused-http"))
    service = Service(bundle, outbox=ob, attachments_root=SAMPLES / "files", token=TOKEN,
                      policy=RetryPolicy(backoff_seconds=0.01))
    server = Server(service, "127.0.0.1", 0, interval=0.05).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        status, text = _get(base, "/outbox")
        listed = json.loads(text)
        assert status == 200
        assert listed["counts"]["failed"] == 1
        assert _by_address(listed["messages"][0])[CUSTOMER]["code"] == 550
        _, metrics = _get(base, "/metrics")
    finally:
        server.stop()
    assert 'mailgitops_outbox_messages{status="failed"} 1' in metrics
    assert 'mailgitops_recipients{kind="to",result="refused"} 1' in metrics
    assert 'mailgitops_recipients{kind="cc",result="accepted"} 1' in metrics
