"""What every console request shares: the session cookie, CSRF on every form, the security headers,
the page renderer, and one wrapper that turns a plain sync handler into a Starlette endpoint."""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mailgitops.console import i18n, replies
from mailgitops.console.accounts import Session
from mailgitops.serve.auth import secret_in_query

if TYPE_CHECKING:
    from mailgitops.console.state import Console

MAX_FORM_BYTES = 21 * 1024 * 1024  # one attachment (20 MiB, the dispatcher's own limit) and the fields
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# the email preview: no script at all (sandbox without allow-scripts), inline styles as mail uses
# them, images only inlined as data: (no remote fetch that would tell a tracker someone looked)
EMAIL_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
# answered as plain text in the operator's language (or the browser's), without the page around them
UNEXPECTED = "Unexpected error: this is a bug in mailgitops (see the server's log)."
URL_REFUSED = "A token or password is never accepted in a URL; sign in with the form."
TOO_LARGE = "The form is too large (at most 21 MB) or has no length."
NOTICES = {"saved": "Saved.",
           "saved-cc-name": "Saved. The CC keeps the addresses only: the name written with an address is "
                            "left out of the email.",
           "sent": "Queued to go out once; its delivery shows when it has been sent.",
           "already": "This draft was already handed over for sending; nothing was queued twice.",
           "discarded": "Discarded; this draft is never sent.", "retried": "Queued for another attempt.",
           "attached": "File attached.", "detached": "File removed.",
           "attached-numbered": "File attached under a numbered name, like “proof (2).pdf”: the draft "
                                "already had a file of that name, and the customer must tell the two apart.",
           "attached-renamed": "File attached under a safe name: characters a file name cannot hold "
                               "(such as : * ? \" < > |) were replaced or left out. The list shows "
                               "the name the customer sees.",
           "signed-out": "Signed out.",
           "session-over": "Your session had ended (8 hours without use, or signed out elsewhere). "
                           "Sign in again.",
           "session-ended": "Your session had ended (8 hours without use, or signed out elsewhere), so that "
                            "form was not used. Sign in again; the draft's editor then puts back what this "
                            "tab had typed and not saved.",
           "typing-back": "What you had typed before the session ended is back in the editor, not saved yet: "
                          "save it, or tick the box and send.",
           "form-before-sign-in": "That form came from a page opened before you signed out and in again, "
                                  "so it was not used. Do it again here."}


def headers(csp: str = PAGE_CSP, *, frame: str = "DENY") -> dict[str, str]:
    return {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": frame, "Cache-Control": "no-store",
            "Cross-Origin-Opener-Policy": "same-origin"}


@dataclass(frozen=True, slots=True)
class Ctx:
    """One request as a handler sees it: who, the form (POST), and the page renderer."""

    console: Console
    request: Request
    session: Session | None
    form: FormData | None
    lang: str

    def _(self, text: str) -> str:
        return i18n.translator(self.lang)(text)

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def page(self, template: str, status: int = 200, **values: object) -> Response:
        return render(self, template, status, values)

    def refuse(self, status: int, heading: str, message: str, back: str = "/") -> Response:
        return self.page("error.html", status, heading=self._(heading), message=message, back=back)

    def redirect(self, url: str, notice: str | None = None) -> Response:
        if notice:
            url += ("&" if "?" in url else "?") + f"notice={quote(notice)}"
        return RedirectResponse(url, status_code=303)


Handler = Callable[[Ctx], Response]


def _guarded(fn: Handler, ctx: Ctx) -> Response:
    """An outbox that is away now is a 503 page (try again), a bug one line on stderr and a 500
    page; never a traceback in the browser."""
    import sqlite3
    import sys

    from mailgitops.errors import ExitCode, MailgitopsError

    try:
        return fn(ctx)
    except (sqlite3.Error, MailgitopsError) as e:
        if isinstance(e, MailgitopsError) and e.exit_code != ExitCode.TEMPORARY:
            from mailgitops.console import core_text

            return ctx.refuse(422, "Not possible", core_text.text(ctx.lang, e))
        resp = ctx.refuse(503, "Not possible", temporary(ctx, e))
        resp.headers["Retry-After"] = "10"
        return resp
    except Exception as e:
        sys.stderr.write(f"mailgitops console: {ctx.request.method} {ctx.request.url.path}: "
                         f"unexpected {type(e).__name__}: {e}\n")
        return HTMLResponse(html.escape(ctx._(UNEXPECTED)), status_code=500, headers=headers())


