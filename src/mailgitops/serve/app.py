"""Routing and the HTTP rules every endpoint shares: the token, body size, content type, JSON,
and one JSON error shape. Plain functions from a Request to a Response: testable without sockets."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mailgitops.dispatch.event import MAX_EVENT_BYTES
from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.serve.auth import authorized
from mailgitops.serve.service import Service

MAX_BODY = MAX_EVENT_BYTES  # the event's own cap; a draft's edit fits too
RETRY_AFTER = "10"
JSON_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""  # not read (empty) when Content-Length is over MAX_BODY


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


class HttpError(Exception):
    """Raised by a handler for an answer other than success; turned into the JSON error shape."""

    def __init__(self, status: int, message: str, *, problems: list[dict[str, Any]] | None = None,
                 hint: str | None = None, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint
        self.problems = problems or []
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return Response(status, {"Content-Type": f"{JSON_TYPE}; charset=utf-8", **(headers or {})}, body)


def error_response(e: HttpError) -> Response:
    value: dict[str, Any] = {"error": e.message, "problems": e.problems}
    if e.hint:
        value["hint"] = e.hint
    return json_response(e.status, {**value, **e.extra}, e.headers)


def problem(message: str, *, json_path: str = "", code: str = "bad-request", hint: str | None = None,
            file: str = "request") -> dict[str, Any]:
    """A problem in the Diagnostic's JSON shape (`validate --format json`, `dispatch`'s problems)."""
    return {"file": file, "line": 0, "col": 0, "code": code, "message": message, "severity": "error",
            "json_path": json_path, "hint": hint}


def from_error(e: MailgitopsError, status: int) -> HttpError:
    """A dispatcher refusal as an answer: TEMPORARY is 503 (nothing accepted, retry), else `status`."""
    from mailgitops.dispatch.outbox import EventConflict

    problems = [{**asdict(d), "severity": str(d.severity)} for d in e.diagnostics]
    if e.exit_code == ExitCode.TEMPORARY:
        return HttpError(503, e.message, hint=e.hint or "nothing was accepted; send it again later",
                         headers={"Retry-After": RETRY_AFTER})
    if isinstance(e, EventConflict):
        status = 409
    return HttpError(status, e.message, problems=problems, hint=e.hint)


def json_body(req: Request) -> Any:
    """The request's JSON body: 411/413/415/400 for what is not one."""
    if "transfer-encoding" in req.headers:
        raise HttpError(411, "send the body with a Content-Length (chunked bodies are not accepted)")
    try:
        length = int(req.headers.get("content-length", "0"))
    except ValueError:
        raise HttpError(400, "the Content-Length header is not a number") from None
    if length < 0:
        raise HttpError(400, "the Content-Length header is negative")
    if length > MAX_BODY:
        raise HttpError(413, f"the body is larger than {MAX_BODY:,} bytes; refused")
    ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != JSON_TYPE:
        raise HttpError(415, f"the body must be {JSON_TYPE}, not {ctype or 'unnamed'}",
                        hint=f"send the header Content-Type: {JSON_TYPE}")
    try:
        return json.loads(req.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:  # too deep to parse: bad input too
        raise HttpError(400, f"the body is not valid JSON ({e}); nothing was queued",
                        hint="send one JSON object as described in schema/event.schema.json") from None


Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], str]] = []  # (method, path pattern, handler name in handlers.py)


def _route(method: str, pattern: str, name: str) -> None:
    ROUTES.append((method, re.compile(f"^{pattern}$"), name))


_route("GET", "/health", "health")
_route("GET", "/metrics", "metrics")
_route("POST", "/events", "post_event")
_route("GET", "/outbox", "outbox")
_route("GET", "/drafts", "list_drafts")
_route("GET", r"/drafts/(\d{1,18})", "show_draft")
_route("POST", r"/drafts/(\d{1,18})", "edit_draft")
_route("POST", r"/drafts/(\d{1,18})/send", "send_draft")
_route("POST", r"/drafts/(\d{1,18})/discard", "discard_draft")
PUBLIC = {("GET", "/health"), ("HEAD", "/health")}


def _log_bug(req: Request, e: Exception) -> None:
    import os
    import sys

    if os.environ.get("MAILGITOPS_DEBUG"):
        import traceback

        traceback.print_exc()
    sys.stderr.write(f"error: {req.method} {req.path}: unexpected {type(e).__name__}: {e}\n")


def respond(service: Service, req: Request) -> Response:
    """The one entry: authenticate, route, run the handler, and shape every failure as JSON."""
    from mailgitops.serve import handlers

    try:
        if (req.method, req.path) not in PUBLIC and not authorized(req.headers.get("authorization"),
                                                                   service.token):
            raise HttpError(401, "missing or wrong API token",
                            hint="send the header Authorization: Bearer <MAILGITOPS_API_TOKEN>",
                            headers={"WWW-Authenticate": 'Bearer realm="mailgitops"'})
        allowed = []
        for method, pattern, name in ROUTES:
            m = pattern.match(req.path)
            if m is None:
                continue
            if method == req.method or (method == "GET" and req.method == "HEAD"):
                fn: Handler = getattr(handlers, name)
                return fn(service, req, *m.groups())
            allowed.append(method)
        if allowed:
            raise HttpError(405, f"{req.method} is not allowed on {req.path}",
                            headers={"Allow": ", ".join(sorted(set(allowed)))})
        raise HttpError(404, f"no such endpoint: {req.path}",
                        hint="see docs/serve.md for the endpoints")
    except HttpError as e:
        return error_response(e)
    except MailgitopsError as e:
        return error_response(from_error(e, 422))
    except sqlite3.Error as e:  # the outbox file went away or became read-only mid-run: retry later
        # not "nothing was changed": a read after an event's commit can fail too, and then the
        # retry is answered as a duplicate (RELIABILITY 2), which is what makes the advice safe
        return error_response(HttpError(503, f"the outbox could not be read or written: {e}",
                                        hint="send the request again later; an event that was stored "
                                             "is answered as a duplicate, never sent twice",
                                        headers={"Retry-After": RETRY_AFTER}))
    except Exception as e:  # a bug: one line in the answer and on stderr, never a traceback
        _log_bug(req, e)
        return error_response(HttpError(500, f"unexpected error: {type(e).__name__}; this is a bug in "
                                             "mailgitops (rerun with MAILGITOPS_DEBUG=1 for details)"))
