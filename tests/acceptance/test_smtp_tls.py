"""S6-S11 through `mailgitops smtp check` / `send-test` and the dispatcher: STARTTLS and implicit
TLS with a self-signed certificate made here, trusted by pin and by file and refused without;
AUTH; plain words for each failure; auth/TLS failures pause sending."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.dispatch.smtp import Connection, ServerConfig, TransportError
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, sample_event
from support.smtpd import Cert, SilentServer, SmtpServer, free_port, make_cert

PASSWORD = "test-only-password"  # a throwaway for the local test server
AUTH = {"mode": "custom", "username": "printroom", "password_env": "MG_TEST_SMTP_PASSWORD"}
ENV = {"MG_TEST_SMTP_PASSWORD": PASSWORD}


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    return make_cert(tmp_path_factory.mktemp("cert"))


@pytest.fixture(scope="module")
def starttls(cert: Cert) -> Iterator[SmtpServer]:
    srv = SmtpServer(tls="starttls", cert=cert, users={"printroom": PASSWORD}, require_starttls=True).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def implicit(cert: Cert) -> Iterator[SmtpServer]:
    # implicit TLS: aiosmtpd cannot tell the session is encrypted, so it is told AUTH may be offered
    srv = SmtpServer(tls="tls", cert=cert, users={"printroom": PASSWORD}, auth_require_tls=False).start()
    yield srv
    srv.stop()


def check(repo: Path, env: dict[str, str] | None = None) -> Any:
    return cli("smtp", "check", "--root", str(repo), env=env)


def test_starttls_trusted_by_pin(tmp_path: Path, starttls: SmtpServer, cert: Cert) -> None:
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", pin=cert.sha256, auth=AUTH)
    proc = check(repo, ENV)
    assert proc.returncode == 0, proc.stderr
    assert "pinned certificate" in proc.stdout
    assert "authenticated as printroom" in proc.stdout
    assert starttls.messages == []


def test_starttls_trusted_by_ca_file(tmp_path: Path, starttls: SmtpServer, cert: Cert) -> None:
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", ca_pem=cert.cert_pem, auth=AUTH)
    proc = check(repo, ENV)
    assert proc.returncode == 0, proc.stderr
    assert "ca_file" in proc.stdout


def test_self_signed_refused_without_trust_and_fingerprint_shown(tmp_path: Path, starttls: SmtpServer,
                                                                 cert: Cert) -> None:
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", auth=AUTH)
    proc = check(repo, ENV)
    assert proc.returncode == 1
    assert "not trusted" in proc.stderr
    assert cert.sha256 in proc.stderr


def test_wrong_pin_is_a_mismatch_with_the_fingerprint_seen(tmp_path: Path, starttls: SmtpServer,
                                                          cert: Cert) -> None:
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", pin="ab" * 32, auth=AUTH)
    proc = check(repo, ENV)
    assert proc.returncode == 1
    assert "does not match" in proc.stderr
    assert cert.sha256 in proc.stderr


def test_implicit_tls_with_pin(tmp_path: Path, implicit: SmtpServer, cert: Cert) -> None:
    repo = make_repo(tmp_path, port=implicit.port, security="tls", pin=cert.sha256, auth=AUTH)
    proc = check(repo, ENV)
    assert proc.returncode == 0, proc.stderr
    proc = cli("smtp", "send-test", "--root", str(repo), "--to", "me@example.org", env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert implicit.wait_for(1)[0].rcpts == ["me@example.org"]
    implicit.messages.clear()


def test_auth_rejected_is_said_plainly(tmp_path: Path, starttls: SmtpServer, cert: Cert) -> None:
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", pin=cert.sha256, auth=AUTH)
    proc = check(repo, {"MG_TEST_SMTP_PASSWORD": "wrong"})
    assert proc.returncode == 1
    assert "rejected the user name or password" in proc.stderr
    proc = check(repo, {"MG_TEST_SMTP_PASSWORD": ""})
    assert proc.returncode == 1
    assert "MG_TEST_SMTP_PASSWORD" in proc.stderr


def test_a_refused_starttls_says_the_command_then_the_reply(tmp_path: Path, starttls: SmtpServer,
                                                            cert: Cert) -> None:
    """Like MAIL FROM's and RCPT TO's: what was sent first, then what the server answered to it.
    It read `127.0.0.1:N answered 554 ... at STARTTLS, before any message`."""
    repo = make_repo(tmp_path, port=starttls.port, security="starttls", pin=cert.sha256, auth=AUTH)
    starttls.faults.add("STARTTLS", "554 5.7.0 TLS not available to you")
    proc = check(repo, ENV)
    assert proc.returncode == 1, proc.stderr
    assert (f"smtp check failed at STARTTLS: STARTTLS was refused: 127.0.0.1:{starttls.port} answered "
            "554 5.7.0 TLS not available to you, before any message") in proc.stderr
    assert starttls.messages == []


def test_starttls_required_never_falls_back(tmp_path: Path) -> None:
    plain = SmtpServer().start()
    try:
        repo = make_repo(tmp_path, port=plain.port, security="starttls", pin="ab" * 32)
        proc = check(repo)
    finally:
        plain.stop()
    assert proc.returncode == 1
    assert "does not offer STARTTLS" in proc.stderr


def test_refused_and_timeout_are_said_plainly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "refused", port=free_port())
    proc = check(repo)
    assert proc.returncode == 75  # it may pass by itself: try again later
    assert "refused the connection" in proc.stderr
    silent = SilentServer().start()
    try:
        repo = make_repo(tmp_path / "silent", port=silent.port, timeout=0.3)
        proc = check(repo)
    finally:
        silent.stop()
    assert proc.returncode == 75  # it may pass by itself: try again later
    assert "no answer" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_password_over_cleartext_except_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: object, **kw: object) -> object:
        raise AssertionError("the refusal must come before any connection")

    monkeypatch.setattr(socket, "create_connection", no_network)  # nothing may leave 127.0.0.1
    cfg = ServerConfig(host="192.0.2.10", port=25, auth_mode="custom", username="u", password_env="X")
    with pytest.raises(TransportError) as e:
        Connection(cfg, env={"X": "s3cr3t-pass"}).open()
    assert e.value.kind == "cleartext-auth"
    assert "s3cr3t-pass" not in e.value.message


def test_dispatch_over_starttls_with_auth(tmp_path: Path, starttls: SmtpServer, cert: Cert,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MG_TEST_SMTP_PASSWORD", PASSWORD)
    starttls.messages.clear()
    bundle = build_bundle(make_repo(tmp_path, port=starttls.port, security="starttls", pin=cert.sha256,
                                    auth=AUTH))
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files") as d:
        got = d.handle(sample_event(trigger="order_received", event_id="tls-1")).to_json()
    assert got["messages"][0]["status"] == "sent"
    assert len(starttls.wait_for(1)) == 1


def test_auth_failure_pauses_sending_until_fixed(tmp_path: Path, starttls: SmtpServer, cert: Cert,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MG_TEST_SMTP_PASSWORD", "wrong")
    starttls.messages.clear()
    bundle = build_bundle(make_repo(tmp_path, port=starttls.port, security="starttls", pin=cert.sha256,
                                    auth=AUTH))
    policy = RetryPolicy(backoff_seconds=0.001, pause_seconds=60)
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=policy) as d:
        first = d.handle(sample_event(trigger="order_received", event_id="auth-1")).to_json()["messages"][0]
        assert first["status"] == "queued"
        assert "sending paused" in first["reason"]
        second = d.handle(sample_event(trigger="order_received", event_id="auth-2")).to_json()["messages"][0]
        assert second["status"] == "queued"
        assert d.flush().paused is not None  # the loop does not hammer the server while paused
        row = d.outbox.get(first["outbox_id"])
        assert row is not None
        assert row.attempts == 0
        monkeypatch.setenv("MG_TEST_SMTP_PASSWORD", PASSWORD)
        report = d.flush(force=True)  # `outbox flush` after the password is fixed
    assert report.sent == 2
    assert len(starttls.wait_for(2)) == 2


def _resolver_stays_local() -> str | None:
    """None when resolving a `.invalid` name cannot reach a DNS server on the network, else why."""
    import ipaddress

    try:
        nss = Path("/etc/nsswitch.conf").read_text(encoding="utf-8")
    except OSError:
        return "no /etc/nsswitch.conf: cannot tell where the resolver would ask"
    hosts = next((line.split(":", 1)[1].split() for line in nss.splitlines() if line.startswith("hosts:")),
                 [])
    if "dns" not in hosts:
        return None
    try:
        conf = Path("/etc/resolv.conf").read_text(encoding="utf-8")
    except OSError:
        return None  # no resolv.conf: glibc asks 127.0.0.1
    servers = [line.split()[1] for line in conf.splitlines() if line.startswith("nameserver") and
               len(line.split()) > 1]
    remote = [s for s in servers if not ipaddress.ip_address(s.split("%")[0]).is_loopback]
    return (f"the resolver would ask the DNS server(s) {', '.join(remote)} on the network about the "
            "`.invalid` name; this test contacts nothing beyond 127.0.0.1") if remote else None


def test_name_not_found_is_said_plainly(tmp_path: Path) -> None:
    why = _resolver_stays_local()
    if why is not None:
        pytest.skip(why)
    repo = make_repo(tmp_path, port=2525)
    smtp = repo / "config" / "smtp.yaml"
    smtp.write_text(smtp.read_text(encoding="utf-8").replace("127.0.0.1", "mail.mailgitops.invalid"),
                    encoding="utf-8")
    proc = check(repo)
    assert proc.returncode == 1
    assert "was not found" in proc.stderr
    assert "mail.mailgitops.invalid" in proc.stderr


def test_name_not_found_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same words without any resolver: getaddrinfo answers as it does for an unknown name."""
    import socket

    def no_such_name(host: str, *args: object, **kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(TransportError) as e:
        Connection(ServerConfig(host="mail.mailgitops.invalid", port=25, timeout=1)).open()
    assert e.value.kind == "dns"
    assert "'mail.mailgitops.invalid' was not found" in e.value.message


def test_auth_in_cleartext_to_loopback_with_password_file(tmp_path: Path) -> None:
    """S10: the password from password_file; AUTH without TLS is allowed only because it is 127.0.0.1."""
    pw_file = tmp_path / "smtp-password"
    pw_file.write_text(PASSWORD + "\n", encoding="utf-8")
    plain = SmtpServer(users={"printroom": PASSWORD}, auth_require_tls=False).start()
    try:
        auth = {"mode": "custom", "username": "printroom", "password_file": str(pw_file)}
        repo = make_repo(tmp_path / "repo", port=plain.port, auth=auth)
        ok = check(repo)
        pw_file.write_text("wrong\n", encoding="utf-8")
        wrong = check(repo)
    finally:
        plain.stop()
    assert ok.returncode == 0, ok.stderr
    assert "authenticated as printroom" in ok.stdout
    assert wrong.returncode == 1
    assert "rejected the user name or password" in wrong.stderr


def test_tls_failure_pauses_sending(tmp_path: Path, starttls: SmtpServer, cert: Cert) -> None:
    """A certificate that does not match the pin stops the sender instead of hammering the server."""
    starttls.messages.clear()
    bundle = build_bundle(make_repo(tmp_path, port=starttls.port, security="starttls", pin="ab" * 32))
    policy = RetryPolicy(backoff_seconds=0.001, pause_seconds=60)
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=policy) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="tls-pause")).to_json()["messages"][0]
        assert m["status"] == "queued"
        assert "sending paused" in m["reason"]
        assert cert.sha256 in m["reason"]
        assert d.flush().paused is not None
        row = d.outbox.get(m["outbox_id"])
        assert row is not None
        assert row.status == "queued"
        assert row.attempts == 0
    assert starttls.messages == []