def temporary(ctx: Ctx, e: Exception) -> str:
    """Why nothing can be done for now: the outbox's own reason when the console knows its words
    (an upgrade waiting for `outbox migrate`), else that it is unavailable for a moment."""
    from mailgitops.console import core_text
    from mailgitops.errors import MailgitopsError

    if isinstance(e, MailgitopsError) and e.code in core_text.CORE:
        return core_text.text(ctx.lang, e)
    return ctx._("Sending is temporarily unavailable. Try again in a minute.")


def page_of(path: str) -> str:
    """The page a form was posted from: /draft/7/save -> /draft/7, /deliveries/3/retry -> /deliveries."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "draft" and parts[1].isdigit():
        return f"/draft/{parts[1]}"
    return "/deliveries" if parts[0] == "deliveries" else "/"


def same_origin(request: Request) -> bool:
    """A browser names where a POST comes from; a cross-site one is refused before the token check.
    "null" is what our own pages send under Referrer-Policy: no-referrer, so there the form's
    token alone decides."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _form_refused(ctx: Ctx, ended: bool) -> Response | None:
    """A POST that is not used: sent after this browser's session ended (`ended`; the sign-in page
    says so, then leads back to the page it came from), or without this session's token or from
    another site (403; a browser sends no Lax cookie with another site's form, so that one lands
    here even when its Origin is "null" like ours)."""
    if ended and same_origin(ctx.request):
        page = page_of(ctx.request.url.path)
        kept = {k: ctx.field(k) for k in KEPT if ctx.form is not None and k in ctx.form}
        if kept and page.startswith("/draft/") and not ctx.request.url.path.endswith("/preview"):
            # the editor's typing goes back with the sign-in form, in this page only (never
            # stored), and comes back into the editor once signed in
            kept["version"] = ctx.field("version")
            return signin_page(ctx, 401, next_page=page, kept=kept, notice="session-ended")
        return ctx.redirect(f"/sign-in?next={quote(page)}", "session-ended")
    if not same_origin(ctx.request) or not csrf_ok(ctx):
        return ctx.refuse(403, "Refused", ctx._("The form has expired or came from another site. "
                                                "Reload the page and try again."))
    return None


def _signed_out_tab(console: Console, form: FormData) -> bool:
    """A form without a session cookie that carries the token of a session signed out: sent from
    another tab of the browser that signed out (sign-out deletes the cookie, the token is all its
    forms still have). Another site's form cannot carry it: it cannot read our pages."""
    sent = form.get("csrf")
    return isinstance(sent, str) and console.accounts.signed_out_form(sent)


def endpoint(console: Console, fn: Handler, *, public: bool = False,
             stale: Handler | None = None) -> Callable[[Request], Awaitable[Response]]:
    """`stale`: what answers a form from a tab opened before this browser signed out and signed in
    again (its token is an ended session's, the cookie a new one's) instead of a 403."""
    async def handle(request: Request) -> Response:
        answer = fn
        token = request.cookies.get(console.cookie)
        session = await run_in_threadpool(console.accounts.session, token) if token else None
        lang = (session.operator.language if session
                else i18n.negotiate(request.headers.get("accept-language")))
        if secret_in_query(request.url.query):  # refused whatever the page: in the operator's language
            return HTMLResponse(html.escape(i18n.translator(lang)(URL_REFUSED)), status_code=400,
                                headers=headers())
        form = None
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
                return HTMLResponse(html.escape(i18n.translator(lang)(TOO_LARGE)), status_code=413,
                                    headers=headers())
            form = await request.form(max_files=1, max_fields=32, max_part_size=MAX_FORM_BYTES)
            chosen = form.get("lang")
            if session is None and isinstance(chosen, str) and chosen in i18n.CATALOGS:
                lang = chosen  # a form from a session that ended: its sign-in page in the operator's words
            # this browser's session ended before it sent the form: it still sends the cookie of a
            # session the server ended (idle, a new password), or it signed out in another tab;
            # another site's form has neither (a browser sends no Lax cookie with it)
            ended = not public and session is None and (
                token is not None or await run_in_threadpool(_signed_out_tab, console, form))
            posted = Ctx(console, request, session, form, lang)
            if (stale is not None and session is not None and same_origin(request) and not csrf_ok(posted)
                    and await run_in_threadpool(_signed_out_tab, console, form)):
                answer = stale  # the form is this browser's, from before its new session: not used
            elif (refused := _form_refused(posted, ended)) is not None:
                await form.close()
                for k, v in headers().items():
                    refused.headers.setdefault(k, v)
                return refused
        ctx = Ctx(console, request, session, form, lang)
        if session is None and not public:
            if request.method == "GET":  # with a cookie the server ended: say why the sign-in is back
                told = "&notice=session-over" if token else ""
                return RedirectResponse(f"/sign-in?next={quote(request.url.path)}{told}", status_code=303)
            return RedirectResponse("/sign-in", status_code=303)
        try:
            response = await run_in_threadpool(_guarded, answer, ctx)
        finally:
            if form is not None:
                await form.close()
        for k, v in headers().items():
            response.headers.setdefault(k, v)
        return response

    return handle


