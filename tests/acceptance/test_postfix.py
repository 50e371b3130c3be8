"""Sending through a real Postfix (this run's own instance, support/postfix.py): STARTTLS and
implicit TLS trusted through a CA file, SASL authentication, recipient refusals and deferrals as a
real server words them; the delivered mailboxes are read back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from mailgitops.dispatch.smtp import Connection, ServerConfig
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.postfix import DEFERRED_DOMAIN, REFUSED_DOMAIN, SIZE_LIMIT, Postfix

AUTH = {"mode": "custom", "username": "printroom", "password_env": "MG_TEST_POSTFIX_PASSWORD"}


def env(pf: Postfix) -> dict[str, str]:
    return {"MG_TEST_POSTFIX_PASSWORD": pf.password}


def repo_for(tmp: Path, pf: Postfix, *, port: int | None = None, security: str = "starttls",
             **kw: Any) -> Path:
    return make_repo(tmp / "repo", port=port or pf.port, security=security, ca_pem=pf.ca_pem,
                     auth=kw.pop("auth", AUTH), **kw)


def dispatch(tmp: Path, repo: Path, pf: Postfix, event: dict[str, Any],
             files: Path = SAMPLES / "files") -> Any:
    bundle = build_bundle(repo)
    path = write_event(tmp, event)
    return cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox",
               str(tmp / "outbox.sqlite"), "--attachments-root", str(files), env=env(pf))


def test_dispatch_through_postfix_reaches_the_customers_mailbox(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta)
    event = sample_event("flyers", trigger="order_received", event_id="pf-1")
    customer = event["customer"]["email"]
    got = outcome(dispatch(tmp_path, repo, mta, event))
    assert [m["status"] for m in got["messages"]] == ["sent"]
    delivered = mta.wait_for(customer)[0]
    assert delivered["Message-ID"] == got["messages"][0]["message_id"]
    assert "campus@example.com" in str(delivered["From"]) and customer in str(delivered["To"])
    assert delivered["Subject"]
    archive = mta.wait_for("archive@example.com")[0]
    assert archive["Message-ID"] == delivered["Message-ID"]
    # Postfix records how it was handed over: encrypted and authenticated
    assert "sasl_username=printroom@" in mta.log


def test_smtp_check_and_send_test_through_implicit_tls(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, port=mta.tls_port, security="tls")
    proc = cli("smtp", "check", "--root", str(repo), env=env(mta))
    assert proc.returncode == 0, proc.stderr
    assert "the configured ca_file" in proc.stdout and "authenticated as printroom" in proc.stdout
    proc = cli("smtp", "send-test", "--root", str(repo), "--to", "frontdesk@example.net", env=env(mta))
    assert proc.returncode == 0, proc.stderr
    assert mta.wait_for("frontdesk@example.net")[0]["Subject"] == "mailgitops test email"


def test_wrong_password_is_one_failed_login_and_sends_nothing(tmp_path: Path, mta: Postfix) -> None:
    """One mechanism per attempt (the strongest offered: CRAM-MD5 here), so a wrong password
    costs one failed login, not one per mechanism (fail2ban counts them)."""
    repo = repo_for(tmp_path, mta)
    before, sessions = mta.log.count("authentication failed"), mta.sessions()
    proc = cli("smtp", "send-test", "--root", str(repo), "--to", "nobody-gets@example.net",
               env={"MG_TEST_POSTFIX_PASSWORD": "wrong"})
    assert proc.returncode == 1
    assert "rejected the user name or password" in proc.stderr and "535" in proc.stderr
    assert mta.mailbox("nobody-gets@example.net") == []
    mta.wait_log("disconnect from", sessions + 1)  # the session is over: all its lines are logged
    failures = [line for line in mta.log.splitlines() if "authentication failed" in line][before:]
    assert len(failures) == 1 and "SASL CRAM-MD5" in failures[0], failures


def test_refused_and_deferred_recipients_are_told_apart(mta: Postfix) -> None:
    """The transport's per-recipient result: Postfix's own 550 and 450 at RCPT (read from one
    pipelined exchange, Postfix offers PIPELINING), while the recipient it accepts gets it."""
    cfg = ServerConfig(host="127.0.0.1", port=mta.port, security="starttls",
                       ca_pem=mta.ca_pem.read_text(encoding="utf-8"), auth_mode="custom",
                       username=mta.user, password_env="PW")
    conn = Connection(cfg, env={"PW": mta.password})
    conn.open()
    assert conn.smtp is not None and conn.smtp.has_extn("pipelining")  # the replies below came pipelined
    refused, deferred = f"ann@{REFUSED_DOMAIN}", f"bob@{DEFERRED_DOMAIN}"
    try:
        got = conn.deliver("printroom@example.com", [refused, deferred, "cc-copy@example.com"],
                           b"From: printroom@example.com\r\nSubject: split\r\n\r\nhello\r\n")
    finally:
        conn.close()
    assert got.accepted == ("cc-copy@example.com",)
    assert got.permanent[refused].startswith("550 5.7.1") and refused in got.permanent[refused]
    assert got.temporary[deferred].startswith("450 4.7.1")
    assert mta.wait_for("cc-copy@example.com")[0]["Subject"] == "split"


def big_event(tmp: Path, size: int, event_id: str) -> tuple[dict[str, Any], Path]:
    root = tmp / "files"
    root.mkdir(exist_ok=True)
    # random bytes: base64 makes them a third larger, as a real PDF would be
    (root / "proof.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(size))
    event = sample_event("flyers", trigger="order_received", event_id=event_id,
                         operator_attachments=["proof.pdf"])
    return event, root


def test_message_over_the_servers_size_fails_at_once_naming_both_sizes(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta)
    event, root = big_event(tmp_path, SIZE_LIMIT, "pf-big")
    sessions = mta.sessions()
    proc = dispatch(tmp_path, repo, mta, event, root)
    msg = json.loads(proc.stdout)["messages"][0]
    assert msg["status"] == "failed", msg
    assert f"more than the {SIZE_LIMIT:,} bytes 127.0.0.1 accepts" in msg["reason"]
    size = int(msg["reason"].split("the message is ")[1].split(" bytes")[0].replace(",", ""))
    assert size > SIZE_LIMIT
    mta.wait_log("disconnect from", sessions + 1)
    mta.sessions()
    assert "mail=" not in mta.log.split("disconnect from")[-1], "nothing is uploaded to be refused"
    assert mta.mailbox(event["customer"]["email"]) == []


def test_configured_limits_refuse_before_anything_is_sent(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta)
    smtp = repo / "config" / "smtp.yaml"
    data = yaml.safe_load(smtp.read_text(encoding="utf-8"))
    data["limits"] = {"max_attachment_bytes": 50_000}
    smtp.write_text(yaml.safe_dump(data), encoding="utf-8")
    event, root = big_event(tmp_path, 60_000, "pf-attach")
    proc = dispatch(tmp_path, repo, mta, event, root)
    assert proc.returncode == 1
    assert "more than the 50,000 allowed (limits.max_attachment_bytes in config/smtp.yaml)" in proc.stderr
    data["limits"] = {"max_message_bytes": 60_000}
    smtp.write_text(yaml.safe_dump(data), encoding="utf-8")
    event, root = big_event(tmp_path, 50_000, "pf-message")
    msg = json.loads(dispatch(tmp_path, repo, mta, event, root).stdout)["messages"][0]
    assert msg["status"] == "failed"
    assert "more than the 60,000 bytes allowed by limits.max_message_bytes" in msg["reason"]
