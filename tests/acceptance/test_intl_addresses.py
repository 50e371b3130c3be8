"""Internationalised addresses through the CLI: IDNA domains and UTF-8 local parts reach a real
Postfix (SMTPUTF8); a server without SMTPUTF8 refuses only that recipient, with the reason; a bad
address in one role skips that role's message and not the others'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, sample_event, write_event
from support.postfix import Postfix
from support.smtpd import SmtpServer

BOTH = {"order_received": {"to": ["customer", "operator"]}}


def dispatch(tmp: Path, port: int, event: dict[str, Any], **kw: Any) -> dict[str, Any]:
    bundle = build_bundle(make_repo(tmp / "repo", port=port, triggers=BOTH, **kw))
    proc = cli("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp, event)), "--outbox",
               str(tmp / "outbox.sqlite"), "--attachments-root", str(SAMPLES / "files"), env=kw.get("env"))
    assert proc.returncode in (0, 1), proc.stderr
    got: dict[str, Any] = json.loads(proc.stdout)
    return got


def by_role(got: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["role"]: m for m in got["messages"]}


def test_idna_domain_and_utf8_local_part_reach_postfix(tmp_path: Path, mta: Postfix) -> None:
    """Postfix offers SMTPUTF8: `zoë@example.com` is sent as written (MAIL FROM ... SMTPUTF8)
    and lands in zoë's mailbox with her address in To; an internationalised domain travels in
    its IDNA form."""
    event = sample_event("flyers", trigger="order_received", event_id="intl-1")
    event["customer"]["email"] = "zoë@example.com"
    event["operator"]["email"] = "ada@bücher.example"
    got = by_role(dispatch(tmp_path, mta.port, event))
    assert got["customer"]["status"] == "sent", got
    assert got["operator"]["status"] == "sent", got
    zoe = mta.wait_for("zoë@example.com")[0]
    assert zoe["To"].addresses[0].addr_spec == "zoë@example.com"
    assert zoe["Message-ID"] == got["customer"]["message_id"]
    assert "zoë@example.com" in mta.wait_log("zoë@example.com", 1)  # the envelope, as written
    ada = mta.wait_for("ada@xn--bcher-kva.example")[0]
    assert "ada@xn--bcher-kva.example" in str(ada["To"])


def test_server_without_smtputf8_fails_that_customer_with_the_reason(tmp_path: Path) -> None:
    """The customer's message fails for good, naming the address and the missing SMTPUTF8;
    the operator's message of the same event is sent."""
    srv = SmtpServer(smtputf8=False).start()
    try:
        event = sample_event("flyers", trigger="order_received", event_id="intl-2")
        event["customer"]["email"] = "zoë@example.com"
        got = by_role(dispatch(tmp_path, srv.port, event, cc=[]))
        customer = got["customer"]
        assert customer["status"] == "failed", customer
        assert "zoë@example.com has non-ASCII characters before the @" in customer["reason"]
        assert "127.0.0.1 does not offer SMTPUTF8" in customer["reason"]
        assert got["operator"]["status"] == "sent", got["operator"]
        arrived = srv.wait_for(1)
        assert [m.rcpts for m in arrived] == [[event["operator"]["email"]]]
    finally:
        srv.stop()


def test_cc_without_smtputf8_does_not_fail_the_customer(tmp_path: Path) -> None:
    """An archive CC `zoë@…` the server cannot carry is refused by name; the customer's message
    is sent, its Cc header downgraded to ASCII (the address shown as a name, RFC 6857)."""
    srv = SmtpServer(smtputf8=False).start()
    try:
        event = sample_event("flyers", trigger="order_received", event_id="intl-4")
        got = by_role(dispatch(tmp_path, srv.port, event, cc="zoë@example.com"))
        customer = got["customer"]
        assert customer["status"] == "sent", customer
        assert "zoë@example.com has non-ASCII characters before the @" in (customer["reason"] or "")
        results = {r["address"]: r["result"] for r in customer["recipients"]}
        assert results == {event["customer"]["email"]: "accepted", "zoë@example.com": "refused"}, results
        received = next(m for m in srv.wait_for(2) if event["customer"]["email"] in m.rcpts)
        assert received.rcpts == [event["customer"]["email"]]
        assert received.data.isascii()  # no 8-bit header went to a server without SMTPUTF8
        assert str(received.message["Cc"]) == '"zoë@example.com":;'
    finally:
        srv.stop()


def test_smtp_check_says_whether_smtputf8_is_offered(tmp_path: Path, mta: Postfix) -> None:
    repo = make_repo(tmp_path / "with", port=mta.port)
    proc = cli("smtp", "check", "--root", str(repo), "--to", "zoë@example.com")
    assert proc.returncode == 0, proc.stderr
    assert "SMTPUTF8 offered" in proc.stdout and "RCPT TO:<zoë@example.com> accepted" in proc.stdout
    proc = cli("smtp", "send-test", "--root", str(repo), "--to", "zoë@example.com")
    assert proc.returncode == 0, proc.stderr
    assert str(mta.wait_for("zoë@example.com")[0]["To"]) == "zoë@example.com"
    srv = SmtpServer(smtputf8=False).start()
    try:
        repo = make_repo(tmp_path / "without", port=srv.port)
        proc = cli("smtp", "check", "--root", str(repo))
        assert proc.returncode == 0, proc.stderr
        assert "SMTPUTF8 not offered" in proc.stdout
        proc = cli("smtp", "check", "--root", str(repo), "--to", "zoë@example.com")
        assert proc.returncode == 1, proc.stdout
        assert "zoë@example.com has non-ASCII characters before the @, and 127.0.0.1 does not offer " \
               "SMTPUTF8" in proc.stderr
        assert "Traceback" not in proc.stderr
    finally:
        srv.stop()


def test_bad_address_skips_that_role_only(tmp_path: Path, sink: SmtpServer) -> None:
    event = sample_event("flyers", trigger="order_received", event_id="intl-3")
    event["customer"]["email"] = "ada at example.org"
    got = by_role(dispatch(tmp_path, sink.port, event))
    assert got["customer"]["status"] == "skipped"
    assert "'ada at example.org' contains a space" in got["customer"]["reason"]
    assert got["operator"]["status"] == "sent"
    assert len(sink.wait_for(1)) == 1
