"""The server: uvicorn (httptools parser) running the ASGI app, the sender pool beside it, and a
bounded stop on SIGTERM / Ctrl-C: no new connections, the requests in flight answered, the SMTP
transactions in flight finished, all within `shutdown_seconds`."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mailgitops.errors import MailgitopsError
from mailgitops.serve import quiet_log
from mailgitops.serve.app import build_app
from mailgitops.serve.loop import SENDERS, SenderPool
from mailgitops.serve.service import Service, log

MAX_CONNECTIONS = 4096  # idle or slow connections cost a few KB each here, not a thread
# and one open file each; these are kept for the outbox, the senders' SMTP sessions and the logs
RESERVED_FILES = 256
HEAD_SECONDS = 10.0  # a connection that has not sent a whole request head by then is closed
KEEP_ALIVE_SECONDS = 5
LINGER_SECONDS = 5.0  # how long the rest of a refused body is read and dropped before closing
# a request head (line and headers) is under 2 KB from any client of ours; uvicorn's httptools
# parser keeps however much arrives, so one client sent 40 MB of one header in 8 s
MAX_HEAD_BYTES = 64 * 1024


class _Lingering:
    """The transport as uvicorn's request cycle sees it. A close while the client is still
    sending the body of a request answered without it (401, 413) waits until the body has
    arrived (read and dropped) or LINGER_SECONDS: closing with unread data makes the kernel send
    a reset, which can reach the client before it reads the answer, and it would see a broken
    connection instead of the reason."""

    def __init__(self, transport: asyncio.Transport, protocol: Protocol) -> None:
        self._transport, self._protocol, self.lingering = transport, protocol, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def close(self) -> None:
        cycle = self._protocol.cycle
        if self.lingering:
            return
        if cycle is not None and cycle.more_body and not self._transport.is_closing():
            self.lingering = True
            self._transport.resume_reading()
            self._protocol.loop.call_later(LINGER_SECONDS, self._transport.close)
            return
        self._transport.close()

    def finish(self) -> None:
        if self.lingering:
            self._transport.close()
SHUTDOWN_SECONDS = 30.0


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request head: uvicorn alone lets a
    client that trickles its headers (or sends nothing) hold a connection for ever."""

    _head_timer: asyncio.TimerHandle | None = None
    _head_open = True  # the current request's head has not all arrived
    _head_bytes = 0  # what arrived of it (a head begun in the chunk that ended the request before
    # is counted from the next chunk: a little too few, never too many)
    _refused = False  # answered 431: what else arrives is dropped until the close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None:  # asyncio sets this only for sockets made with proto=IPPROTO_TCP
            # without it the answer's body waits for the client's delayed ACK of its head (40 ms)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(_Lingering(transport, self))  # type: ignore[arg-type]
        if not self._over_limit():
            self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_open:
            # a head that ends in this chunk is measured to its end before it is parsed: parsed
            # whole in one read, it was never measured and a 120 KB head was answered 200
            end = data.find(b"\r\n\r\n")
            if end >= 0 and self._head_bytes + end + 4 > MAX_HEAD_BYTES and not self.transport.is_closing():
                self._refuse_head()
                return
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_open and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse_head()

    def on_headers_complete(self) -> None:
        self._head_open = False
        super().on_headers_complete()

    def _refuse_head(self) -> None:
        """431, then the rest is read and dropped until LINGER_SECONDS: closing with unread data
        would reset the connection before the client reads why."""
        self._refused = True
        quiet_log.closed(self.loop, (self.client or ("-",))[0],
                         f"a request head larger than {MAX_HEAD_BYTES:,} bytes")
        error = f"the request's line and headers are larger than {MAX_HEAD_BYTES:,} bytes; refused"
        hint = "send the event in the body; headers carry only the token and the type"
        body = json.dumps({"error": error, "problems": [], "hint": hint}, indent=2).encode() + b"\n"
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                             b"content-type: application/json\r\nconnection: close\r\n"
                             b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _over_limit(self) -> bool:
        """A connection past the limit is answered 503 at once and closed: uvicorn answers it only
        when its request comes, and an idle one held an open file until the head deadline; past
        the process's open-file limit the listener accepted nothing, not even /health."""
        if self.limit_concurrency is None or len(self.connections) <= self.limit_concurrency:
            return False
        self._refused = True
        body = b'{"error": "too many connections; try again shortly", "problems": [], "hint": null}\n'
        self.transport.write(b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n"
                             b"content-type: application/json\r\nconnection: close\r\ncontent-length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
        return True

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open, self._head_bytes = True, 0  # what comes next is the next request's head
        if isinstance(self.transport, _Lingering):
            self.transport.finish()  # the refused body has all arrived: close now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_timeout)

    def _head_timeout(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            quiet_log.closed(self.loop, (self.client or ("-",))[0],
                             f"no whole request within {HEAD_SECONDS:.0f} s")
            self.transport.close()


class _OneLine(logging.Formatter):
    """uvicorn's lines in this log's shape, an exception as one line: never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"mailgitops serve: http: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            if isinstance(e, asyncio.CancelledError):
                return "mailgitops serve: http: a request still in flight at the stop deadline was cut off"
            line += f": {type(e).__name__}: {e}"
        return line


def _quiet_uvicorn() -> None:
    """uvicorn's own lines (a malformed request, the connection limit) in this log's shape."""
    logger = logging.getLogger("uvicorn.error")
    if not any(getattr(h, "mailgitops", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(_OneLine())
        handler.mailgitops = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def open_file_room(wanted: int) -> int:
    """How many connections fit the open-file limit, after raising its soft value toward the hard
    one (a systemd service starts at 1,024 soft, 524,288 hard): at 1,024, a thousand idle
    connections left no file for the next client or the outbox until the head deadline."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # the limit stays; the connections are fitted to it below
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft - RESERVED_FILES))


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as e:
        # a host name that does not resolve is no busy port: say which one to fix
        hint = ("give --host an address of this machine (127.0.0.1, ::1, or a name that resolves to one)"
                if isinstance(e, socket.gaierror) or e.errno == errno.EADDRNOTAVAIL
                else "pick a free port with --port, or stop what is using it")
        raise MailgitopsError(f"cannot listen on {host}:{port}: {e.strerror or e}", hint=hint) from e


