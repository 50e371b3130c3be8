"""smtp checks: port/mode pairs, auth completeness, cleartext AUTH, certificate trust."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import smtp
from mailgitops.diagnostics import Severity
from mailgitops.repo import load_repo


def run(root: Path, server: str, auth: str = "auth:\n  mode: anonymous\n") -> list[tuple[str, str]]:
    (root / "config/smtp.yaml").write_text(
        f"sender: {{address: a@example.com}}\nserver:\n{server}{auth}", encoding="utf-8")
    return sorted((d.code, d.severity.value) for d in smtp.check(load_repo(root)))


@pytest.mark.parametrize(
    ("port", "mode", "expected"),
    [
        (25, "none", []), (587, "starttls", []), (465, "tls", []), (2525, "starttls", []),
        (465, "starttls", [("port-security-mismatch", "warning")]),
        (587, "tls", [("port-security-mismatch", "warning")]),
        (25, "tls", [("port-security-mismatch", "warning")]),
    ],
)
def test_port_and_mode(repo_copy: Path, port: int, mode: str, expected: list[tuple[str, str]]) -> None:
    assert run(repo_copy, f"  host: smtp.example.com\n  port: {port}\n  security: {mode}\n") == expected


def test_mismatch_hint_names_the_usual_pairing(repo_copy: Path) -> None:
    (repo_copy / "config/smtp.yaml").write_text(
        "sender: {address: a@example.com}\nserver: {host: h.example.com, port: 465, security: starttls}\n",
        encoding="utf-8")
    [d] = smtp.check(load_repo(repo_copy))
    assert d.severity is Severity.WARNING
    assert "use port 587 with `starttls`, or security `tls` with port 465" in (d.hint or "")


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ("auth: {mode: custom, username: u, password_env: P}\n", []),
        ("auth: {mode: custom, password_env: P}\n", ["auth-incomplete"]),
        ("auth: {mode: custom, username: u}\n", ["auth-incomplete"]),
        ("auth: {mode: custom}\n", ["auth-incomplete", "auth-incomplete"]),
    ],
)
def test_custom_auth_needs_user_and_password_reference(repo_copy: Path, auth: str,
                                                        expected: list[str]) -> None:
    server = "  host: smtp.example.com\n  port: 587\n  security: starttls\n"
    assert [c for c, _ in run(repo_copy, server, auth)] == expected


@pytest.mark.parametrize(("host", "expected"), [
    ("smtp.example.com", ["auth-cleartext"]), ("localhost", []), ("127.0.0.1", []), ("[::1]", []),
])
def test_auth_over_cleartext_only_to_loopback(repo_copy: Path, host: str, expected: list[str]) -> None:
    server = f'  host: "{host}"\n  port: 25\n  security: none\n'
    auth = "auth: {mode: custom, username: u, password_env: P}\n"
    assert [c for c, _ in run(repo_copy, server, auth)] == expected


@pytest.mark.parametrize(("pin", "ok"), [
    ("a" * 64, True), (":".join(["AB"] * 32), True), ("a" * 63, False), ("sha256/" + "A" * 43 + "=", False),
    ("g" * 64, False), ("ab:" * 31 + "a", False),
])
def test_pin_format(repo_copy: Path, pin: str, ok: bool) -> None:
    server = f'  host: h.example.com\n  port: 465\n  security: tls\n  pin_sha256: "{pin}"\n'
    assert run(repo_copy, server) == ([] if ok else [("bad-pin", "error")])


def test_self_signed_needs_a_trusted_certificate(repo_copy: Path) -> None:
    base = "  host: h.example.com\n  port: 465\n  security: tls\n  allow_self_signed: true\n"
    assert run(repo_copy, base) == [("self-signed-untrusted", "error")]
    (repo_copy / "certs").mkdir()
    cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    (repo_copy / "certs/smtp.pem").write_text(cert)
    assert run(repo_copy, base + "  ca_file: certs/smtp.pem\n") == []
    assert run(repo_copy, base + "  ca_file: certs/other.pem\n") == [("ca-file-missing", "error")]
    assert run(repo_copy, base + "  ca_file: ../smtp.pem\n") == [("ca-file-outside", "error")]


def test_ca_file_symlink_out_of_the_repository(repo_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.pem"
    outside.write_text("-----BEGIN CERTIFICATE-----\n")
    (repo_copy / "certs").mkdir()
    (repo_copy / "certs/smtp.pem").symlink_to(outside)
    server = "  host: h.example.com\n  port: 465\n  security: tls\n  ca_file: certs/smtp.pem\n"
    assert run(repo_copy, server) == [("ca-file-outside", "error")]
