"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, with faults injected on demand,
STARTTLS / implicit TLS with a self-signed certificate made at run time, and AUTH."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import hashlib
import ipaddress
import socket
import ssl
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpts: list[str]
    data: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.data, policy=policy.default)["Message-ID"])

    @property
    def message(self) -> Any:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class Faults:
    """stage -> replies to give (one per command, consumed). Stages: GREET (instead of the 220
    greeting, then the connection closes), EHLO, HELO, STARTTLS, MAIL, RCPT, DATA (the command),
    MID_DATA (drop while the body arrives), DATA_END (after the final dot); MAIL_OK and RCPT_OK:ADDRESS
    carry the command out and give the reply in place of its 250. A reply "drop" closes the
    connection; "drop-accepted" at DATA_END keeps the message first (the window SMTP cannot
    close). `refuse` maps an address to a lasting RCPT refusal. "stall" at DATA_END holds the reply
    (setting `stalled`) until `release` is set, then answers 451 and keeps nothing: a client killed
    meanwhile died after its final dot."""

    queue: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refuse: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0  # seconds the server takes for each message after the final dot (latency)

    def add(self, stage: str, reply: str, times: int = 1) -> None:
        with self.lock:
            self.queue[stage].extend([reply] * times)

    def take(self, stage: str) -> str | None:
        with self.lock:
            q = self.queue.get(stage)
            return q.pop(0) if q else None

    def clear(self) -> None:
        with self.lock:
            self.queue.clear()
            self.refuse.clear()
            self.release.set()  # a reply still held is let go
            self.stalled, self.release = threading.Event(), threading.Event()
            self.delay = 0.0


class FaultySMTP(SMTP):  # type: ignore[misc]  # aiosmtpd has no type hints
    faults: Faults

    async def _fault(self, stage: str) -> bool:
        act = self.faults.take(stage)
        if act is None:
            return False
        if act.startswith("drop"):
            self.transport.close()
        else:
            await self.push(act)
            if act.startswith("421"):
                self.transport.close()
        return True

    async def _handle_client(self) -> None:
        act = self.faults.take("GREET")
        if act is None:
            await super()._handle_client()
            return
        if not act.startswith("drop"):
            await self.push(act)
        self.transport.close()

    async def smtp_EHLO(self, arg: str) -> None:
        if not await self._fault("EHLO"):
            await super().smtp_EHLO(arg)

    async def smtp_HELO(self, arg: str) -> None:
        if not await self._fault("HELO"):
            await super().smtp_HELO(arg)

    async def smtp_STARTTLS(self, arg: str) -> None:
        if not await self._fault("STARTTLS"):
            await super().smtp_STARTTLS(arg)

    async def _done_but_say(self, stage: str, command: Any, arg: str) -> bool:
        """A `STAGE_OK` fault: the command is carried out, and its 250 given as the fault's reply."""
        instead = self.faults.take(stage)
        if instead is None:
            return False
        real = self.push

        async def push(status: str) -> None:
            await real(instead if status.startswith("250") else status)
        self.push = push
        try:
            await command(arg)
        finally:
            del self.push  # the class's own again
        return True

    async def smtp_MAIL(self, arg: str) -> None:
        if await self._done_but_say("MAIL_OK", super().smtp_MAIL, arg):
            return
        if not await self._fault("MAIL"):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str) -> None:
        addr = (arg or "").partition(":")[2].strip().strip("<>").split(">")[0]
        if await self._done_but_say(f"RCPT_OK:{addr}", super().smtp_RCPT, arg):
            return
        if await self._fault(f"RCPT:{addr}"):
            return
        if addr in self.faults.refuse and self.envelope.mail_from is not None:
            await self.push(self.faults.refuse[addr])
            return
        if not await self._fault("RCPT"):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:
        if await self._fault("DATA"):
            return
        if self.faults.take("MID_DATA") is not None and self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readline()
            self.transport.close()
            return
        await super().smtp_DATA(arg)


@dataclass
class Handler:
    faults: Faults
    messages: list[Received] = field(default_factory=list)
    # notified on every accepted message: tests wait on it instead of polling with sleeps
    arrived: threading.Condition = field(default_factory=threading.Condition)
    # PIPELINING in the EHLO reply (RFC 2920), as Postfix and most servers offer it; aiosmtpd
    # reads pipelined commands in order either way, it only does not say so
    pipelining: bool = True
    ehlos: int = 0  # sessions greeted: how many SMTP sessions the client opened

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        self.ehlos += 1
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    def _keep(self, msg: Received) -> None:
        with self.arrived:
            self.messages.append(msg)
            self.arrived.notify_all()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        act = self.faults.take("DATA_END")
        msg = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        if act == "drop-accepted":
            self._keep(msg)
            server.transport.close()
            return "250 OK"  # never reaches the client
        if act == "drop":
            server.transport.close()
            return "451 never seen"
        if act == "stall":
            release = self.faults.release
            self.faults.stalled.set()
            while not release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 held, not kept"
        if act is not None:
            return act
        self._keep(msg)
        return "250 OK queued"


