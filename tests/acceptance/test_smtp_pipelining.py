"""PIPELINING (RFC 2920): to a server that offers it, MAIL FROM, every RCPT TO and DATA leave in
one write and their replies are read in order, so a message costs two round trips instead of
three plus one per recipient. Each recipient's own reply still decides its result; a server that
does not offer it gets one command at a time (the whole fault matrix runs that way below, and
pipelined against the suite's aiosmtpd and Postfix everywhere else)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.smtp import Connection, Delivery, ServerConfig
from support.dispatchrepo import build_bundle, make_repo
from support.faultmatrix import Case, cases, run_case
from support.smtpd import SmtpServer

FROM, TO, CC = "shop@example.com", "ada@example.org", "archive@example.com"
RAW = b"Subject: hi\r\nMessage-ID: <p1@example.com>\r\n\r\n.a line that starts with a dot\r\n"


class ScriptedServer:
    """One session on 127.0.0.1 that says nothing after EHLO until the client has sent DATA: a
    client that waited for each reply would wait for ever (here: its 2-second timeout). Then it
    answers MAIL, each RCPT and DATA from `reply(command)`, and takes a body after a 354."""

    def __init__(self, reply: Callable[[str], str]) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.batch: list[str] = []  # the commands that arrived before the first reply to them
        self.body: bytes | None = None  # what came after a 354, up to the final dot (if one came)
        self.closed_in_data = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn, _ = self.sock.accept()
        conn.settimeout(5)
        with conn, conn.makefile("rb") as rfile:
            conn.sendall(b"220 scripted ESMTP\r\n")
            rfile.readline()  # EHLO
            conn.sendall(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            while not self.batch or self.batch[-1] != "DATA":
                self.batch.append(rfile.readline().decode().strip())
            replies = [self.reply(c) for c in self.batch]
            conn.sendall("".join(f"{r}\r\n" for r in replies).encode())
            if replies[-1].startswith("354"):
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    chunk = rfile.readline()
                    if not chunk:
                        self.closed_in_data = True
                        self.body = body
                        return
                    body += chunk
                self.body = body
                conn.sendall(b"250 2.0.0 queued\r\n")
            for line in iter(rfile.readline, b""):
                verb = line[:4].upper()
                conn.sendall(b"221 bye\r\n" if verb == b"QUIT" else b"250 ok\r\n")
                if verb == b"QUIT":
                    return

    def close(self) -> None:
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[str], str]], ScriptedServer]]:
    made: list[ScriptedServer] = []

    def make(reply: Callable[[str], str]) -> ScriptedServer:
        made.append(ScriptedServer(reply))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _deliver(server: ScriptedServer) -> Delivery:
    conn = Connection(ServerConfig(host="127.0.0.1", port=server.port, timeout=2.0))
    conn.open()
    try:
        return conn.deliver(FROM, [TO, CC], RAW)
    finally:
        conn.close()


def _accept_all(command: str) -> str:
    return "354 go ahead" if command == "DATA" else "250 2.1.0 ok"


def test_the_envelope_goes_in_one_write_and_the_message_is_accepted(scripted: Callable[..., ScriptedServer],
                                                                   ) -> None:
    server = scripted(_accept_all)
    got = _deliver(server)
    assert server.batch == [f"MAIL FROM:<{FROM}>", f"RCPT TO:<{TO}>", f"RCPT TO:<{CC}>", "DATA"]
    assert got.accepted == (TO, CC)
    assert server.body == RAW.replace(b"\n.a line", b"\n..a line") + b".\r\n"  # the dot doubled


def test_each_recipient_keeps_its_own_reply(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(lambda c: {f"RCPT TO:<{TO}>": "550 5.1.1 no such user",
                                 f"RCPT TO:<{CC}>": "451 4.2.1 busy"}.get(c, _accept_all(c)))
    got = _deliver(server)
    assert got.accepted == ()
    assert got.permanent == {TO: "550 5.1.1 no such user"}
    assert got.temporary == {CC: "451 4.2.1 busy"}


def test_a_server_that_opens_data_without_recipients_gets_no_body(scripted: Callable[..., ScriptedServer]
                                                                  ) -> None:
    server = scripted(lambda c: "550 5.7.1 relay denied" if c.startswith("RCPT") else _accept_all(c))
    got = _deliver(server)
    server.thread.join(5)
    assert got.accepted == ()
    assert set(got.permanent) == {TO, CC}
    assert server.closed_in_data and server.body == b""  # dropped: no body, no final dot


def test_a_421_mid_envelope_leaves_everyone_waiting_and_sends_nothing_into_an_open_data(
        scripted: Callable[..., ScriptedServer]) -> None:
    """A server that says it is closing at RCPT but (wrongly) opens DATA anyway: the session is
    dropped, not ended with QUIT, which the open DATA would take as the message's first line."""
    server = scripted(lambda c: "421 4.3.2 closing" if c == f"RCPT TO:<{TO}>" else _accept_all(c))
    got = _deliver(server)
    server.thread.join(5)
    assert got.accepted == ()
    assert got.temporary == {TO: "421 4.3.2 closing", CC: "421 4.3.2 closing"}
    assert server.closed_in_data and server.body == b""


def test_a_refused_sender_fails_every_recipient_with_the_servers_reply(
        scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(lambda c: "553 5.7.1 sender not allowed" if c.startswith("MAIL")
                      else "503 5.5.1 need MAIL" if c.startswith("RCPT") else "503 5.5.1 need RCPT")
    got = _deliver(server)
    assert got.permanent == {TO: "553 5.7.1 sender not allowed", CC: "553 5.7.1 sender not allowed"}
    assert server.body is None


@pytest.fixture(scope="module")
def sequential_server() -> Iterator[SmtpServer]:
    srv = SmtpServer(pipelining=False).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sequential_bundle(sequential_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("seq") / "repo", port=sequential_server.port))


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_fault_matrix_one_command_at_a_time(case: Case, sequential_server: SmtpServer,
                                            sequential_bundle: Path, tmp_path: Path) -> None:
    result = run_case(case, sequential_server, sequential_bundle, tmp_path, str(tmp_path / "o.sqlite"))
    assert (result.lost, result.duplicates, result.refused_sent) == (0, 0, 0)
    assert result.survived, result
