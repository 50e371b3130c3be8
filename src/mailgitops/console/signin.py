"""Sign-in (throttled), sign-out and the operator's language."""

from __future__ import annotations

import math
import re
import sys

from starlette.responses import Response

from mailgitops.console import i18n, pages
from mailgitops.console.web import KEPT, Ctx, page_of, signin_page


def _next(value: str) -> str:
    """Only a path on this site: never an open redirect to another one."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _kept(ctx: Ctx) -> dict[str, str]:
    """The draft editor's typing the sign-in form carries (a form sent after the session ended)."""
    if ctx.form is None:
        return {}
    return {k: ctx.field(f"kept_{k}") for k in (*KEPT, "version") if f"kept_{k}" in ctx.form}


def form(ctx: Ctx, *, status: int = 200, problem: str | None = None, username: str = "") -> Response:
    if ctx.session is not None and problem is None:
        return ctx.redirect(_next(ctx.request.query_params.get("next", "/")))
    nxt = _next(ctx.field("next") or ctx.request.query_params.get("next", "/"))
    return signin_page(ctx, status, next_page=nxt, problem=problem, username=username, kept=_kept(ctx))


def _client(ctx: Ctx) -> str:
    return ctx.request.client.host if ctx.request.client else "unknown"


def _audit(line: str) -> None:
    """Sign-ins for the log (guessing shows there, and who was signed in when). A typed user name
    is written only when it is an operator's: people type their password into the name field."""
    sys.stderr.write(f"mailgitops console: {line}\n")
    sys.stderr.flush()


def _who(ctx: Ctx, name: str) -> str:
    return f"operator {name}" if name and ctx.console.accounts.known(name) else "an unknown user name"


def sign_in(ctx: Ctx) -> Response:
    c = ctx.console
    name = ctx.field("username").strip()
    password = ctx.field("password")
    # failures count against the name and against the client: guessing one account or many
    keys = [f"name:{name.lower()}", f"client:{_client(ctx)}"]
    wait = c.accounts.throttled(keys)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        _audit(f"sign-in refused for {_who(ctx, name)} from {_client(ctx)}: paused after repeated "
               f"failures, for {minutes} more minute(s)")
        return form(ctx, status=429, username=name,
                    problem=ctx._("Too many failed sign-ins. Try again in {minutes} minutes.").format(
                        minutes=minutes))
    operator = c.accounts.verify(name, password, keys) if name and password else None
    if operator is None:
        _audit(f"sign-in failed for {_who(ctx, name)} from {_client(ctx)}")
        return form(ctx, status=401, username=name, problem=ctx._("Wrong user name or password."))
    token = c.accounts.open_session(operator)
    _audit(f"operator {operator.name} signed in from {_client(ctx)}")
    nxt = _next(ctx.field("next"))
    resp = ctx.redirect(nxt)
    kept, draft = _kept(ctx), re.fullmatch(r"/draft/(\d{1,18})", nxt)
    if kept and draft and (session := c.accounts.session(token)) is not None:
        # the editor with the typing put back, answered here: it was never stored anywhere
        signed = Ctx(c, ctx.request, session, ctx.form, session.operator.language)
        resp = pages.draft(signed, draft_id=int(draft.group(1)), kept=kept)
    resp.set_cookie(c.cookie, token, path="/", secure=c.settings.secure_cookies, httponly=True,
                    samesite="lax")  # lax: a link in the digest email opens the console signed in
    resp.delete_cookie(c.signin_cookie, path="/", secure=c.settings.secure_cookies, httponly=True)
    return resp


def sign_out(ctx: Ctx) -> Response:
    c = ctx.console
    if ctx.session is not None:
        c.accounts.close_session(ctx.session)
        _audit(f"operator {ctx.session.operator.name} signed out")
    resp = ctx.redirect("/sign-in", "signed-out")
    resp.delete_cookie(c.cookie, path="/", secure=c.settings.secure_cookies, httponly=True, samesite="lax")
    return resp


def language(ctx: Ctx) -> Response:
    chosen = ctx.field("language")
    if ctx.session is not None and chosen in i18n.CATALOGS:
        ctx.console.accounts.set_language(ctx.session.operator.name, chosen)
    return ctx.redirect(_next(ctx.field("next")))


def stale_form(ctx: Ctx) -> Response:
    """A form from a tab opened before this browser signed out and signed in again: its token is
    the ended session's, so it is not used (it was a 403, "the form came from another site", and
    without script the typing was lost). The draft's editor comes back with the typing put back,
    not saved, as after a sign-in; any other page with a word of why."""
    path = ctx.request.url.path
    page, draft = page_of(path), re.fullmatch(r"/draft/(\d{1,18})/[a-z]+", path)
    kept = {k: ctx.field(k) for k in KEPT if ctx.form is not None and k in ctx.form}
    if draft and kept and not path.endswith("/preview"):
        kept["version"] = ctx.field("version")
        return pages.draft(ctx, draft_id=int(draft.group(1)), kept=kept)
    return ctx.redirect(page, "form-before-sign-in")
