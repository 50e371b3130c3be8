"""`serve` at the HTTP level, through raw sockets: what uvicorn refuses by itself (a malformed
request line, two Content-Length headers), the token and the size checked before any of the body
is read, deadlines for slow heads and bodies, many idle connections that do not starve others,
a bounded stop on SIGTERM, and a short token refused at start."""

from __future__ import annotations

import logging
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.serve import app as app_mod
from mailgitops.serve import quiet_log
from mailgitops.serve import server as server_mod
from mailgitops.serve.server import Server
from mailgitops.serve.service import Service
from support.childlog import ChildLog
from support.dispatchrepo import SAMPLES, build_bundle, make_repo
from support.smtpd import SmtpServer

TOKEN = secrets.token_hex(24)  # 48 characters, made at each run: no token sits in git
FILES = SAMPLES / "files"


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=smtp_server.port))


@pytest.fixture
def server(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(app_mod, "BODY_SECONDS", 1.0)
    monkeypatch.setattr(server_mod, "HEAD_SECONDS", 1.0)
    service = Service(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=FILES, token=TOKEN)
    srv = Server(service, "127.0.0.1", 0, interval=0.05, shutdown_seconds=3).start()
    yield srv
    srv.stop()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes or goes quiet for 5 s."""
    data = b""
    sock.settimeout(5)
    try:
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and _complete(data):
                break
    except TimeoutError:
        pass
    return data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def status_of(data: bytes) -> int:
    assert data.startswith(b"HTTP/1.1 "), data[:100]
    return int(data.split(b" ", 2)[1])


def test_a_malformed_request_line_gets_a_400_status_line(server: Server) -> None:
    with connect(server.port) as sock:
        sock.sendall(b"GARBAGE / HTTP/9.9 extra\r\n\r\n")
        assert status_of(answer(sock)) == 400


def test_two_content_length_headers_are_refused(server: Server) -> None:
    with connect(server.port) as sock:
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                     b"Content-Length: 5\r\n\r\n{}")
        assert status_of(answer(sock)) == 400
    with connect(server.port) as sock:
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        assert status_of(answer(sock)) == 400


def test_the_token_is_checked_before_the_body_is_read(server: Server,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    """A client with no token announces a large body and sends none of it: the 401 comes at once."""
    with connect(server.port) as sock:
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"w" * 32
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n")
        start = time.monotonic()
        data = answer(sock)
        assert status_of(data) == 401
        assert time.monotonic() - start < 0.9  # before any body deadline
    with connect(server.port) as sock:  # too large: refused from the header, before reading
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 1000001\r\n\r\n")
        assert status_of(answer(sock)) == 413
    err = capfd.readouterr().err
    assert '"POST /events" 401' in err  # every refusal is logged
    assert '"POST /events" 413' in err
    assert TOKEN not in err
    assert "w" * 32 not in err


def test_a_body_that_trickles_is_cut_off(server: Server) -> None:
    with connect(server.port) as sock:
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"")
        data = answer(sock)
    assert status_of(data) == 408
    assert b"did not arrive" in data


def test_a_request_head_larger_than_the_limit_gets_431(server: Server,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """The parser kept every byte of a head still arriving: 40 MB of one header in 8 s from one
    client, and many such clients would take the machine's memory from the senders."""
    uvicorn_log = logging.getLogger("uvicorn.error")  # serve's own handler; it does not propagate
    uvicorn_log.addHandler(caplog.handler)
    with connect(server.port) as sock:
        filler = b"a" * (server_mod.MAX_HEAD_BYTES + 1)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + filler)
        data = answer(sock)
    assert status_of(data) == 431
    assert b"larger than 65,536 bytes" in data
    uvicorn_log.removeHandler(caplog.handler)
    assert "closed a connection from 127.0.0.1: a request head larger than 65,536 bytes" in caplog.text


@pytest.mark.parametrize("over", [1, 50_000])
def test_a_whole_head_larger_than_the_limit_in_one_read_gets_431(server: Server, over: int) -> None:
    """A head that arrived whole in one read was parsed before it was measured: 70 KB and
    120 KB heads were answered 200 (an order system developer's walk)."""
    with connect(server.port) as sock:
        head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: "
        filler = b"a" * (server_mod.MAX_HEAD_BYTES - len(head) - 4 + over)
        sock.sendall(head + filler + b"\r\n\r\n")
        assert status_of(answer(sock)) == 431
    with connect(server.port) as sock:  # at the limit exactly: answered
        filler = b"a" * (server_mod.MAX_HEAD_BYTES - len(head) - 4)
        sock.sendall(head + filler + b"\r\n\r\n")
        assert status_of(answer(sock)) == 200


def test_a_body_near_the_limit_is_not_taken_for_a_long_head(server: Server) -> None:
    """What follows the head in the same read is body, not head."""
    body = b"{}" + b" " * 990_000
    with connect(server.port) as sock:
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert status_of(answer(sock)) == 422  # read whole: an event without its fields


