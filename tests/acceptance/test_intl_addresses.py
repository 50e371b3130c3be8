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
    event = sample_event("flyers", trigger="order_received", event_id="intl-1")
    event["customer"]["email"] = "zoë@bücher.example"
    event["operator"]["email"] = "ada@bücher.example"
    got = by_role(dispatch(tmp_path, mta.port, event))
    assert got["customer"]["status"] == "sent" and got["operator"]["status"] == "sent", got
    zoe = mta.wait_for("zoë@xn--bcher-kva.example")[0]
    assert "zoë@xn--bcher-kva.example" in str(zoe["To"])
    ada = mta.wait_for("ada@xn--bcher-kva.example")[0]
    assert "ada@xn--bcher-kva.example" in str(ada["To"])


def test_utf8_local_part_without_smtputf8_refuses_only_that_recipient(tmp_path: Path) -> None:
    sink = SmtpServer(smtputf8=False).start()
    event = sample_event("flyers", trigger="order_received", event_id="intl-2")
    event["customer"]["email"] = "zoë@example.com"
    try:
        got = by_role(dispatch(tmp_path, sink.port, event))
    finally:
        sink.stop()
    customer, operator = got["customer"], got["operator"]
    assert customer["status"] == "failed"
    assert "zoë@example.com" in customer["reason"] and "SMTPUTF8" in customer["reason"]
    assert "before the @" in customer["reason"]
    assert operator["status"] == "sent"
    assert [m.rcpts for m in sink.wait_for(1)] == [[event["operator"]["email"], "archive@example.com"]]
    assert len(sink.messages) == 1, "the customer's message (UTF-8 headers) went to nobody"


def test_bad_address_skips_that_role_only(tmp_path: Path, sink: SmtpServer) -> None:
    event = sample_event("flyers", trigger="order_received", event_id="intl-3")
    event["customer"]["email"] = "ada at example.org"
    got = by_role(dispatch(tmp_path, sink.port, event))
    assert got["customer"]["status"] == "skipped"
    assert "'ada at example.org' is not one email address" in got["customer"]["reason"]
    assert got["operator"]["status"] == "sent"
    assert len(sink.wait_for(1)) == 1
