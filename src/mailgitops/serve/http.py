"""The server: standard-library ThreadingHTTPServer in front of app.respond, the sender loop
beside it, an access log line per request, and a clean stop on SIGTERM / Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mailgitops.errors import MailgitopsError
from mailgitops.serve.app import MAX_BODY, Request, Response, respond
from mailgitops.serve.loop import SenderLoop, log
from mailgitops.serve.service import Service

_LOG_LOCK = threading.Lock()
DRAIN_LIMIT = 16 * MAX_BODY  # a refused body up to this size is read and dropped (see _drain)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "mailgitops"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers at shutdown
    timeout = 30  # a client that stalls mid-request does not hold a thread for ever

    def _serve(self) -> None:
        start = time.monotonic()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = b""
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            length = -1
        if 0 < length <= MAX_BODY:
            body = self.rfile.read(length)
        req = Request(self.command, url.path, dict(parse_qsl(url.query)), headers, body)
        resp = respond(self.server.service, req)
        if length > MAX_BODY:
            self.close_connection = True  # the body was not read
        with _LOG_LOCK:  # no bodies, no headers (the token): method, path, status, size, time
            sys.stderr.write(f"{self.client_address[0]} \"{self.command} {url.path}\" {resp.status} "
                             f"{len(resp.body)} {1000 * (time.monotonic() - start):.1f}ms\n")
            sys.stderr.flush()
        self._send(resp, head=self.command == "HEAD")
        if length > MAX_BODY:
            self._drain(length)

    def _drain(self, length: int) -> None:
        """Read and drop the body that was refused unread. The client is still sending it, and a
        close with unread data makes the kernel answer with a reset, which can reach the client
        before it reads our 413: it would see a broken connection instead of the reason."""
        left = min(length, DRAIN_LIMIT)
        try:
            self.connection.settimeout(5)
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    return
                left -= len(chunk)
        except OSError:
            return  # the client gave up: nothing more to tell it

    def _send(self, resp: Response, *, head: bool = False) -> None:
        self.send_response_only(resp.status)
        self.send_header("Date", self.date_time_string())
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(resp.body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = _serve

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests (bad request line, headers too long) get JSON too."""
        from mailgitops.serve.app import HttpError, error_response

        self.close_connection = True
        self._send(error_response(HttpError(code, message or "bad request")))
        self.log_message("%s", f'"{(self.requestline or "")[:200]}" {code} {message or ""}')

    def log_message(self, format: str, *args: Any) -> None:
        with _LOG_LOCK:
            sys.stderr.write(f"{self.client_address[0]} {format % args}\n")
            sys.stderr.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for the requests in flight
    request_queue_size = 64  # a burst of events from the order system waits instead of being refused
    service: Service

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped client or a bug: one line, never a traceback."""
        e = sys.exc_info()[1]
        log(f"request from {client_address[0]} failed: {type(e).__name__}: {e}")


class Server:
    """The HTTP server and the sender loop; `run()` for the command, start/stop for tests."""

    def __init__(self, service: Service, host: str, port: int, *, interval: float = 1.0) -> None:
        self.service = service
        try:
            self.httpd = _Server((host, port), _Handler)
        except OSError as e:
            raise MailgitopsError(f"cannot listen on {host}:{port}: {e.strerror}",
                                  hint="pick a free port with --port, or stop what is using it") from e
        self.httpd.service = service
        self.port = int(self.httpd.server_address[1])
        self.host = host
        self.loop = SenderLoop(service, interval)
        self.http_thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                            name="mailgitops-http")

    def start(self) -> Server:
        self.loop.start()
        self.http_thread.start()
        log(f"listening on http://{self.host}:{self.port} (bundle {self.service.bundle.hash})")
        return self

    def stop(self) -> None:
        """No new requests, answer those in flight, finish the SMTP transaction in flight."""
        self.httpd.shutdown()
        self.http_thread.join()
        self.httpd.server_close()
        self.loop.shutdown()
        self.service.close()
        log("stopped")

    def run(self) -> int:
        """Until SIGTERM or Ctrl-C; then stop cleanly and exit 0."""
        stopping = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not stopping.wait(0.5):
                pass
            log("stopping: finishing what is in flight")
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return 0
