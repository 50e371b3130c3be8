"""A bounce made live by the test suite's own Postfix (tests/support/postfix.py): the dispatcher
sends through Postfix, which accepts the message (250), relays the customer's domain to a test
server that refuses the mailbox, and returns an RFC 3464 report to the sender (the webshop's address);
`bounces ingest` reads that Maildir and records the customer as bounced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.postfix import Postfix, start_postfix
from support.smtpd import SmtpServer

GONE = "ada@gone.example.net"


@pytest.fixture(scope="module")
def remote() -> Iterator[SmtpServer]:
    """The customer's mail server: it refuses the mailbox."""
    srv = SmtpServer().start()
    srv.faults.refuse[GONE] = "550 5.1.1 <ada@gone.example.net>: mailbox unavailable"
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def postfix(remote: SmtpServer) -> Iterator[Postfix]:
    pf = start_postfix()
    try:
        # gone.example.net is relayed to the refusing server; everything else stays as the harness set it
        with (pf.root / "etc" / "main.cf").open("a", encoding="utf-8") as f:
            f.write(f"\ntransport_maps = inline:{{ gone.example.net=smtp:[127.0.0.1]:{remote.port} }}\n"
                    "smtp_tls_security_level = none\n")
        assert pf._postfix("reload").returncode == 0, pf.log[-2000:]
        yield pf
    finally:
        pf.stop()


def test_a_bounce_postfix_sends_back_is_recorded(postfix: Postfix, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=postfix.port, security="starttls", ca_pem=postfix.ca_pem,
                     auth={"mode": "custom", "username": postfix.user, "password_env": "MG_TEST_PF_PASSWORD"})
    bundle = build_bundle(repo)
    event = sample_event("flyers")
    event["customer"] = {**event["customer"], "email": GONE}
    env = {"MG_TEST_PF_PASSWORD": postfix.password}
    outbox = tmp_path / "outbox.sqlite"
    sent = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp_path, event)),
                       "--outbox", str(outbox), env=env))
    (message,) = sent["messages"]
    assert message["status"] == "sent"  # Postfix said 250: the bounce comes later
    bounce = postfix.wait_for("campus@example.com", 1, timeout=60)[0]  # the webshop's sender (S2)
    assert bounce.get_content_type() == "multipart/report"
    proc = cli("bounces", "ingest", str(postfix.maildir), "--outbox", str(outbox))
    assert proc.returncode == 0, proc.stderr
    (recorded,) = json.loads(proc.stdout)["bounced"]
    assert (recorded["address"], recorded["status"], recorded["code"]) == (GONE, "5.1.1", 550)
    assert recorded["message_id"] == message["message_id"]
    rows = outcome(cli("outbox", "list", "--outbox", str(outbox)))["messages"]
    results = {r["address"]: r["result"] for r in rows[0]["recipients"]}
    assert results == {GONE: "bounced", "archive@example.com": "accepted"}
