"""A server that answers 5xx before any message (554 instead of its greeting: this machine is on
a block list, or the relay does not know it; 5xx to EHLO and HELO: the name we greet with is
refused). Every message would meet the same answer, so sending pauses, as after a TLS failure:
the messages wait without spending their attempts, /health and the flush say why, and nothing
is hammered. (Each message was retried on its own with a backoff until its lifetime ran out,
and nobody was told that a person had to act.)"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

ENV = {"MAILGITOPS_DELIVERY": "production", "MAILGITOPS_PAUSE_SECONDS": "600"}


@pytest.fixture
def bundle(sink: SmtpServer, tmp_path: Path) -> Path:
    return build_bundle(make_repo(tmp_path / "repo", port=sink.port))


@pytest.mark.parametrize(("faults", "said"), [
    ({"GREET": "554 5.7.1 Service unavailable; client host [127.0.0.1] blocked using zen.spamhaus.org"},
     ["refuses connections from this machine: 554 5.7.1 Service unavailable; client host [127.0.0.1] "
      "blocked", "its administrator can say why"]),
    ({"EHLO": "550 5.7.1 <vm>: Helo command rejected: need fully-qualified hostname",
      "HELO": "550 5.7.1 <vm>: Helo command rejected: need fully-qualified hostname"},
     ["refused our greeting (EHLO ",
      "): 550 5.7.1 <vm>: Helo command rejected: need fully-qualified hostname",
      "set server.helo_name in config/smtp.yaml"]),
], ids=["554-greeting", "5xx-ehlo-and-helo"])
def test_a_server_refusing_before_any_message_pauses_sending(
        sink: SmtpServer, bundle: Path, tmp_path: Path, faults: dict[str, str], said: list[str]) -> None:
    for stage, reply in faults.items():
        sink.faults.add(stage, reply, times=2)  # the dispatch, then the first flush
    ob = str(tmp_path / "o.sqlite")
    event = write_event(tmp_path, sample_event("flyers", trigger="order_received", event_id="refused-early"))
    got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", ob,
                      "--attachments-root", str(SAMPLES / "files"), env=ENV))
    (m,) = got["messages"]
    assert m["status"] == "queued"
    assert m["reason"].startswith(f"sending paused: 127.0.0.1:{sink.port} ")
    for words in said:
        assert words in m["reason"]
    # when it is tried next: the end of the pause, not "now" (it would not be)
    waits = datetime.fromisoformat(m["next_attempt_at"]).timestamp() - time.time()
    assert 590 < waits <= 600, m["next_attempt_at"]
    listed = outcome(cli("outbox", "list", "--outbox", ob))["messages"]
    assert [(r["status"], r["attempts"]) for r in listed] == [("queued", 0)]  # no attempt spent
    # `outbox flush` by hand tries at once; refused again, it says so and until when (exit 75)
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob, env=ENV)
    assert flushed.returncode == 75, flushed.stderr
    summary = json.loads(flushed.stdout)
    assert said[0] in summary["paused"]
    assert summary["paused_until"] is not None and summary["paused_until"].endswith("+00:00")
    assert sink.messages == []
    # the server's administrator lifts the block: the next flush sends it, once
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob, env=ENV)
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]


def test_the_sender_loop_does_not_knock_again_while_paused(sink: SmtpServer, bundle: Path,
                                                           tmp_path: Path) -> None:
    from mailgitops.dispatch.api import Dispatcher

    sink.faults.add("GREET", "554 5.7.1 blocked", times=5)
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         delivery="production") as d:
        event = sample_event("flyers", trigger="order_received", event_id="loop")
        m = d.handle(event).to_json()["messages"][0]
        assert "sending paused" in m["reason"]
        for _ in range(3):  # what serve's senders do at each pass
            report = d.sender.flush()
            assert report.paused is not None and "554 5.7.1 blocked" in report.paused
    assert len(sink.faults.queue["GREET"]) == 4  # one connection was tried, by the dispatch