class _Controller(Controller):  # type: ignore[misc]  # aiosmtpd has no type hints
    def __init__(self, handler: Handler, faults: Faults, **kw: Any) -> None:
        self.faults = faults
        super().__init__(handler, **kw)

    def factory(self) -> FaultySMTP:
        smtp = FaultySMTP(self.handler, **self.SMTP_kwargs)
        smtp.faults = self.faults
        return smtp


@dataclass
class Cert:
    cert_pem: Path
    key_pem: Path
    sha256: str

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_pem, self.key_pem)
        return ctx


def make_cert(folder: Path, name: str = "server", dns: str = "localhost",
              ip: str | None = "127.0.0.1") -> Cert:
    """A throwaway self-signed certificate for `dns` and `ip` (never committed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)])
    names: list[x509.GeneralName] = [x509.DNSName(dns)]
    if ip is not None:
        names.append(x509.IPAddress(ipaddress.ip_address(ip)))
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_pem, key_pem = folder / f"{name}.pem", folder / f"{name}.key"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    der = cert.public_bytes(serialization.Encoding.DER)
    return Cert(cert_pem, key_pem, hashlib.sha256(der).hexdigest())


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port. tls: None | "starttls" | "tls"; users: {name: password};
    `pipelining`: whether EHLO offers PIPELINING (the dispatcher then sends MAIL, RCPT and DATA
    in one write)."""

    def __init__(self, port: int | None = None, *, tls: str | None = None, cert: Cert | None = None,
                 users: dict[str, str] | None = None, require_starttls: bool = False,
                 auth_require_tls: bool = True, smtputf8: bool = True, pipelining: bool = True) -> None:
        self.chosen_port = port is None
        self.port = port or free_port()
        self.faults = Faults()
        self.handler = Handler(self.faults, pipelining=pipelining)
        self.users = users
        kw: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port, "ready_timeout": 5.0,
                              "enable_SMTPUTF8": smtputf8}
        if tls == "starttls":
            assert cert is not None
            kw["tls_context"] = cert.server_context()
            kw["require_starttls"] = require_starttls
        elif tls == "tls":
            assert cert is not None
            kw["ssl_context"] = cert.server_context()
        if users is not None:
            kw["authenticator"] = self._authenticate
            kw["auth_require_tls"] = auth_require_tls
        self.kw = kw
        self.controller: _Controller | None = None
        # login attempts, and those refused: a password that failed must not be tried again and
        # again (a server that locks an account after a few failures locks the print room out)
        self.logins = self.refused_logins = 0

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and self.users is not None
              and self.users.get(data.login.decode()) == data.password.decode())
        self.logins += 1
        self.refused_logins += 0 if ok else 1
        return AuthResult(success=ok, handled=False)

    def _tls_probe(self) -> None:
        """aiosmtpd's readiness probe, over TLS: the test's own throwaway certificate."""
        probe = ssl.create_default_context()
        probe.check_hostname = False
        probe.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw, \
                probe.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.recv(1024)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        """Binds the port; a free port chosen by free_port() may be taken by another process (a
        parallel test worker) before the bind, so a chosen port is chosen again on EADDRINUSE."""
        for attempt in range(20):
            self.controller = _Controller(self.handler, self.faults, **self.kw)
            if "ssl_context" in self.kw:
                self.controller._trigger_server = self._tls_probe
            try:
                self.controller.start()
                return self
            except OSError as e:
                if e.errno != errno.EADDRINUSE or not self.chosen_port or attempt == 19:
                    raise
                self.port = self.kw["port"] = free_port()
        raise AssertionError("unreachable")

    def stop(self) -> None:
        self.faults.release.set()
        if self.controller is not None:
            with contextlib.suppress(Exception):
                self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages once `count` have arrived (or the timeout passed: the caller's assert
        on what is returned then says what was missing)."""
        with self.handler.arrived:
            self.handler.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)


class SilentServer:
    """Accepts connections and never greets (or greets with `greeting` and closes)."""

    def __init__(self, greeting: bytes | None = None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.greeting = greeting
        self.conns: list[socket.socket] = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop_flag.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.greeting is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(self.greeting)
                conn.close()
            else:
                self.conns.append(conn)

    def start(self) -> SilentServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()