def template_dir() -> Path:
    return Path(__file__).parent / "templates"


KEPT = ("subject", "message", "cc")  # the editor's fields a form sent after the session ended carries


def signin_page(ctx: Ctx, status: int, *, next_page: str, problem: str | None = None, username: str = "",
                kept: Mapping[str, str] | None = None, notice: str | None = None) -> Response:
    """The sign-in form; `kept`: the draft editor's typing it carries to the page after it."""
    token, fresh = signin_csrf(ctx)
    extra: dict[str, object] = {"notice": ctx._(NOTICES[notice]), "notice_warns": True} if notice else {}
    resp = ctx.page("sign_in.html", status, csrf=token, next=next_page, problem=problem, username=username,
                    kept=dict(kept or {}), invalid=("username", "password") if problem else (), **extra)
    if fresh:
        c = ctx.console
        resp.set_cookie(c.signin_cookie, token, max_age=3600, path="/", secure=c.settings.secure_cookies,
                        httponly=True, samesite="strict")
    return resp


def signin_csrf(ctx: Ctx) -> tuple[str, bool]:
    """Before a session exists the form's token is also set as a cookie (double submit): a
    foreign site can post the form but cannot read or set our cookie."""
    existing = ctx.request.cookies.get(ctx.console.signin_cookie)
    return (existing, False) if existing else (secrets.token_urlsafe(24), True)


def page_values(ctx: Ctx, values: Mapping[str, object]) -> dict[str, object]:
    notice_key = ctx.request.query_params.get("notice", "")
    return {"lang": ctx.lang, "operator": ctx.session.operator if ctx.session else None,
            "csrf": ctx.session.csrf if ctx.session else "", "languages": i18n.NAMES,
            # where the language form comes back to: a page, never a form's address (a GET of
            # /draft/7/save after a refused Save would be 405)
            "here": ctx.request.url.path if ctx.request.method == "GET" else page_of(ctx.request.url.path),
            "notice": ctx._(NOTICES[notice_key]) if notice_key in NOTICES else None,
            # a session that ended is news to heed, not a success: shown as a warning
            "notice_warns": notice_key in ("session-ended", "session-over"),
            "invalid": (),  # the fields a refusal is about: marked, described by it, focused
            **values}


def render(ctx: Ctx, template: str, status: int, values: Mapping[str, object]) -> Response:
    """A page in the operator's language, with the header's draft count and the paused banner."""
    c = ctx.console
    tr = i18n.translator(ctx.lang)
    extra: dict[str, object] = {"_": tr}
    if ctx.session is not None:
        paused = c.paused()
        if paused:  # the sender's English: our words translated, a server's reply quoted as said
            paused = {**paused, "reason": replies.ours(tr, paused["reason"])}
        extra |= {"waiting": c.waiting(), "paused": paused, "stuck": None if paused else c.stuck()}
    body = c.env.get_template(template).render(**page_values(ctx, {**extra, **values}))
    return HTMLResponse(body, status_code=status)


def csrf_ok(ctx: Ctx) -> bool:
    sent = ctx.field("csrf")
    if ctx.session is not None:
        expected = ctx.session.csrf
    else:  # sign-in: the double-submit cookie set with the form
        expected = ctx.request.cookies.get(ctx.console.signin_cookie, "")
    return bool(sent) and bool(expected) and secrets.compare_digest(sent, expected)
