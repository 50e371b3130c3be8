"""The ASGI application: the API routes (each naming its handler functions), the guard in front
of them, and the console mounted at `/` when there is one. Handlers stay plain functions from a
Request to a Response (handlers.py, monitor.py); this module adapts them to Starlette."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request as WebRequest
from starlette.responses import Response as WebResponse
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailgitops.errors import HttpError, MailgitopsError
from mailgitops.serve import handlers, monitor, openapi
from mailgitops.serve.guard import Guard
from mailgitops.serve.service import Service
from mailgitops.serve.shapes import (
    MAX_BODY,
    RETRY_AFTER,
    Request,
    Response,
    error_response,
    from_error,
)

BODY_SECONDS = 10.0  # a body that takes longer to arrive is refused (408): no trickling clients
Handler = Callable[..., Response]


class DraftId(Convertor[str]):
    """A draft id as the outbox can hold it: 1 to 18 digits (larger is no draft, 404)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("draft_id", DraftId())

# (path, {method: handler}): every endpoint, checked by mypy; openapi.json documents the same set
API: tuple[tuple[str, Mapping[str, Handler]], ...] = (
    ("/health", {"GET": monitor.health}),
    ("/metrics", {"GET": monitor.metrics}),
    ("/events", {"POST": handlers.post_event}),
    ("/plan", {"POST": handlers.post_plan}),
    ("/outbox", {"GET": handlers.outbox}),
    ("/drafts", {"GET": handlers.list_drafts}),
    ("/drafts/{draft_id:draft_id}", {"GET": handlers.show_draft, "POST": handlers.edit_draft}),
    ("/drafts/{draft_id:draft_id}/send", {"POST": handlers.send_draft}),
    ("/drafts/{draft_id:draft_id}/discard", {"POST": handlers.discard_draft}),
)
PUBLIC = ("/health", "/openapi.json")  # the only paths answered without the token


def _log_bug(req: Request, e: Exception) -> None:
    import os
    import sys

    if os.environ.get("MAILGITOPS_DEBUG"):
        import traceback

        traceback.print_exc()
    sys.stderr.write(f"error: {req.method} {req.path}: unexpected {type(e).__name__}: {e}\n")


def respond(service: Service, fn: Handler, req: Request, params: Mapping[str, Any]) -> Response:
    """Run one handler and shape every failure as JSON (called in a worker thread)."""
    try:
        return fn(service, req, **params)
    except HttpError as e:
        return error_response(e)
    except MailgitopsError as e:
        return error_response(from_error(e, 422))
    except sqlite3.Error as e:  # the outbox file went away or became read-only mid-run: retry later
        # not "nothing was changed": a read after an event's commit can fail too, and then the
        # retry is answered as a duplicate, which is what makes the advice safe
        return error_response(HttpError(503, f"the outbox could not be read or written: {e}",
                                        hint="send the request again later; an event that was stored "
                                             "is answered as a duplicate, never sent twice",
                                        headers={"Retry-After": RETRY_AFTER}))
    except Exception as e:  # a bug: one line in the answer and on stderr, never a traceback
        _log_bug(req, e)
        return error_response(HttpError(500, f"unexpected error: {type(e).__name__}; this is a bug in "
                                             "mailgitops (rerun with MAILGITOPS_DEBUG=1 for details)"))


def web(resp: Response) -> WebResponse:
    return WebResponse(resp.body, resp.status, headers=dict(resp.headers))


async def read_body(request: WebRequest) -> bytes:
    """The body, its declared size already checked by the guard; counted again as it arrives
    (the cap holds whatever the header said) and bounded in time."""
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY:
                    raise HttpError(413, f"the body is larger than {MAX_BODY:,} bytes; refused")
                chunks.append(chunk)
    except TimeoutError:
        raise HttpError(408, f"the body did not arrive within {BODY_SECONDS:.0f} seconds; nothing was done",
                        headers={"Connection": "close"}) from None
    return b"".join(chunks)


def endpoint(service: Service, path: str, methods: Mapping[str, Handler]) -> Callable[
        [WebRequest], Awaitable[WebResponse]]:
    allowed = ", ".join(sorted(methods))

    async def run(request: WebRequest) -> WebResponse:
        method = "GET" if request.method == "HEAD" else request.method
        fn = methods.get(method)
        req = Request(request.method, request.url.path, dict(request.query_params),
                      {k.lower(): v for k, v in request.headers.items()})
        try:
            if fn is None:
                raise HttpError(405, f"{request.method} is not allowed on {req.path}",
                                hint=f"{req.path} takes {' or '.join(sorted(methods))}",
                                headers={"Allow": allowed})
            if method not in ("GET", "HEAD"):
                req = Request(req.method, req.path, req.query, req.headers, await read_body(request))
        except HttpError as e:
            return web(error_response(e))
        return web(await run_in_threadpool(respond, service, fn, req, request.path_params))

    run.__name__ = f"api {path}"
    return run


def not_found_response(path: str) -> Response:
    return error_response(HttpError(404, f"no such endpoint: {path}",
                                    hint="see docs/serve.md or /openapi.json for the endpoints"))


async def not_found(request: WebRequest) -> WebResponse:
    return web(not_found_response(request.url.path))


class JsonNotFound:
    """The console mounted at `/` answers a path it does not know with Starlette's plain-text
    "Not Found"; an integrator who mistypes /events as /event gets the API's JSON 404 instead.
    A page of the console's own (HTML, or any other type) passes unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_json_404(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 404:
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                replaced = ctype.startswith(b"text/plain")
            if not replaced:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                resp = not_found_response(scope["path"])
                await send({"type": "http.response.start", "status": 404, "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers.items()]
                    + [(b"content-length", str(len(resp.body)).encode())]})
                await send({"type": "http.response.body", "body": resp.body})

        await self.app(scope, receive, send_json_404)


def openapi_document(service: Service) -> Callable[[WebRequest], Awaitable[WebResponse]]:
    async def document(request: WebRequest) -> WebResponse:
        own = service.bundle.settings.event_schema  # the repository's own event fields, if any
        text = json.dumps(own, sort_keys=True) if own is not None else None
        return WebResponse(openapi.document_bytes(text), 200, media_type="application/json")

    return document


class AnyMethod:
    """An endpoint as a plain ASGI app: Starlette then routes every method to it (a function
    endpoint would get GET only), and the endpoint says 405 with the right Allow itself."""

    def __init__(self, fn: Callable[[WebRequest], Awaitable[WebResponse]]) -> None:
        self.app = request_response(fn)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def build_app(service: Service, *, console: ASGIApp | None = None) -> ASGIApp:
    """The API at its paths (every method reaches the endpoint, which answers 405 itself, so a
    console mounted at `/` never swallows a wrong method on an API path)."""
    routes: list[BaseRoute] = [Route(path, AnyMethod(endpoint(service, path, methods)))
                               for path, methods in API]
    routes.append(Route("/openapi.json", openapi_document(service), methods=["GET"]))
    # below an API path (/drafts/abc, /events/1) nothing is the console's: the API's JSON 404
    routes += [Route(f"{prefix}/{{rest:path}}", AnyMethod(not_found))
               for prefix in sorted({"/" + path.split("/")[1] for path, _ in API})]
    if console is not None:
        routes.append(Mount("/", app=JsonNotFound(console)))
    else:
        routes.append(Route("/{rest:path}", AnyMethod(not_found)))
    api_paths = tuple(path.split("{")[0].rstrip("/") or "/" for path, _ in API)
    return Guard(Starlette(routes=routes), token=service.token, public=PUBLIC,
                 api_prefixes=api_paths if console is not None else None)
