"""Delivery under faults (RELIABILITY 1-8) against a real aiosmtpd server with faults injected:
every accepted email ends sent, failed or expired; none lost; none sent twice outside the
ambiguous window (counted on its own). Every test runs on both outbox backends (a SQLite file, a
fresh PostgreSQL database)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.faultmatrix import FAST, Case, cases, run_bad_inputs, run_case
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("faults") / "repo", port=smtp_server.port))


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_fault_matrix(case: Case, smtp_server: SmtpServer, bundle: Path, tmp_path: Path,
                      outbox_location: str) -> None:
    result = run_case(case, smtp_server, bundle, tmp_path, outbox_location)
    assert result.lost == 0
    assert result.duplicates == 0
    assert result.survived, result


def test_ambiguous_window_is_counted_and_keeps_the_message_id(smtp_server: SmtpServer, bundle: Path,
                                                               tmp_path: Path, outbox_location: str) -> None:
    case = next(c for c in cases() if "final dot" in c.name)
    result = run_case(case, smtp_server, bundle, tmp_path, outbox_location)
    assert result.ambiguous == 2
    assert result.duplicates == 0  # To and Cc each got it twice
    ids = [m.message_id for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) + 1  # the one redelivery carries the same Message-ID


@pytest.mark.parametrize(("reply", "reason"), [
    # smtplib reads a garbled reply as code -1: the server may have said 250
    ("garbled reply", "unreadable reply after the final dot"),
    # neither a 2xx nor a refusal: it was retried as a plain temporary failure on the same
    # session, as if the server surely had not kept the message
    ("399 odd", "neither success nor refusal after the final dot: 399 odd"),
])
def test_a_reply_after_the_final_dot_that_is_neither_yes_nor_no_is_ambiguous(
        sink: SmtpServer, bundle: Path, outbox_location: str, reply: str, reason: str) -> None:
    """Not a plain retry but an ambiguous one (RELIABILITY 4): sent again with the same Message-ID."""
    sink.faults.add("DATA_END", reply)
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="after-dot")).to_json()["messages"][0]
        assert m["status"] == "queued"
        assert reason in m["reason"]
        row = d.outbox.get(m["outbox_id"])
        assert row is not None
        assert (row.status, row.ambiguous) == ("ambiguous", 1)
        time.sleep(0.02)  # FAST's backoff
        assert d.flush().sent == 1
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]


def test_a_250_to_data_is_said_for_what_it_answered(sink: SmtpServer, bundle: Path,
                                                    outbox_location: str) -> None:
    """'250 ok' to DATA (where 354 opens the text) is no refusal: the reason named only '250 ok'."""
    sink.faults.add("DATA", "250 2.0.0 ok")
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="data-250")).to_json()["messages"][0]
        assert m["status"] == "queued"
        assert "answered '250 2.0.0 ok' to DATA instead of 354; nothing was sent yet" in m["reason"]
        time.sleep(0.02)  # FAST's backoff
        assert d.flush().sent == 1
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]


@pytest.mark.parametrize(("stage", "reply"), [
    ("RCPT_OK:ada@example.org", "252 2.1.5 Cannot VRFY user, but will attempt delivery"),
    ("RCPT_OK:ada@example.org", "251 2.1.5 User not local; will forward"),
    ("MAIL_OK", "251 2.1.0 Sender ok"),
])
def test_any_2xx_to_mail_or_rcpt_accepts(sink: SmtpServer, bundle: Path, outbox_location: str,
                                         stage: str, reply: str) -> None:
    """RFC 5321 4.2.1: the first digit says good or not. A 252 to RCPT left the customer waiting
    until the message expired (only 250 and 251 counted), a 251 to MAIL the whole message."""
    sink.faults.add(stage, reply)
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="odd-2xx")).to_json()["messages"][0]
    assert m["status"] == "sent", m
    assert {(r["address"], r["result"]) for r in m["recipients"]} == {
        ("ada@example.org", "accepted"), ("archive@example.com", "accepted")}
    (got,) = sink.wait_for(1)
    assert got.message_id == m["message_id"]
    assert sorted(got.rcpts) == ["ada@example.org", "archive@example.com"]


def test_one_refused_recipient_does_not_resend_to_the_others(sink: SmtpServer, bundle: Path,
                                                             outbox_location: str) -> None:
    sink.faults.refuse["archive@example.com"] = "550 5.1.1 no such mailbox"
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        got = d.handle(sample_event(trigger="order_received", event_id="rcpt")).to_json()
        d.flush()
    m = got["messages"][0]
    assert m["status"] == "sent"
    assert "archive@example.com" in m["reason"]
    assert "550" in m["reason"]
    assert [r.rcpts for r in sink.messages] == [["ada@example.org"]]


def test_5xx_failure_keeps_the_server_reply(sink: SmtpServer, bundle: Path, outbox_location: str) -> None:
    sink.faults.add("DATA_END", "554 5.7.1 spam detected")
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="spam")).to_json()["messages"][0]
    assert m["status"] == "failed"
    assert "554 5.7.1 spam detected" in m["reason"]


def test_bad_inputs_give_a_clear_error_and_send_nothing(smtp_server: SmtpServer, bundle: Path,
                                                        tmp_path: Path, outbox_location: str) -> None:
    tried, ok, failures = run_bad_inputs(smtp_server, bundle, tmp_path, outbox_location)
    assert failures == []
    assert ok == tried


def test_queued_then_outbox_flush_through_the_cli(sink: SmtpServer, bundle: Path, tmp_path: Path,
                                                  outbox_location: str) -> None:
    sink.faults.add("MAIL", "451 4.3.0 try later")
    ob = outbox_location
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id="flush"))
    got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))
    m = got["messages"][0]
    assert m["status"] == "queued"
    assert "451" in m["reason"]
    listed = outcome(cli("outbox", "list", "--status", "queued", "--outbox", ob))
    assert [r["message_id"] for r in listed["messages"]] == [m["message_id"]]
    flushed = outcome(cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob))
    assert flushed["sent"] == 1
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]
    again = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))
    assert again["duplicate"] is True
    assert again["messages"][0]["status"] == "sent"


def test_failed_message_retried_by_hand(sink: SmtpServer, bundle: Path, tmp_path: Path,
                                        outbox_location: str) -> None:
    sink.faults.add("DATA_END", "554 5.6.0 refused")
    ob = outbox_location
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id="retry"))
    m = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))["messages"][0]
    assert m["status"] == "failed"
    outcome(cli("outbox", "retry", str(m["outbox_id"]), "--outbox", ob))
    assert outcome(cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob))["sent"] == 1
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]


def test_a_message_is_retried_by_its_message_id_too(sink: SmtpServer, bundle: Path, tmp_path: Path,
                                                    outbox_location: str) -> None:
    """The outcome names each message by its Message-ID: pasted with or without its angle
    brackets, it finds the message; one that is not there is a clear error, not a usage error."""
    sink.faults.add("DATA_END", "554 5.6.0 refused")
    ob = outbox_location
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id="retry-by-id"))
    m = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))["messages"][0]
    assert m["status"] == "failed"
    again = outcome(cli("outbox", "retry", m["message_id"].strip("<>"), "--outbox", ob))
    assert (again["id"], again["status"]) == (m["outbox_id"], "queued")
    assert outcome(cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob))["sent"] == 1
    assert [r.message_id for r in sink.wait_for(1)] == [m["message_id"]]
    sent_already = cli("outbox", "retry", m["message_id"], "--outbox", ob)
    assert sent_already.returncode == 1
    assert f"message {m['outbox_id']} ({m['message_id']}) is sent" in sent_already.stderr
    missing = cli("outbox", "retry", "<nothing@print.example.com>", "--outbox", ob)
    assert missing.returncode == 1
    assert "no message in this outbox has the Message-ID <nothing@print.example.com>" in missing.stderr


def test_two_workers_never_claim_the_same_row(sink: SmtpServer, bundle: Path, outbox_location: str) -> None:
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files",
                         policy=FAST) as d:
        for i in range(20):
            d.handle(sample_event(trigger="order_received", event_id=f"w-{i}"), deliver=False)
    a, b = open_outbox(outbox_location), open_outbox(outbox_location)
    got_a = a.claim(worker="a", lease_seconds=60, limit=15)
    got_b = b.claim(worker="b", lease_seconds=60, limit=15)
    assert len(got_a) == 15
    assert len(got_b) == 5
    assert not {r.id for r in got_a} & {r.id for r in got_b}
    a.close()
    b.close()
