"""`mailgitops smtp check` against this run's Postfix: a dry transaction (EHLO, STARTTLS or TLS,
AUTH, MAIL FROM, RCPT TO, RSET, QUIT) that sends nothing, names the stage that failed with the
server's reply and a hint, tells a tls/starttls port mix-up, and warns about the EHLO name and
the size limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from support.dispatchrepo import cli, make_repo
from support.postfix import DEFERRED_DOMAIN, REFUSED_DOMAIN, SIZE_LIMIT, Postfix
from support.smtpd import SmtpServer, make_cert

AUTH = {"mode": "custom", "username": "printroom", "password_env": "MG_TEST_POSTFIX_PASSWORD"}


def repo_for(tmp: Path, pf: Postfix, *, port: int | None = None, security: str = "starttls",
             ca_pem: Path | None = None, server: dict[str, Any] | None = None,
             limits: dict[str, int] | None = None, **kw: Any) -> Path:
    repo = make_repo(tmp / "repo", port=port or pf.port, security=security,
                     ca_pem=ca_pem or (pf.ca_pem if security != "none" else None),
                     auth=kw.pop("auth", AUTH), **kw)
    path = repo / "config" / "smtp.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["server"].update(server or {})
    # below the test server's limit unless a test says otherwise: no warning about it
    data["limits"] = limits or {"max_message_bytes": SIZE_LIMIT // 2}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return repo


def check(repo: Path, pf: Postfix, *args: str) -> Any:
    return cli("smtp", "check", "--root", str(repo), *args, env={"MG_TEST_POSTFIX_PASSWORD": pf.password})


def test_dry_transaction_passes_every_stage_and_sends_nothing(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, server={"helo_name": "mail.printroom.example"})
    checks = mta.log.count("rset=1 quit=1")
    proc = check(repo, mta, "--to", "someone@example.net")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for step in ("greeted as mail.printroom.example", "TLS (starttls)",
                 "authenticated as printroom (CRAM-MD5)",
                 "SMTPUTF8 offered", "MAIL FROM:<printroom@example.com> accepted",
                 "RCPT TO:<someone@example.net> accepted",
                 "nothing was sent", f"server's message size limit: {SIZE_LIMIT:,} bytes (configured: "
                 f"{SIZE_LIMIT // 2:,} bytes)"):
        assert step in out, out
    # the name is qualified, no limit is configured above the server's: the only warning is for
    # the example addresses this test's repository keeps, listed first
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("warning: 5 example addresses (domains reserved for examples, where no "
                               "mail arrives) still in the settings;"), proc.stderr
    assert "  config/smtp.yaml cc: archive@example.com" in lines
    assert all(line.startswith("  config/") for line in lines[1:]), proc.stderr
    # the check's own session: the one that ends with RSET and QUIT (another test's sender may
    # still be talking to this Postfix, so "the last session" need not be this one)
    log = mta.wait_log("rset=1 quit=1", checks + 1)
    ours = [line for line in log.splitlines() if "rset=1 quit=1" in line][-1]
    assert "mail=1 rcpt=1 rset=1 quit=1" in ours and "data=" not in ours, ours
    assert mta.mailbox("someone@example.net") == []


def test_refused_recipient_is_named_with_the_reply(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta)
    proc = check(repo, mta, "--to", f"ann@{REFUSED_DOMAIN}")
    assert proc.returncode == 1
    assert "failed at RCPT TO" in proc.stderr and "550 5.7.1" in proc.stderr and "hint:" in proc.stderr
    proc = check(repo, mta, "--to", f"bob@{DEFERRED_DOMAIN}")
    assert proc.returncode == 75, "a 4xx is temporary: try again later"
    assert "failed at RCPT TO" in proc.stderr and "450 4.7.1" in proc.stderr


def test_relay_denied_without_auth(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, auth={"mode": "anonymous"})
    proc = check(repo, mta, "--to", "someone@elsewhere.example")
    assert proc.returncode == 1
    assert "failed at RCPT TO" in proc.stderr and "Relay access denied" in proc.stderr
    assert "authenticate (auth.mode: custom)" in proc.stderr


def test_must_issue_starttls_first_is_caught_at_mail_from(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, port=mta.encrypt_port, security="none", auth={"mode": "anonymous"})
    proc = check(repo, mta)
    assert proc.returncode == 1
    assert "failed at MAIL FROM" in proc.stderr and "530" in proc.stderr and "STARTTLS" in proc.stderr
    assert "security: starttls" in proc.stderr


def test_tls_starttls_port_mixups_are_named(tmp_path: Path, mta: Postfix) -> None:
    proc = check(repo_for(tmp_path / "a", mta, port=mta.port, security="tls"), mta)
    assert proc.returncode == 1
    assert "speaks plain SMTP" in proc.stderr and "security: starttls" in proc.stderr
    proc = check(repo_for(tmp_path / "b", mta, port=mta.tls_port, security="starttls", timeout=1), mta)
    assert proc.returncode == 1
    assert "expects implicit TLS" in proc.stderr and "security: tls" in proc.stderr


def test_certificate_hint_never_suggests_the_setting_already_there(tmp_path: Path, mta: Postfix) -> None:
    other = make_cert(tmp_path / "other")  # a CA that did not issue Postfix's certificate
    proc = check(repo_for(tmp_path, mta, ca_pem=other.cert_pem), mta)
    assert proc.returncode == 1 and "not trusted" in proc.stderr
    assert "server.ca_file did not issue this one" in proc.stderr
    assert "trust it with server.ca_file" not in proc.stderr


def test_non_fqdn_helo_name_warned_and_refused_by_a_checking_server(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, port=mta.helo_port, server={"helo_name": "printroom"})
    proc = check(repo, mta)
    assert "warning: the EHLO name 'printroom' is not fully qualified" in proc.stderr
    assert proc.returncode == 1
    assert "504 5.5.2" in proc.stderr and "server.helo_name" in proc.stderr
    repo = repo_for(tmp_path / "fqdn", mta, port=mta.helo_port,
                    server={"helo_name": "mail.printroom.example"})
    proc = check(repo, mta)
    assert proc.returncode == 0, proc.stderr
    assert "not fully qualified" not in proc.stderr


def test_configured_size_limit_above_the_servers_is_warned(tmp_path: Path, mta: Postfix) -> None:
    repo = repo_for(tmp_path, mta, limits={"max_message_bytes": 5_000_000})
    proc = check(repo, mta)
    assert proc.returncode == 0, proc.stderr
    assert f"the server's message size limit: {SIZE_LIMIT:,} bytes" in proc.stdout
    assert "warning: the configured maximum message size (5,000,000 bytes) is larger than the server " \
           f"accepts ({SIZE_LIMIT:,} bytes)" in proc.stderr


def test_a_password_file_others_can_read_is_warned(tmp_path: Path, mta: Postfix) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text(mta.password + "\n", encoding="utf-8")
    secret.chmod(0o644)  # what a common umask makes of `echo ... > file`
    repo = repo_for(tmp_path, mta, server={"helo_name": "mail.printroom.example"},
                    auth={"mode": "custom", "username": "printroom", "password_file": str(secret)})
    proc = cli("smtp", "check", "--root", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert (f"warning: auth.password_file {secret} can be read by other users of this machine (mode 0644): "
            f"make it the service user's alone, chmod 600 {secret}") in proc.stderr
    assert mta.password not in proc.stderr + proc.stdout
    secret.chmod(0o600)
    proc = cli("smtp", "check", "--root", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "password_file" not in proc.stderr


def test_the_example_addresses_are_named_when_the_server_is_down_too(tmp_path: Path) -> None:
    """A new repository checked before its server is set up: the check fails at connect (75, try
    again), and the example addresses still in the settings are named as well; they were said only
    after a check that passed."""
    from support.smtpd import free_port

    repo = make_repo(tmp_path / "repo", port=free_port())  # nothing listens there
    proc = cli("smtp", "check", "--root", str(repo))
    assert proc.returncode == 75, proc.stderr
    assert "failed at connect" in proc.stderr and "refused the connection" in proc.stderr
    assert "example addresses (domains reserved for examples, where no mail arrives)" in proc.stderr
    assert "  config/smtp.yaml cc: archive@example.com" in proc.stderr.splitlines()


def test_a_sender_every_email_would_be_refused_with_fails_the_check(tmp_path: Path) -> None:
    """`printroom@printroom.test` (a name reserved for testing): validate and send-test refuse it,
    dispatch would refuse every email, and smtp check said ok (a mail operations walk)."""
    from support.smtpd import free_port

    repo = make_repo(tmp_path / "repo", port=free_port())
    path = repo / "config" / "smtp.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sender"]["address"] = "printroom@printroom.test"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    proc = cli("smtp", "check", "--root", str(repo))
    assert proc.returncode == 1, proc.stderr  # the address, before any server is asked
    assert "sender.address 'printroom@printroom.test' is not a valid address" in proc.stderr
    assert "ok:" not in proc.stdout


def test_send_test_to_a_refused_recipient_says_what_to_do(tmp_path: Path, mta: Postfix) -> None:
    """send-test said only the server's reply, where `smtp check` gives the fix (a mail operations
    walk)."""
    repo = repo_for(tmp_path, mta)
    proc = cli("smtp", "send-test", "--root", str(repo), "--to", f"someone@{REFUSED_DOMAIN}",
               env={"MG_TEST_POSTFIX_PASSWORD": mta.password})
    assert proc.returncode == 1, proc.stderr
    assert "the test email was not accepted:" in proc.stderr
    assert f"hint: the server refused someone@{REFUSED_DOMAIN}: try another address with --to" in proc.stderr


def test_a_refusal_says_what_was_sent_then_what_the_server_answered(tmp_path: Path, sink: SmtpServer) -> None:
    """It read backwards: `127.0.0.1 answered 553 5.7.1 Sender address rejected: not owned by user
    to MAIL FROM:<...>` (a mail operations walk); and a connection dropped at RCPT TO was said to
    have failed at MAIL FROM, which the server had accepted."""
    repo = make_repo(tmp_path / "repo", port=sink.port)
    sink.faults.add("MAIL", "553 5.7.1 Sender address rejected: not owned by user")
    proc = cli("smtp", "check", "--root", str(repo))
    assert proc.returncode == 1, proc.stderr
    assert ("error: smtp check failed at MAIL FROM: MAIL FROM:<printroom@example.com> was refused: "
            "127.0.0.1 answered 553 5.7.1 Sender address rejected: not owned by user") in proc.stderr
    sink.faults.add("RCPT", "450 4.7.1 Recipient deferred")
    proc = cli("smtp", "check", "--root", str(repo), "--to", "ann@example.net")
    assert proc.returncode == 75, proc.stderr
    assert ("smtp check failed at RCPT TO: RCPT TO:<ann@example.net> was refused: 127.0.0.1 answered "
            "450 4.7.1 Recipient deferred") in proc.stderr
    sink.faults.add("RCPT", "drop")
    proc = cli("smtp", "check", "--root", str(repo), "--to", "ann@example.net")
    assert proc.returncode == 75, proc.stderr
    assert "smtp check failed at RCPT TO: 127.0.0.1 dropped the connection" in proc.stderr
