"""The HTTP shapes every endpoint shares: the request a handler sees, the response it gives, and
one JSON error shape. No web framework here: handlers stay plain functions, testable without one."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mailgitops.dispatch.event import MAX_EVENT_BYTES
from mailgitops.errors import ExitCode, HttpError, MailgitopsError

MAX_BODY = MAX_EVENT_BYTES  # the event's own cap; a draft's edit fits too
RETRY_AFTER = "10"
JSON_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return Response(status, {"Content-Type": f"{JSON_TYPE}; charset=utf-8", **(headers or {})}, body)


# The fix when the refusal itself names none: every error carries a hint (docs/serve.md promises
# {"error", "problems", "hint"}), so the order system's log always says what to do next.
DEFAULT_HINTS = {
    400: "fix what `error` names (the body, or a query parameter) as /openapi.json describes it; "
         "sending it unchanged will not help",
    405: "the Allow header names the methods this path takes",
    408: "send the whole body at once, with its Content-Length",
    409: "this is not a temporary problem: sending the same request again will not help",
    411: "send the header Content-Length with the body (most clients do when given the whole body)",
    413: f"a request body is at most {MAX_BODY:,} bytes: an event names its attachments by their path "
         "under the attachments root, never carries the files",
    422: "fix what `error` and `problems` name; sending the same request again will not help",
    500: "report it, with the server's log line for this request",
}


def error_response(e: HttpError) -> Response:
    hint = e.hint or DEFAULT_HINTS.get(e.status)
    value: dict[str, Any] = {"error": e.message, "problems": e.problems, "hint": hint}
    return json_response(e.status, {**value, **e.extra}, e.headers)


def problem(message: str, *, json_path: str = "", code: str = "bad-request", hint: str | None = None,
            file: str = "request") -> dict[str, Any]:
    """A problem in the Diagnostic's JSON shape (`validate --format json`, `dispatch`'s problems)."""
    return {"file": file, "line": 0, "col": 0, "code": code, "message": message, "severity": "error",
            "json_path": json_path, "hint": hint}


def from_error(e: MailgitopsError, status: int) -> HttpError:
    """A dispatcher refusal as an answer: TEMPORARY is 503 (nothing accepted, retry), else `status`."""
    from mailgitops.errors import EventConflict

    problems = [{**asdict(d), "severity": str(d.severity)} for d in e.diagnostics]
    if e.exit_code == ExitCode.TEMPORARY:
        return HttpError(503, e.message, hint=e.hint or "nothing was accepted; send it again later",
                         headers={"Retry-After": RETRY_AFTER})
    if isinstance(e, EventConflict):
        status = 409
    return HttpError(status, e.message, problems=problems, hint=e.hint)


def json_body(req: Request, loads: Callable[[str], Any] = json.loads) -> Any:
    """The request's JSON body (its size was checked before it was read): 415/400 if not JSON."""
    ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != JSON_TYPE:
        raise HttpError(415, f"the body must be {JSON_TYPE}, not {ctype or 'unnamed'}",
                        hint=f"send the header Content-Type: {JSON_TYPE}")
    try:
        # JSON over HTTP is UTF-8 (RFC 8259); json.loads would guess UTF-16 from two odd bytes
        # and then say only "Expecting value" at line 1
        text = req.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HttpError(400, f"the body is not UTF-8 text (byte 0x{req.body[e.start]:02x} at offset "
                             f"{e.start}); nothing was queued",
                        hint="send the event as UTF-8 encoded JSON") from None
    try:
        return loads(text)
    except (ValueError, RecursionError) as e:
        raise HttpError(400, f"the body is not valid JSON ({e}); nothing was queued",
                        hint="send one JSON object as described in schema/event.schema.json") from None
