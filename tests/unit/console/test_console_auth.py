"""Sign-in, sessions, CSRF and permissions, in-process: what an attacker or a stale tab meets."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.console import PASSWORD, ConsoleRig, csrf_of, sign_in

PAGES = ["/", "/deliveries", "/draft/1", "/draft/1/email.html"]
FORMS = ["/sign-out", "/language", "/draft/1/save", "/draft/1/preview", "/draft/1/send", "/draft/1/discard",
         "/draft/1/upload", "/draft/1/detach", "/deliveries/1/retry"]


def test_every_page_needs_a_signed_in_operator(rig: ConsoleRig, client: TestClient) -> None:
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 303
        assert resp.headers["location"].startswith("/sign-in?next=")
    page = client.get("/sign-in")
    assert page.status_code == 200
    for label in ('<label for="username">User name</label>', '<label for="password">Password</label>',
                  '<button type="submit">Sign in</button>'):
        assert label in page.text


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_it(rig: ConsoleRig, client: TestClient) -> None:
    rig.add_operator()
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"username": "ada", "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert resp.status_code == 303
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert client.get("/").status_code == 200
    home = client.get("/")
    out = client.post("/sign-out", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert client.get("/").status_code == 303  # the server forgot the session, not only the browser


def test_secure_cookies_by_default(tmp_path: Path, bundle: Path) -> None:
    from dataclasses import replace

    from mailgitops.console.app import console_app
    from support.console import make_rig

    for r in make_rig(tmp_path, bundle):
        r.add_operator()
        app = console_app(r.service, replace(r.settings, secure_cookies=True))
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
            page = c.get("/sign-in")
            assert "__Host-mailgitops-signin" in page.headers["set-cookie"]
            resp = c.post("/sign-in", data={"username": "ada", "password": PASSWORD,
                                             "csrf": csrf_of(page.text)})
            assert resp.status_code == 303
            assert resp.headers["set-cookie"].startswith("__Host-mailgitops-session=")
            assert "Secure" in resp.headers["set-cookie"]


def test_wrong_password_is_refused_and_throttled(rig: ConsoleRig, client: TestClient) -> None:
    rig.add_operator()
    page = client.get("/sign-in")
    token = csrf_of(page.text)
    for _ in range(5):
        resp = client.post("/sign-in", data={"username": "ada", "password": "wrong password", "csrf": token})
        assert resp.status_code == 401
        assert "Wrong user name or password." in resp.text
    resp = client.post("/sign-in", data={"username": "ada", "password": PASSWORD, "csrf": token})
    assert resp.status_code == 429
    assert "Too many failed sign-ins" in resp.text  # even the right one waits


def test_one_operator_mistyping_does_not_lock_out_a_colleague_at_the_same_pc(rig: ConsoleRig,
                                                                             client: TestClient) -> None:
    """Five failures pause that name; the client address pauses only after many more, across names
    (someone trying name after name)."""
    rig.add_operator()
    rig.add_operator("bea")
    token = csrf_of(client.get("/sign-in").text)
    for _ in range(6):
        client.post("/sign-in", data={"username": "nobody-here", "password": "wrong password", "csrf": token})
    resp = client.post("/sign-in", data={"username": "ada", "password": PASSWORD, "csrf": token})
    assert resp.status_code == 303  # ada, at the same address, signs in
    client.post("/sign-out", data={"csrf": csrf_of(client.get("/").text)})
    token = csrf_of(client.get("/sign-in").text)
    for i in range(20):
        client.post("/sign-in", data={"username": f"guess-{i}", "password": "wrong password", "csrf": token})
    resp = client.post("/sign-in", data={"username": "bea", "password": PASSWORD, "csrf": token})
    assert resp.status_code == 429  # twenty-six names tried from one address: it waits


def test_a_new_password_lifts_the_pause_of_guesses_at_the_old_one(rig: ConsoleRig,
                                                                  client: TestClient) -> None:
    rig.add_operator()
    token = csrf_of(client.get("/sign-in").text)
    for _ in range(5):
        client.post("/sign-in", data={"username": "ada", "password": "wrong password", "csrf": token})
    assert client.post("/sign-in", data={"username": "ada", "password": PASSWORD,
                                         "csrf": token}).status_code == 429
    rig.add_operator("ada", password="a new long password")  # what `operators add ada --replace` does
    resp = client.post("/sign-in", data={"username": "ada", "password": "a new long password", "csrf": token})
    assert resp.status_code == 303


def test_sign_in_without_the_form_token_is_refused(rig: ConsoleRig, client: TestClient) -> None:
    rig.add_operator()
    client.get("/sign-in")
    resp = client.post("/sign-in", data={"username": "ada", "password": PASSWORD, "csrf": "forged"})
    assert resp.status_code == 403
    assert "expired or came from another site" in resp.text
    assert client.get("/").status_code == 303


def test_every_form_refuses_a_missing_or_foreign_token(rig: ConsoleRig, client: TestClient) -> None:
    rig.add_operator()
    sign_in(client)
    rig.draft()
    for path in FORMS:
        assert client.post(path, data={"confirm": "yes"}).status_code == 403, path
        assert client.post(path, data={"confirm": "yes", "csrf": "x" * 40}).status_code == 403, path
    home = client.get("/")
    token = csrf_of(home.text)
    cross = client.post("/draft/1/send", data={"csrf": token, "confirm": "yes"},
                        headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    assert rig.service.dispatcher().outbox.get(1).status == "draft"  # nothing was sent


def test_a_token_in_the_url_is_never_accepted(rig: ConsoleRig, client: TestClient) -> None:
    resp = client.get("/?token=not-a-real-token")
    assert resp.status_code == 400
    assert "never accepted in a URL" in resp.text
    assert client.get("/sign-in?session=abc").status_code == 400


def test_security_headers_on_pages_and_on_the_email_frame(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    frame = signed_in.get(f"/draft/{draft_id}/email.html")
    fcsp = frame.headers["content-security-policy"]
    assert fcsp.startswith("sandbox;")
    assert "script-src" not in fcsp
    assert "default-src 'none'" in fcsp
    assert '<iframe name="preview"' in page.text
    assert " sandbox " in page.text


def test_removed_operator_is_signed_out(rig: ConsoleRig, signed_in: TestClient) -> None:
    from mailgitops.console.accounts import Accounts

    accounts = Accounts(rig.settings.operators_path)
    accounts.remove("ada")
    accounts.close()
    assert signed_in.get("/").status_code == 303


def test_an_outbox_that_is_away_is_a_503_page(rig: ConsoleRig, signed_in: TestClient) -> None:
    import sqlite3

    def broken() -> object:
        raise sqlite3.OperationalError("disk I/O error")

    rig.service.dispatcher = broken  # type: ignore[method-assign]
    resp = signed_in.get("/")
    assert resp.status_code == 503
    assert "Try again in a minute" in resp.text
    assert "Traceback" not in resp.text
    assert resp.headers["retry-after"] == "10"


def test_a_form_sent_after_the_session_ended_says_so_and_leads_back(rig: ConsoleRig,
                                                                    signed_in: TestClient) -> None:
    from mailgitops.console.accounts import Accounts

    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    accounts = Accounts(rig.settings.operators_path)  # what `operators add --replace` does to a session
    accounts.remove("ada")
    accounts.close()
    rig.add_operator()
    resp = signed_in.post(f"/draft/{draft_id}/discard", data={"csrf": csrf_of(page), "confirm": "yes"})
    assert resp.status_code == 303  # no typing to carry: to the sign-in page, which says why
    assert resp.headers["location"] == f"/sign-in?next=/draft/{draft_id}&notice=session-ended"
    told = signed_in.get(resp.headers["location"])
    assert '<div class="notice warn" role="status">Your session had ended' in told.text
    assert "came from another site" not in told.text
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"
    # without a session, a foreign site's form is still refused as one
    cross = signed_in.post("/deliveries/1/retry", data={}, headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    back = signed_in.post("/sign-in", data={"username": "ada", "password": PASSWORD,
                                            "csrf": csrf_of(told.text), "next": f"/draft/{draft_id}"})
    assert back.headers["location"] == f"/draft/{draft_id}"


def test_a_form_without_any_session_cookie_is_refused_as_foreign(rig: ConsoleRig, client: TestClient) -> None:
    rig.add_operator()
    rig.draft()
    # what another site's form gets: the browser sends no Lax cookie with it
    resp = client.post("/draft/1/send", data={"confirm": "yes", "csrf": "x" * 40}, headers={"origin": "null"})
    assert resp.status_code == 403
    assert "came from another site" in resp.text
    assert rig.service.dispatcher().outbox.get(1).status == "draft"


def test_a_page_opened_after_the_session_ended_says_why_sign_in_is_back(rig: ConsoleRig,
                                                                         signed_in: TestClient) -> None:
    from mailgitops.console.accounts import Accounts

    accounts = Accounts(rig.settings.operators_path)
    accounts.remove("ada")
    accounts.close()
    resp = signed_in.get("/deliveries")
    assert resp.headers["location"] == "/sign-in?next=/deliveries&notice=session-over"
    assert "Your session had ended" in signed_in.get(resp.headers["location"]).text
    signed_in.cookies.clear()  # no session cookie at all: a plain sign-in, no story
    assert signed_in.get("/deliveries").headers["location"] == "/sign-in?next=/deliveries"


def test_sign_ins_are_logged_without_passwords_or_what_was_typed_as_a_name(
        rig: ConsoleRig, client: TestClient, capfd: pytest.CaptureFixture[str]) -> None:
    rig.add_operator()
    token = csrf_of(client.get("/sign-in").text)
    client.post("/sign-in", data={"username": "ada", "password": "wrong password one", "csrf": token})
    # a password typed into the name field must not land in the log
    client.post("/sign-in", data={"username": "Tr0ub4dor&3", "password": "x" * 12, "csrf": token})
    for _ in range(4):
        client.post("/sign-in", data={"username": "ada", "password": "wrong password two", "csrf": token})
    paused = client.post("/sign-in", data={"username": "ada", "password": PASSWORD, "csrf": token})
    assert paused.status_code == 429
    rig.add_operator("li")
    sign_in(client, "li")
    session = client.cookies.get("mailgitops-session")
    assert session
    client.post("/sign-out", data={"csrf": csrf_of(client.get("/").text)})
    log = capfd.readouterr().err
    assert "mailgitops console: sign-in failed for operator ada from testclient" in log
    assert "mailgitops console: sign-in failed for an unknown user name from testclient" in log
    assert "mailgitops console: sign-in refused for operator ada from testclient: paused" in log
    assert "mailgitops console: operator li signed in from testclient" in log
    assert "mailgitops console: operator li signed out" in log
    for secret in ("Tr0ub4dor", "wrong password", PASSWORD, "xxxxxxxxxxxx", token, session):
        assert secret not in log
    # nor in the operators' file, where the throttle counts failures by name and by client
    stored = b"".join(p.read_bytes() for p in rig.settings.operators_path.parent.glob(
        rig.settings.operators_path.name + "*"))
    assert b"Tr0ub4dor" not in stored and b"testclient" not in stored


def test_the_console_has_an_icon_so_no_page_load_asks_for_a_missing_one(rig: ConsoleRig,
                                                                        signed_in: TestClient) -> None:
    # a browser asks /favicon.ico with every page: it answered 404, an error in the browser's console
    icon = signed_in.get("/favicon.ico", headers={"accept": "image/avif,image/webp,image/*,*/*;q=0.8"})
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg ")
    for page in (signed_in.get("/").text, signed_in.get(f"/draft/{rig.draft()}").text):
        assert '<link rel="icon" href="/favicon.ico" type="image/svg+xml">' in page
