"""The token rules: refused start without one, loopback-only escape hatch, constant-time check."""

from __future__ import annotations

import pytest

from mailgitops.errors import ExitCode, UsageError
from mailgitops.serve.auth import authorized, is_loopback, startup_token


def test_a_token_is_required_to_start() -> None:
    with pytest.raises(UsageError) as e:
        startup_token(None, "127.0.0.1", allow_tokenless=False)
    assert e.value.exit_code == ExitCode.USAGE
    assert "MAILGITOPS_API_TOKEN" in str(e.value)
    with pytest.raises(UsageError):
        startup_token("", "127.0.0.1", allow_tokenless=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "print.example.com"])
def test_no_token_is_refused_off_loopback(host: str) -> None:
    with pytest.raises(UsageError) as e:
        startup_token(None, host, allow_tokenless=True)
    assert "loopback" in str(e.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_no_token_on_loopback_with_the_flag(host: str) -> None:
    assert is_loopback(host)
    assert startup_token(None, host, allow_tokenless=True) is None


def test_a_set_token_is_always_used() -> None:
    token = "s" * 32
    assert startup_token(token, "0.0.0.0", allow_tokenless=True) == token


@pytest.mark.parametrize("token", ["s3cret", "Q" * 31, "ü" * 15 + "Q"])  # the last: 31 bytes in UTF-8
def test_a_token_shorter_than_32_bytes_is_refused(token: str) -> None:
    with pytest.raises(UsageError) as e:
        startup_token(token, "127.0.0.1", allow_tokenless=True)
    assert e.value.exit_code == ExitCode.USAGE
    assert "shorter than 32 bytes" in str(e.value)
    assert token not in str(e.value)


@pytest.mark.parametrize(("header", "ok"), [
    ("Bearer s3cret", True), ("bearer s3cret", True), ("Bearer  s3cret ", True),
    (None, False), ("", False), ("Bearer", False), ("Bearer s3cre", False), ("Bearer s3cretX", False),
    ("Basic s3cret", False), ("s3cret", False), ("Bearer sécret", False),
])
def test_bearer_header(header: str | None, ok: bool) -> None:
    assert authorized(header, "s3cret") is ok


def test_no_token_lets_everyone_in() -> None:
    assert authorized(None, None)
