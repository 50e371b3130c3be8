"""`mailgitops serve` shows the operator console at `/` next to the JSON API: the real command on
127.0.0.1, an operator made with `mailgitops operators add`, a browser's requests through urllib."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.dispatchrepo import build_bundle, make_repo
from support.smtpd import SmtpServer, free_port

MAILGITOPS = [sys.executable, "-m", "mailgitops"]
TOKEN = "console-test-token-" + "y" * 20  # a dummy API token for this test (32+ bytes)
PASSWORD = "operator passphrase for tests"  # a throwaway password made up for this test


@pytest.fixture
def serve(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[tuple[str, dict[str, str]]]:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=smtp_server.port))
    env = {**os.environ, "MAILGITOPS_API_TOKEN": TOKEN, "MAILGITOPS_OPERATORS": str(tmp_path / "ops.sqlite"),
           "MAILGITOPS_CONSOLE_SECURE_COOKIES": "0", "MAILGITOPS_OUTBOX": str(tmp_path / "outbox.sqlite"),
           "MAILGITOPS_DELIVERY": "production"}
    added = subprocess.run([*MAILGITOPS, "operators", "add", "ada"], input=PASSWORD + "\n", env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert added.returncode == 0, added.stderr
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([*MAILGITOPS, "serve", "--bundle", str(bundle), "--port", str(port)], env=env,
                            stdout=log, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:  # ready when /health answers
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
    yield base, env
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_console_at_root_beside_the_api(serve: tuple[str, dict[str, str]]) -> None:
    base, _ = serve
    plain = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as first:
        plain.open(f"{base}/")
    first.value.close()
    assert first.value.code == 303
    assert first.value.headers["Location"] == "/sign-in?next=/"
    with pytest.raises(urllib.error.HTTPError) as api:
        plain.open(f"{base}/drafts")  # the API keeps its bearer token
    api.value.close()
    assert api.value.code == 401
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with web.open(f"{base}/sign-in") as resp:
        page = resp.read().decode()
        csp = resp.headers["Content-Security-Policy"]
    assert '<label for="username">User name</label>' in page
    assert "frame-ancestors 'none'" in csp
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode({"username": "ada", "password": PASSWORD, "csrf": token.group(1),
                                   "next": "/"}).encode()
    with web.open(f"{base}/sign-in", data=form) as resp:
        inbox = resp.read().decode()
    assert "<title>Drafts (0) · mailgitops</title>" in inbox


def test_a_forwarded_address_is_not_taken_for_the_clients(serve: tuple[str, dict[str, str]],
                                                          tmp_path: Path) -> None:
    """X-Forwarded-For from a local client was trusted: any address in the sign-in log, and a
    guesser changing it got past the throttle per address (a security review)."""
    base, _ = serve
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with web.open(f"{base}/sign-in") as resp:
        token = re.search(r'name="csrf" value="([^"]+)"', resp.read().decode())
    assert token is not None
    form = urllib.parse.urlencode({"username": "ada", "password": "wrong", "csrf": token.group(1),
                                   "next": "/"}).encode()
    request = urllib.request.Request(f"{base}/sign-in", data=form, headers={"X-Forwarded-For": "203.0.113.9"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        web.open(request)
    refused.value.close()
    assert refused.value.code == 401
    deadline = time.monotonic() + 5
    while "sign-in failed" not in (logged := (tmp_path / "serve.log").read_text()):
        assert time.monotonic() < deadline, logged
        time.sleep(0.05)
    assert "sign-in failed for operator ada from 127.0.0.1" in logged, logged
    assert "203.0.113.9" not in logged


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_cookies_without_secure_are_refused_where_other_machines_listen(
        tmp_path: Path, smtp_server: SmtpServer, host: str) -> None:
    """Plain http on a reachable address: passwords and session cookies in clear on the network."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=smtp_server.port))
    env = {**os.environ, "MAILGITOPS_API_TOKEN": TOKEN, "MAILGITOPS_OPERATORS": str(tmp_path / "ops.sqlite"),
           "MAILGITOPS_CONSOLE_SECURE_COOKIES": "0", "MAILGITOPS_OUTBOX": str(tmp_path / "outbox.sqlite")}
    try:
        proc = subprocess.run([*MAILGITOPS, "serve", "--bundle", str(bundle), "--host", host,
                               "--port", str(free_port())], env=env, capture_output=True, text=True,
                              timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve started on {host} with cookies that travel over plain http")
    assert proc.returncode == 2, proc.stderr
    assert f"MAILGITOPS_CONSOLE_SECURE_COOKIES=0 is refused on {host}" in proc.stderr
    assert "HTTPS reverse proxy" in proc.stderr
    assert "Traceback" not in proc.stderr
