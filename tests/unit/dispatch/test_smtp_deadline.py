"""A server that answers a byte at a time, or without end, meets the timeout as a whole reply:
each read's own timeout never trips when a byte comes every half second, and the message waited
in `sending` for ever while `dispatch` hung."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.dispatch.smtp_deadline import MAX_REPLY_BYTES
from mailgitops.errors import TransportError

Script = Callable[[socket.socket, threading.Event], None]


@pytest.fixture
def server() -> Iterator[Callable[[Script], int]]:
    """A one-connection server on 127.0.0.1 playing `script`; stopped (and its socket closed) after."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    listeners: list[socket.socket] = []

    def start(script: Script) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def run() -> None:
            conn, _ = listener.accept()
            # OSError: the client gave up and closed, what the tests expect of it
            with conn, contextlib.suppress(OSError):
                script(conn, stop)

        threads.append(threading.Thread(target=run, daemon=True))
        threads[-1].start()
        return int(listener.getsockname()[1])

    yield start
    stop.set()
    for t in threads:
        t.join(5)
    for listener in listeners:
        listener.close()


def trickle(conn: socket.socket, data: bytes, every: float, stop: threading.Event) -> None:
    for b in data:
        if stop.wait(every):
            return
        conn.sendall(bytes([b]))


def test_a_banner_trickled_for_ever_is_a_timeout_not_a_hang(server: Callable[[Script], int]) -> None:
    def endless(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220-")
        trickle(conn, b"x" * 100_000, 0.05, stop)  # a byte every 50 ms: each read well in time

    port = server(endless)
    began = time.monotonic()
    with pytest.raises(TransportError) as e:
        Connection(ServerConfig("127.0.0.1", port, timeout=0.5)).open()
    assert time.monotonic() - began < 3  # 0.5 s for the reply, not 100,000 x 50 ms
    assert e.value.kind == "timeout"
    assert str(e.value) == f"no answer from 127.0.0.1:{port} within 0.5 s"


def test_a_megabyte_of_reply_lines_is_refused_at_the_reply_limit(server: Callable[[Script], int]) -> None:
    def flood(conn: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            conn.sendall(b"220-" + b"x" * 96 + b"\r\n")

    port = server(flood)
    with pytest.raises(TransportError) as e:
        Connection(ServerConfig("127.0.0.1", port, timeout=5)).open()
    assert f"the reply is longer than {MAX_REPLY_BYTES:,} bytes" in str(e.value)


def test_a_reply_line_too_long_is_not_called_the_servers_500(server: Callable[[Script], int]) -> None:
    """smtplib answers a line past 8,192 bytes with its own (500, "Line too long."), which read as
    '127.0.0.1:N answered 500 Line too long.', a refusal the server never sent."""
    def long_line(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220 " + b"x" * 9000 + b"\r\n")
        stop.wait(5)

    port = server(long_line)
    with pytest.raises(TransportError) as e:
        Connection(ServerConfig("127.0.0.1", port, timeout=5)).open()
    assert "the server sent a reply line longer than 8,192 bytes" in str(e.value)
    assert "answered 500" not in str(e.value)


def test_slow_replies_that_each_arrive_within_the_timeout_still_work(server: Callable[[Script], int]) -> None:
    """The budget is per reply: a slow but complete conversation is not cut short."""
    def slow(conn: socket.socket, stop: threading.Event) -> None:
        trickle(conn, b"220 slow.example ESMTP\r\n", 0.06, stop)  # ~1.4 s, within the 3 s timeout
        assert conn.recv(1024).upper().startswith(b"EHLO")
        trickle(conn, b"250-slow.example\r\n250 8BITMIME\r\n", 0.06, stop)  # ~2 s: the session ~3.4 s
        assert conn.recv(1024).upper().startswith(b"QUIT")
        conn.sendall(b"221 bye\r\n")

    port = server(slow)
    c = Connection(ServerConfig("127.0.0.1", port, timeout=3, helo_name="client.example"))
    c.open()
    assert c.alive
    c.close()
