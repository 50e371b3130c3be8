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


def test_idna_domain_reaches_postfix_and_a_utf8_local_part_is_named(tmp_path: Path, mta: Postfix) -> None:
    """An internationalised domain travels in its IDNA form; letters beyond ASCII before the @
    are not sent (addresses.py's rule): that message alone is skipped, the reason says why."""
    event = sample_event("flyers", trigger="order_received", event_id="intl-1")
    event["customer"]["email"] = "zoë@example.com"
    event["operator"]["email"] = "ada@bücher.example"
    got = by_role(dispatch(tmp_path, mta.port, event))
    assert got["operator"]["status"] == "sent", got
    ada = mta.wait_for("ada@xn--bcher-kva.example")[0]
    assert "ada@xn--bcher-kva.example" in str(ada["To"])
    customer = got["customer"]
    assert customer["status"] == "skipped"
    assert "'zoë@example.com' has non-ASCII letters before the `@`" in customer["reason"]
    assert "SMTPUTF8" in customer["reason"]


def test_bad_address_skips_that_role_only(tmp_path: Path, sink: SmtpServer) -> None:
    event = sample_event("flyers", trigger="order_received", event_id="intl-3")
    event["customer"]["email"] = "ada at example.org"
    got = by_role(dispatch(tmp_path, sink.port, event))
    assert got["customer"]["status"] == "skipped"
    assert "'ada at example.org' contains a space" in got["customer"]["reason"]
    assert got["operator"]["status"] == "sent"
    assert len(sink.wait_for(1)) == 1
