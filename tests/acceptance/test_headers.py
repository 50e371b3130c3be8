"""Headers and envelope through the CLI and this run's Postfix: `bcc` (config/smtp.yaml and a
trigger) reaches its mailbox but no header; `reply_to` of the print room and of a webshop; the
workflow's `timezone` in the email's dates; no auto-replies (X-Auto-Response-Suppress)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, sample_event, write_event
from support.postfix import Postfix


def repo(tmp: Path, pf: Postfix, smtp: dict[str, Any], trigger: dict[str, Any],
         timezone: str = "America/New_York") -> Path:
    root = make_repo(tmp / "repo", port=pf.port, triggers={"order_received_operator": trigger})
    path = root / "config" / "smtp.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text(encoding="utf-8")), **smtp}),
                    encoding="utf-8")
    wf = root / "config" / "workflow.yaml"
    wf.write_text(yaml.safe_dump({**yaml.safe_load(wf.read_text(encoding="utf-8")), "timezone": timezone}),
                  encoding="utf-8")
    return root


def dispatch(tmp: Path, root: Path, event: dict[str, Any]) -> dict[str, Any]:
    proc = cli("dispatch", "--bundle", str(build_bundle(root)), "--event", str(write_event(tmp, event)),
               "--outbox", str(tmp / "outbox.sqlite"), "--attachments-root", str(SAMPLES / "files"))
    assert proc.returncode == 0, proc.stderr
    got: dict[str, Any] = json.loads(proc.stdout)
    return got


def test_bcc_reply_to_and_timezone(tmp_path: Path, mta: Postfix) -> None:
    root = repo(tmp_path, mta, {"bcc": "records@example.net", "reply_to": "desk@example.com"},
                {"bcc": ["audit@example.net"]})
    event = sample_event("flyers", trigger="order_received", event_id="hdr-1")
    del event["webshop"]
    event["order"]["submitted_at"] = "2026-11-20T15:30:00Z"
    got = dispatch(tmp_path, root, event)
    msg = got["messages"][0]
    assert msg["status"] == "sent", msg
    kinds = {r["address"]: (r["kind"], r["result"]) for r in msg["recipients"]}
    assert kinds["records@example.net"] == ("bcc", "accepted")
    customer = mta.wait_for(event["customer"]["email"])[0]
    copy = mta.wait_for("records@example.net")[0]
    assert copy["Message-ID"] == customer["Message-ID"]
    for m in (customer, copy):
        # what the sender wrote, not what the receiving server added (Delivered-To, X-Original-To)
        added = ("Delivered-To", "X-Original-To", "Received", "Return-Path")
        headers = "".join(f"{k}: {v}\n" for k, v in m.items() if k not in added)
        assert "records@example.net" not in headers and m["Bcc"] is None
        assert str(m["Reply-To"]) == "desk@example.com"
        assert m["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    # the trigger's own bcc goes with that trigger only
    assert mta.mailbox("audit@example.net") == []
    op_event = sample_event("flyers", trigger="order_received_operator", event_id="hdr-2")
    del op_event["webshop"]
    op_event["order"]["submitted_at"] = "2026-11-20T15:30:00Z"
    dispatch(tmp_path, root, op_event)
    audit = mta.wait_for("audit@example.net")[0]
    text = audit.get_body(("plain",))
    assert text is not None
    # 15:30 UTC is 10:30 in New York, to the minute, and the zone is named (Babel puts a narrow
    # space before AM)
    assert re.search(r"Nov 20, 2026, 10:30\WAM EST", text.get_content()), text.get_content()


def test_webshop_reply_to_wins(tmp_path: Path, mta: Postfix) -> None:
    root = repo(tmp_path, mta, {"reply_to": "desk@example.com"}, {})
    event = sample_event("flyers", trigger="order_received", event_id="hdr-3")
    assert event["webshop"] == "campus"
    dispatch(tmp_path, root, event)
    got = mta.wait_for(event["customer"]["email"])[0]
    assert str(got["Reply-To"]) == "campus@example.com"