class Server:
    """The HTTP server and the sender pool; `run()` for the command, start/stop for tests."""

    def __init__(self, service: Service, host: str, port: int, *, interval: float = 1.0,
                 senders: int = SENDERS, max_connections: int = MAX_CONNECTIONS,
                 shutdown_seconds: float = SHUTDOWN_SECONDS, console: ASGIApp | None = None) -> None:
        self.service, self.host = service, host
        self.shutdown_seconds = shutdown_seconds
        self.sock = _listen(host, port)
        fitting = open_file_room(max_connections)
        if fitting < max_connections:
            log(f"at most {fitting} connections: the open-file limit is too low for {max_connections} "
                "(raise it, e.g. LimitNOFILE= in the systemd unit)")
        max_connections = fitting
        self.port = int(self.sock.getsockname()[1])
        _quiet_uvicorn()
        config = uvicorn.Config(build_app(service, console=console), http=Protocol, loop="asyncio",
                                lifespan="off", log_config=None, access_log=False, server_header=False,
                                # the client is the connection's own address: uvicorn took
                                # X-Forwarded-For from any local client, so one could write any
                                # address into the logs and slip past the sign-in throttle per
                                # address (a security review); behind a proxy every client has
                                # the proxy's address (docs/console.md, the throttle)
                                proxy_headers=False,
                                limit_concurrency=max_connections, timeout_keep_alive=KEEP_ALIVE_SECONDS,
                                timeout_graceful_shutdown=max(1, int(shutdown_seconds)))
        self.uvicorn = uvicorn.Server(config)
        self.pool = SenderPool(service, senders, interval=interval)
        self.http_thread = threading.Thread(target=self.uvicorn.run, kwargs={"sockets": [self.sock]},
                                            name="mailgitops-http")

    def start(self) -> Server:
        self.pool.start()
        self.http_thread.start()  # the socket already listens: connections wait in its queue
        log(f"listening on http://{self.host}:{self.port} (bundle {self.service.bundle.hash})")
        from mailgitops.dispatch.smtp_config import ServerConfig

        if (exposed := ServerConfig.from_settings(self.service.bundle.settings.smtp).exposed_password_file()):
            log(f"warning: {exposed}")
        if self.service.delivery.redirect is None:  # sending for real: mail to an example address is lost
            from mailgitops.placeholders import warning

            for n, line in enumerate(warning(self.service.bundle.settings)):
                log(f"warning: {line}" if n == 0 else line)
        return self

    def stop(self) -> dict[str, Any]:
        """No new requests; answer those in flight and finish the SMTP transactions in flight,
        all by one deadline. Says how long it took and which senders it had to leave."""
        start = time.monotonic()
        deadline = start + self.shutdown_seconds
        self.pool.stop.set()  # claim nothing more while the requests in flight are answered
        self.uvicorn.should_exit = True
        self.http_thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
        left = self.pool.shutdown(deadline)
        if left:
            log(f"stopping: {', '.join(left)} still in an SMTP transaction after "
                f"{self.shutdown_seconds:g} s; its message will be sent again (same Message-ID) "
                "and counted ambiguous")
        self.service.close()
        self.sock.close()
        took = time.monotonic() - start
        log(f"stopped in {took:.1f} s")
        return {"seconds": took, "left": left}

    def run(self) -> int:
        """Until SIGTERM or Ctrl-C; then stop within the deadline and exit 0."""
        stopping = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not stopping.wait(1.0):
                if not self.http_thread.is_alive():
                    raise MailgitopsError("the HTTP server stopped by itself; see the lines above")
            log("stopping: finishing what is in flight")
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return 0
