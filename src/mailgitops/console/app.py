"""The operator's console at `/` of `mailgitops serve`: its settings, the shared state, and the
routing table (`console_routes`) that the serve application mounts after the JSON API."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mailgitops.console import i18n
from mailgitops.console.accounts import Accounts, default_path
from mailgitops.console.web import Ctx, endpoint, page_values

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from mailgitops.serve.service import Service
    from mailgitops.settings import Settings

SECURE_ENV = "MAILGITOPS_CONSOLE_SECURE_COOKIES"
NOTICE_TO_ENV = "MAILGITOPS_NOTICE_TO"
NOTICE_INTERVAL_ENV = "MAILGITOPS_NOTICE_INTERVAL_MINUTES"
URL_ENV = "MAILGITOPS_CONSOLE_URL"


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    operators_path: Path
    secure_cookies: bool = True  # off only for http://127.0.0.1 (the demo, the browser tests)
    notice_to: str | None = None  # the digest's address; None: the print room's own sender address
    notice_interval_seconds: float = 3600.0
    console_url: str | None = None  # the link in the notice, e.g. https://mail.printroom.example/

    @classmethod
    def from_env(cls, outbox: str | None, operators: str | None = None,
                 env: Mapping[str, str] | None = None) -> ConsoleSettings:
        e = os.environ if env is None else env
        minutes = e.get(NOTICE_INTERVAL_ENV, "60")
        try:
            interval = max(1.0, float(minutes)) * 60
        except ValueError:
            from mailgitops.errors import UsageError

            raise UsageError(f"{NOTICE_INTERVAL_ENV}={minutes!r} is not a number of minutes",
                             hint=f"for example {NOTICE_INTERVAL_ENV}=60") from None
        return cls(operators_path=Path(operators) if operators else default_path(outbox),
                   secure_cookies=e.get(SECURE_ENV, "1").strip().lower() not in ("0", "no", "false", "off"),
                   notice_to=e.get(NOTICE_TO_ENV) or None, notice_interval_seconds=interval,
                   console_url=e.get(URL_ENV) or None)


class Console:
    def __init__(self, service: Service, settings: ConsoleSettings) -> None:
        self.service = service
        self.settings = settings
        self.accounts = Accounts(settings.operators_path)
        # the __Host- prefix makes the browser insist on Secure, path / and no Domain
        prefix = "__Host-" if settings.secure_cookies else ""
        self.cookie = f"{prefix}mailgitops-session"
        self.signin_cookie = f"{prefix}mailgitops-signin"
        self.env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        # workflow.yaml `timezone` once the settings carry it; UTC until then
        self.timezone = _zone(getattr(service.bundle.settings.workflow, "timezone", None))

    @property
    def bundle_settings(self) -> Settings:
        return self.service.bundle.settings

    def csrf_ok(self, ctx: Ctx) -> bool:
        sent = ctx.field("csrf")
        if ctx.session is not None:
            expected = ctx.session.csrf
        else:  # sign-in: the double-submit cookie set with the form
            expected = ctx.request.cookies.get(self.signin_cookie, "")
        return bool(sent) and bool(expected) and secrets.compare_digest(sent, expected)

    def when(self, ts: float | None) -> str:
        """ISO 8601 with the zone: in workflow.yaml's timezone, else UTC."""
        if not ts:
            return ""
        return datetime.fromtimestamp(ts, self.timezone).isoformat(timespec="seconds")

    def waiting(self) -> int:
        disp = self.service.opened()
        return disp.outbox.counts().get("draft", 0) if disp is not None else 0

    def paused(self) -> dict[str, str] | None:
        disp = self.service.opened()
        got = disp.outbox.paused() if disp is not None else None
        return {"until": self.when(got[0]), "reason": got[1]} if got else None

    def render(self, ctx: Ctx, template: str, status: int, values: Mapping[str, Any]) -> Response:
        tr = i18n.translator(ctx.lang)
        extra: dict[str, Any] = {"_": tr}
        if ctx.session is not None:
            extra |= {"waiting": self.waiting(), "paused": self.paused()}
        t = self.env.get_template(template)
        body = t.render(**page_values(ctx, {**extra, **values}))
        return HTMLResponse(body, status_code=status)


def _zone(name: Any) -> tzinfo:
    if isinstance(name, str) and name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def console_routes(service: Service, settings: ConsoleSettings, *, notice: bool = True) -> list[BaseRoute]:
    """The console's routes, to be placed after the API's (their paths never overlap). With
    `notice` the waiting-drafts digest is checked in the background (console/notice.py)."""
    from mailgitops.console import actions, pages, signin

    c = Console(service, settings)
    if notice:
        from mailgitops.console.notice import NoticeLoop

        NoticeLoop(service, settings, c.accounts).start()

    def get(path: str, fn: Any, public: bool = False) -> Route:
        return Route(path, endpoint(c, fn, public=public), methods=["GET"])

    def post(path: str, fn: Any, public: bool = False) -> Route:
        return Route(path, endpoint(c, fn, public=public), methods=["POST"])

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
        get("/deliveries", pages.deliveries),
        post("/deliveries/{id:int}/retry", actions.retry),
        get("/static/{name:str}", pages.static, public=True),
    ]


def console_app(service: Service, settings: ConsoleSettings | None = None, *,
                notice: bool = True) -> Starlette:
    """The console as one ASGI app, for serve to mount at `/` after its API. Without `settings`
    they come from the environment (docs/serve.md, "The operator console")."""
    from starlette.applications import Starlette

    settings = settings or ConsoleSettings.from_env(service.outbox_location)
    return Starlette(routes=console_routes(service, settings, notice=notice))


def not_found(ctx: Ctx) -> Response:
    return ctx.refuse(404, "Not found", ctx._("There is no such draft."))


__all__ = ["Console", "ConsoleSettings", "HTMLResponse", "console_app", "console_routes", "not_found"]