def test_host_name_is_verified_even_for_a_trusted_ca_file(tmp_path: Path) -> None:
    """S9: trusting a certificate by file does not switch off the host-name check."""
    other = make_cert(tmp_path / "other", dns="mail.example.net", ip=None)
    srv = SmtpServer(tls="starttls", cert=other).start()
    try:
        repo = make_repo(tmp_path / "repo", port=srv.port, security="starttls", ca_pem=other.cert_pem)
        proc = check(repo)
    finally:
        srv.stop()
    assert proc.returncode == 1
    assert "not trusted" in proc.stderr
    assert "mismatch" in proc.stderr.lower()
    assert other.sha256 in proc.stderr


def test_a_password_smtplib_cannot_send_pauses_and_is_not_shown(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """smtplib's AUTH PLAIN encodes the password as ASCII: a non-ASCII one fails inside smtplib.
    It pauses sending with the row queued (not stuck `sending`), and the password is not quoted."""
    monkeypatch.setenv("MG_TEST_SMTP_PASSWORD", "p\u00e4ssw\u00f6rd")
    plain = SmtpServer(users={"printroom": PASSWORD}, auth_require_tls=False).start()
    try:
        bundle = build_bundle(make_repo(tmp_path, port=plain.port, auth=AUTH))
        policy = RetryPolicy(backoff_seconds=0.001, pause_seconds=60)
        with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                             policy=policy) as d:
            m = d.handle(sample_event(trigger="order_received", event_id="ascii")).to_json()["messages"][0]
            row = d.outbox.get(m["outbox_id"])
    finally:
        plain.stop()
    assert m["status"] == "queued"
    assert "sending paused" in m["reason"]
    assert "config/smtp.yaml" in m["reason"]
    assert row is not None
    assert row.status == "queued"
    assert row.attempts == 0
    assert "\u00e4" not in m["reason"]
    assert "\u00f6" not in m["reason"]
    assert plain.messages == []