def test_a_connection_that_never_sends_a_request_is_closed(server: Server) -> None:
    with connect(server.port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes its head
        sock.settimeout(5)
        start = time.monotonic()
        assert sock.recv(100) == b""
        assert 0.5 < time.monotonic() - start < 4


def test_connections_closed_at_the_head_deadline_are_logged_as_a_count(
        server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand idle connections wrote a thousand lines; now the first, then how many more."""
    monkeypatch.setattr(quiet_log, "QUIET_SECONDS", 0.5)
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(caplog.handler)
    try:
        idle = [connect(server.port) for _ in range(20)]
        for sock in idle:
            sock.settimeout(5)
            assert sock.recv(1) == b""  # closed at the head deadline
            sock.close()
        deadline = time.monotonic() + 5
        while "more connection(s)" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)  # the summary comes from the server's timer: nothing to wait on here
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records if "no whole request" in r.getMessage()]
    assert lines[0] == "closed a connection from 127.0.0.1: no whole request within 1 s"
    counted = [re.fullmatch(r"closed (\d+) more connection\(s\) in the last 0\.5 s from 127\.0\.0\.1: "
                            r"no whole request within 1 s", line) for line in lines[1:]]
    assert all(counted), lines
    assert 1 + sum(int(m[1]) for m in counted if m) == 20
    assert len(lines) <= 4


@pytest.mark.slow
def test_many_idle_connections_do_not_starve_a_client(server: Server) -> None:
    idle = [connect(server.port) for _ in range(300)]
    try:
        for s in idle[::2]:
            s.sendall(b"POST /events HTTP/1.1\r\n")
        for _ in range(5):
            with connect(server.port) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert status_of(answer(sock)) == 200
    finally:
        for s in idle:
            s.close()


def _start(bundle: Path, tmp_path: Path, token: str, *extra: str,
           files: tuple[int, int] | None = None) -> subprocess.Popen[str]:
    """`files`: the open-file limit (soft, hard) serve starts with, as a service manager sets it."""
    env = {**os.environ, "MAILGITOPS_API_TOKEN": token}
    # the limit set in the child before mailgitops starts (preexec_fn is unsafe beside threads)
    run = ["-m", "mailgitops"] if files is None else [
        "-c", f"import resource, runpy; resource.setrlimit(resource.RLIMIT_NOFILE, {files!r}); "
        "runpy.run_module('mailgitops', run_name='__main__')"]
    # --port 0: the system picks a free port and the "listening on" line names it
    return subprocess.Popen([sys.executable, *run, "serve", "--bundle", str(bundle), "--port",
                             "0", "--outbox", str(tmp_path / "o.sqlite"), "--attachments-root",
                             str(FILES), *extra], env=env, stderr=subprocess.PIPE, text=True)


def _port(log: ChildLog) -> int:
    return int(log.wait_for(r"listening on http://127\.0\.0\.1:(\d+)")[1])


def _health(port: int) -> tuple[int, float]:
    start = time.monotonic()
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = answer(sock)
    return status_of(data), time.monotonic() - start


def test_idle_connections_past_a_low_soft_file_limit_do_not_block_others(bundle: Path,
                                                                          tmp_path: Path) -> None:
    """Started with 200 open files allowed (a service manager's soft limit is often 1,024), 400
    idle connections took every file: /health waited for the 10 s head deadline to free some."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    proc = _start(bundle, tmp_path, TOKEN, files=(200, hard))
    log = ChildLog(proc)
    try:
        port = _port(log)
        idle = [connect(port) for _ in range(400)]
        try:
            status, took = _health(port)
        finally:
            for s in idle:
                s.close()
    finally:
        proc.kill()
        log.finish()
    assert status == 200
    assert took < 3


def test_connections_past_a_low_hard_file_limit_are_answered_503_at_once(bundle: Path,
                                                                         tmp_path: Path) -> None:
    proc = _start(bundle, tmp_path, TOKEN, files=(300, 300))
    log = ChildLog(proc)
    try:
        port = _port(log)
        idle = [connect(port) for _ in range(60)]  # 44 fit: 300 less the files kept for the rest
        try:
            status, took = _health(port)
        finally:
            for s in idle:
                s.close()
        assert (status, took < 3) == (503, True)
        for _ in range(50):  # the closed ones are let go as the server notices: no event says when
            if _health(port)[0] == 200:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("/health stayed 503 after the idle connections closed")
    finally:
        proc.kill()
        said = log.finish()
    assert "at most 44 connections: the open-file limit is too low for 4096" in said


def test_a_short_token_is_refused_at_start(bundle: Path, tmp_path: Path) -> None:
    proc = _start(bundle, tmp_path, "x" * 31)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "shorter than 32 bytes" in err
    assert "x" * 31 not in err


@pytest.mark.slow
def test_sigterm_with_a_trickling_client_stops_within_the_deadline(bundle: Path, tmp_path: Path) -> None:
    proc = _start(bundle, tmp_path, TOKEN, "--shutdown-seconds", "2")
    log = ChildLog(proc)
    try:
        with connect(_port(log)) as sock:
            sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                         + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            time.sleep(0.3)  # let the request head arrive before the signal (no event to wait on)
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            err = log.finish(timeout=20)
            took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert took < 6, f"took {took:.1f} s to stop"
    assert "stopped in" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_client_still_sending_a_refused_body_reads_the_answer(server: Server) -> None:
    """The server reads and drops the rest instead of closing on it (a reset would reach the
    client before the 413 and it would see only a broken pipe)."""
    for _ in range(10):
        with connect(server.port) as sock:
            sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "
                         + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 3000000\r\n\r\n")
            sock.sendall(b"x" * 3_000_000)  # as urllib does: all of the body, then read
            assert status_of(answer(sock)) == 413


def test_answers_are_not_held_back_by_nagle(server: Server) -> None:
    """uvicorn writes an answer's head and body separately; without TCP_NODELAY the body waits
    for the client's delayed ACK, 40 ms on every keep-alive request."""
    with connect(server.port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(answer(sock)) == 200
        [conn] = list(server.uvicorn.server_state.connections)
        accepted = conn.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
