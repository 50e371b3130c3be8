"""The operator's console at `/` of `mailgitops serve`: the routing table (`console_routes`) and
the ASGI app (`console_app`) that serve mounts after the JSON API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Match, Route

from mailgitops.console import actions, deliveries, message, pages, signin
from mailgitops.console.state import Console, ConsoleSettings, refuse_cleartext
from mailgitops.console.web import Handler, endpoint

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import Scope

    from mailgitops.serve.service import Service


class _GetOnly(Route):
    """The last route, for any address nothing above serves: GET only, and another method passes
    it by (a plain Route would answer such a POST 405 instead of the API's JSON 404)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        return super().matches(scope)


def console_routes(service: Service, settings: ConsoleSettings, *, notice: bool = True) -> list[BaseRoute]:
    """The console's routes, to be placed after the API's (their paths never overlap). With
    `notice` the waiting-drafts digest is checked in the background (console/notice.py)."""
    c = Console(service, settings)
    if notice:
        from mailgitops.console.notice import NoticeLoop

        NoticeLoop(service, settings, c.accounts).start()

    def get(path: str, fn: Handler, public: bool = False) -> Route:
        return Route(path, endpoint(c, fn, public=public), methods=["GET"])

    def post(path: str, fn: Handler, public: bool = False) -> Route:
        return Route(path, endpoint(c, fn, public=public, stale=signin.stale_form), methods=["POST"])

    return [
        get("/", pages.inbox),
        get("/sign-in", signin.form, public=True),
        post("/sign-in", signin.sign_in, public=True),
        post("/sign-out", signin.sign_out),
        post("/language", signin.language),
        get("/draft/{id:int}", pages.draft),
        get("/draft/{id:int}/email.html", pages.email_html),
        post("/draft/{id:int}/preview", actions.preview),
        post("/draft/{id:int}/save", actions.save),
        post("/draft/{id:int}/upload", actions.upload),
        post("/draft/{id:int}/detach", actions.detach),
        post("/draft/{id:int}/send", actions.send),
        post("/draft/{id:int}/discard", actions.discard),
        get("/deliveries", deliveries.deliveries),
        get("/deliveries/{id:int}", message.message),
        post("/deliveries/{id:int}/retry", actions.retry),
        get("/static/{name:str}", pages.static, public=True),
        get("/favicon.ico", pages.favicon, public=True),
        _GetOnly("/{rest:path}", endpoint(c, pages.not_found, public=True), methods=["GET"]),
    ]


def console_app(service: Service, settings: ConsoleSettings | None = None, *,
                notice: bool = True, host: str | None = None) -> Starlette:
    """The console as one ASGI app, for serve to mount at `/` after its API. Without `settings`
    they come from the environment (docs/serve.md, "The operator console"); `host`: the address
    serve listens on, where cookies without Secure are refused unless it is a loopback one."""
    from starlette.applications import Starlette

    settings = settings or ConsoleSettings.from_env(service.outbox_location)
    if host is not None:
        refuse_cleartext(settings, host)
    return Starlette(routes=console_routes(service, settings, notice=notice))


__all__ = ["Console", "ConsoleSettings", "console_app", "console_routes"]
