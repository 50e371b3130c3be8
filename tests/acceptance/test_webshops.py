"""Webshops through the real CLI: an unknown id is never silent, an address-only sender keeps the
display name, and a shop's own cc, reply_to and order_url reach the email."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

LIBRARY = """name: Library shop
sender: {address: library@example.com}
cc: [library-archive@example.com]
reply_to: help@library.example.com
order_url: "https://library.example.com/orders/{order_number}"
"""


def _repo(tmp: Path, port: int = 2525) -> Path:
    repo = make_repo(tmp / "repo", port=port)
    (repo / "config" / "webshops" / "library.yaml").write_text(LIBRARY, encoding="utf-8")
    return repo


def _plan(bundle: Path, tmp: Path, **changes: Any) -> dict[str, Any]:
    event = sample_event("flyers", trigger="proof_ready", event_id="evt-shop", **changes)
    got = outcome(cli("plan", "--bundle", str(bundle), "--event", str(write_event(tmp, event)),
                      "--attachments-root", str(SAMPLES / "files"), "--out", str(tmp / "out")))
    (m,) = got["messages"]
    m["text"] = Path(m["files"]["text"]).read_text(encoding="utf-8")
    result: dict[str, Any] = m
    return result


def test_a_shops_own_settings_reach_the_email(tmp_path: Path) -> None:
    m = _plan(build_bundle(_repo(tmp_path)), tmp_path, webshop="library")
    assert m["from"] == "Print Room <library@example.com>"  # the display name is kept
    assert m["reply_to"] == "help@library.example.com"
    assert m["cc"] == ["archive@example.com", "library-archive@example.com"]
    assert "https://library.example.com/orders/PO-1001" in m["text"]
    assert "print.example.com/orders" not in m["text"]
    assert m["notes"] == []


def test_an_unknown_webshop_is_named_in_the_outcome(tmp_path: Path) -> None:
    m = _plan(build_bundle(_repo(tmp_path)), tmp_path, webshop="libary")
    assert m["from"] == "Print Room <printroom@example.com>"
    assert m["notes"] == ["webshop `libary` is not configured (known: campus, library, staff): sent with "
                          "the print room's sender and settings"]
    queued = outcome(cli("dispatch", "--bundle", str(build_bundle(_repo(tmp_path / "d"))), "--event",
                         str(write_event(tmp_path, sample_event("flyers", trigger="proof_ready",
                                                                 event_id="evt-unknown-shop",
                                                                 webshop="libary"))),
                         "--outbox", str(tmp_path / "o.sqlite"), "--attachments-root", str(SAMPLES / "files"),
                         "--queue-only"))
    (msg,) = queued["messages"]
    assert "webshop `libary` is not configured" in msg["reason"]


def test_reply_to_is_a_header_of_the_sent_email(tmp_path: Path, smtp_server: SmtpServer,
                                               sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, smtp_server.port))
    event = write_event(tmp_path, sample_event("flyers", trigger="proof_ready", event_id="evt-reply",
                                               webshop="library"))
    got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox",
                      str(tmp_path / "o.sqlite"), "--attachments-root", str(SAMPLES / "files"),
                      env={"MAILGITOPS_DELIVERY": "production"}))
    assert got["messages"][0]["status"] == "sent", json.dumps(got)
    msg = sink.wait_for(1)[0].message
    assert msg["Reply-To"] == "help@library.example.com"
    assert msg["From"] == "Print Room <library@example.com>"
    assert msg["Cc"] == "archive@example.com, library-archive@example.com"


def test_a_bad_shop_address_is_located(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "config" / "webshops" / "library.yaml").write_text(
        LIBRARY.replace("help@library.example.com", "help@library"), encoding="utf-8")
    proc = cli("validate", "--root", str(repo))
    assert proc.returncode == 1
    assert "config/webshops/library.yaml:4:" in proc.stderr + proc.stdout
    assert "reply_to address `help@library`" in proc.stderr + proc.stdout
