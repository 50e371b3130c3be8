"""Sign-in (throttled), sign-out and the operator's language."""

from __future__ import annotations

import math

from starlette.responses import Response

from mailgitops.console import i18n
from mailgitops.console.web import Ctx, signin_csrf


def _next(value: str) -> str:
    """Only a path on this site: never an open redirect to another one."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def form(ctx: Ctx, *, status: int = 200, problem: str | None = None, username: str = "") -> Response:
    if ctx.session is not None and problem is None:
        return ctx.redirect(_next(ctx.request.query_params.get("next", "/")))
    token, fresh = signin_csrf(ctx)
    nxt = _next(ctx.field("next") or ctx.request.query_params.get("next", "/"))
    resp = ctx.page("sign_in.html", status, csrf=token, next=nxt, problem=problem, username=username)
    if fresh:
        c = ctx.console
        resp.set_cookie(c.signin_cookie, token, max_age=3600, path="/", secure=c.settings.secure_cookies,
                        httponly=True, samesite="strict")
    return resp


def _client(ctx: Ctx) -> str:
    return ctx.request.client.host if ctx.request.client else "unknown"


def sign_in(ctx: Ctx) -> Response:
    c = ctx.console
    name = ctx.field("username").strip()
    password = ctx.field("password")
    # failures count against the name and against the client: guessing one account or many
    keys = [f"name:{name.lower()}", f"client:{_client(ctx)}"]
    wait = c.accounts.throttled(keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return form(ctx, status=429, username=name,
                    problem=ctx._("Too many failed sign-ins. Try again in {minutes} minutes.").format(
                        minutes=minutes))
    operator = c.accounts.verify(name, password, keys) if name and password else None
    if operator is None:
        return form(ctx, status=401, username=name, problem=ctx._("Wrong user name or password."))
    token = c.accounts.open_session(operator)
    resp = ctx.redirect(_next(ctx.field("next")))
    resp.set_cookie(c.cookie, token, path="/", secure=c.settings.secure_cookies, httponly=True,
                    samesite="lax")  # lax: a link in the digest email opens the console signed in
    resp.delete_cookie(c.signin_cookie, path="/", secure=c.settings.secure_cookies, httponly=True)
    return resp


def sign_out(ctx: Ctx) -> Response:
    c = ctx.console
    if ctx.session is not None:
        c.accounts.close_session(ctx.session)
    resp = ctx.redirect("/sign-in", "signed-out")
    resp.delete_cookie(c.cookie, path="/", secure=c.settings.secure_cookies, httponly=True, samesite="lax")
    return resp


def language(ctx: Ctx) -> Response:
    chosen = ctx.field("language")
    if ctx.session is not None and chosen in i18n.CATALOGS:
        ctx.console.accounts.set_language(ctx.session.operator.name, chosen)
    return ctx.redirect(_next(ctx.field("next")))
