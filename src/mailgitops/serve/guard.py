"""What every request passes before any endpoint: the token and the body's declared size, both
checked from the headers alone (nothing of the body is read for a refusal), security headers on
every answer, and one access-log line per request (never a body, a header or the query)."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response as WebResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailgitops.errors import HttpError
from mailgitops.serve.auth import authorized, secret_in_query
from mailgitops.serve.shapes import MAX_BODY, error_response

# No inline script anywhere; nothing may frame us; a page loads only our own files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
CONSOLE_MAX_BODY = 26 * 1024 * 1024  # the console's own forms (uploads have their own, smaller cap)


def log_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Guard:
    """ASGI middleware. `api_prefixes` None: every path but `public` is the API's (no console)."""

    def __init__(self, app: ASGIApp, *, token: str | None, public: Sequence[str],
                 api_prefixes: Sequence[str] | None) -> None:
        self.app, self.token, self.public, self.api_prefixes = app, token, tuple(public), api_prefixes

    def is_api(self, path: str) -> bool:
        if self.api_prefixes is None:
            return True
        return any(path == p or path.startswith(p + "/") for p in self.api_prefixes)

    def refusal(self, scope: Scope) -> HttpError | None:
        """A refusal decided from the request line and headers alone."""
        headers = Headers(scope=scope)
        path, api = scope["path"], self.is_api(scope["path"])
        if api and secret_in_query(scope.get("query_string", b"")):
            return HttpError(400, "a token or password is never accepted in a URL: it would be kept in "
                                  "proxies' and browsers' logs",
                             hint="send the header Authorization: Bearer <MAILGITOPS_API_TOKEN>, and change "
                                  "the token if it was sent in a URL")
        if api and path not in self.public and not authorized(headers.get("authorization"), self.token):
            return HttpError(401, "missing or wrong API token",
                             hint="send the header Authorization: Bearer <MAILGITOPS_API_TOKEN>",
                             headers={"WWW-Authenticate": 'Bearer realm="mailgitops"'})
        if api and "transfer-encoding" in headers:
            return HttpError(411, "send the body with a Content-Length (chunked bodies are not accepted)")
        cap = MAX_BODY if api else CONSOLE_MAX_BODY
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > cap:
            return HttpError(413, f"the body is larger than {cap:,} bytes; refused")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.monotonic()
        answer: dict[str, int] = {"status": 0, "size": 0}
        logged = False

        def log() -> None:  # once, before the answer's last byte leaves: a client that has it can see it
            nonlocal logged
            if not logged:
                logged = True
                client = (scope.get("client") or ("-", 0))[0]
                path = repr(scope["path"])[1:-1][:300]  # a %0A in the path cannot start a forged line
                log_line(f'{client} "{scope["method"]} {path}" {answer["status"] or "-"} '
                         f'{answer["size"]} {1000 * (time.monotonic() - start):.1f}ms')

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            elif message["type"] == "http.response.body":
                answer["size"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    log()
            await send(message)

        try:
            refused = self.refusal(scope)
            if refused is not None:
                resp = error_response(refused)
                await WebResponse(resp.body, resp.status, headers=dict(resp.headers))(
                    scope, receive, guarded_send)
            else:
                await self.app(scope, receive, guarded_send)
        finally:
            log()  # the client went away before the answer was complete
