"""Addresses and names as they go on the wire: IDNA domains, SMTPUTF8 local parts, EHLO names,
and per-recipient replies split into code and text."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.dispatch.smtp_config import split_reply
from mailgitops.dispatch.smtp_session import default_helo
from mailgitops.dispatch.smtp_wire import encode_address, is_fqdn
from mailgitops.validate import validate_repo
from support.dispatchrepo import make_repo


def test_idna_domain_and_utf8_local_part() -> None:
    assert encode_address("ada@bücher.example", False, "mx") == ("ada@xn--bcher-kva.example", None)
    assert encode_address("zoë@example.com", True, "mx") == ("zoë@example.com", None)
    wire, why = encode_address("zoë@example.com", False, "mx.example")
    assert wire == "" and why is not None
    assert "zoë@example.com" in why and "before the @" in why and "SMTPUTF8" in why and "mx.example" in why


def test_fqdn() -> None:
    assert is_fqdn("mail.example.com") and is_fqdn("[192.0.2.1]")
    for name in ("localhost", "vm", "host.localdomain", "192.0.2.1", "bad_name.example", "-x.example"):
        assert not is_fqdn(name), name


def test_helo_name_defaults_to_the_fqdn() -> None:
    assert default_helo() == socket.getfqdn()
    assert Connection(ServerConfig("127.0.0.1", 25)).helo_name == socket.getfqdn()
    named = ServerConfig("127.0.0.1", 25, helo_name="mail.example.com")
    assert Connection(named).helo_name == "mail.example.com"


def test_split_reply() -> None:
    assert split_reply("550 5.1.1 <a@b>: no such user") == (550, "5.1.1 <a@b>: no such user")
    lost = "connection lost after the final dot: x"
    assert split_reply(lost) == (None, lost)


def _smtp_yaml(root: Path, **changes: object) -> None:
    path = root / "config" / "smtp.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data.setdefault(section, {})[name] = value
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_validate_warns_about_helo_name_and_limits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, port=2525)
    _smtp_yaml(repo, server__helo_name="printroom", limits__max_attachment_bytes=30_000_000,
               limits__max_message_bytes=10_000_000)
    got = {(d.code, d.severity) for d in validate_repo(repo).diagnostics if d.file == "config/smtp.yaml"}
    assert ("helo-not-fqdn", "warning") in got and ("limits-inconsistent", "warning") in got
    _smtp_yaml(repo, server__helo_name="not a name", limits__max_message_bytes=12)
    codes = [d.message for d in validate_repo(repo).diagnostics if d.severity == "error"]
    assert any("fully qualified" in m for m in codes) and any("1024" in m for m in codes), codes


def test_validate_names_an_unknown_timezone_and_a_bad_bcc(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, port=2525, triggers={"order_received": {"bcc": "not-an-address"}})
    wf = repo / "config" / "workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("timezone: Europe/Berlin", "timezone: Europe/Berln"),
                  encoding="utf-8")
    diags = validate_repo(repo).diagnostics
    zone = [d for d in diags if d.code == "unknown-timezone"]
    assert len(zone) == 1 and "Europe/Berlin" in (zone[0].hint or "")
    assert any(d.file == "config/workflow.yaml" and "bcc address of `order_received`" in d.message
               for d in diags), diags
