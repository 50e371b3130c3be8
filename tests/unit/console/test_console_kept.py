"""Without script, what an operator typed survives a session that ended: the form sent after it
brings up the sign-in page carrying the typing (in that page only, stored nowhere), and signing
in puts it back into the editor, unsaved; a colleague's change meanwhile keeps it apart."""

from __future__ import annotations

import html
import re

from starlette.testclient import TestClient

from mailgitops.console.accounts import Accounts
from support.console import PASSWORD, ConsoleRig, csrf_of

TYPED = {"subject": "Typed over lunch, PO-1001",
         "message": "Dear Ada,\r\n\r\nthe **new** price is 990 EUR.\r\n",
         "cc": "archive@example.com, boss@example.com"}


def _end_session(rig: ConsoleRig, name: str = "ada", language: str = "en") -> None:
    accounts = Accounts(rig.settings.operators_path)  # what `operators add --replace` does to a session
    accounts.remove(name)
    accounts.close()
    rig.add_operator(name, language=language)


def _hidden(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {k: html.unescape(v) for k, v in found}


def _version(page: str) -> str:
    m = re.search(r'name="version" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _typed_away(rig: ConsoleRig, client: TestClient, draft_id: int,
                action: str = "save") -> tuple[str, dict[str, str]]:
    page = client.get(f"/draft/{draft_id}").text
    _end_session(rig)
    resp = client.post(f"/draft/{draft_id}/{action}", data={"csrf": csrf_of(page), "version": _version(page),
                                                           "confirm": "yes", **TYPED})
    assert resp.status_code == 401, resp.text[:500]
    return resp.text, _hidden(resp.text)


def test_typing_goes_through_the_sign_in_back_into_the_editor(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page, hidden = _typed_away(rig, signed_in, draft_id)
    assert "Your session had ended" in page and '<label for="password">Password</label>' in page
    assert hidden["kept_subject"] == TYPED["subject"] and hidden["kept_cc"] == TYPED["cc"]
    assert hidden["kept_message"].replace("\r\n", "\n") == TYPED["message"].replace("\r\n", "\n")
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.draft.subject != TYPED["subject"] and row.draft.history == ()  # nothing was used
    # stored nowhere a colleague could read it: not in the operators' file, not in the outbox
    files = [f for f in rig.settings.operators_path.parent.iterdir() if ".sqlite" in f.name]
    assert len(files) >= 2  # the operators' file and the outbox, with their journals
    for stored in files:
        assert b"Typed over lunch" not in stored.read_bytes(), stored
    back = signed_in.post("/sign-in", data={**hidden, "username": "ada", "password": PASSWORD})
    assert back.status_code == 200
    assert "mailgitops-session=" in back.headers.get("set-cookie", "")  # signed in
    assert "is back in the editor, not saved yet" in back.text
    assert f'id="subject" name="subject" value="{html.escape(TYPED["subject"])}"' in back.text
    assert "the **new** price is 990 EUR." in back.text
    assert f'name="cc" value="{TYPED["cc"]}"' in back.text
    assert "boss@example.com" in re.search(r'<p id="send-copies".*?</p>', back.text, re.S).group(0)
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()  # still not saved
    # the editor's forms work in the new session: Save stores the typing
    saved = signed_in.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(back.text),
                                                           "version": _version(back.text), **TYPED})
    assert saved.status_code == 303
    assert rig.service.dispatcher().outbox.get(draft_id).draft.subject == TYPED["subject"]


def test_send_after_the_session_ended_sends_nothing_until_sent_again(rig: ConsoleRig,
                                                                    signed_in: TestClient) -> None:
    draft_id = rig.draft()
    _, hidden = _typed_away(rig, signed_in, draft_id, "send")
    assert "kept_confirm" not in hidden  # the tick is never carried: Send is pressed again
    back = signed_in.post("/sign-in", data={**hidden, "username": "ada", "password": PASSWORD})
    assert back.status_code == 200 and TYPED["subject"] in back.text
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"


def test_a_wrong_password_keeps_carrying_the_typing(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    _, hidden = _typed_away(rig, signed_in, draft_id)
    wrong = signed_in.post("/sign-in", data={**hidden, "username": "ada", "password": "not it at all"})
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    assert _hidden(wrong.text)["kept_subject"] == TYPED["subject"]


def test_a_colleagues_change_meanwhile_keeps_the_typing_apart(rig: ConsoleRig, signed_in: TestClient) -> None:
    from mailgitops.dispatch import drafts

    draft_id = rig.draft()
    _, hidden = _typed_away(rig, signed_in, draft_id)
    drafts.edit(rig.service.dispatcher(), draft_id, subject="Bea's corrected subject")
    back = signed_in.post("/sign-in", data={**hidden, "username": "ada", "password": PASSWORD})
    assert 'value="Bea&#39;s corrected subject"' in back.text  # theirs in the editor
    assert "What you had typed (not saved)" in back.text and TYPED["subject"] in back.text


def test_the_kept_typing_in_german_and_chinese(rig: ConsoleRig, client: TestClient) -> None:
    from support.console import sign_in

    for name, lang, carried, put_back in (
            ("greta", "de", "kommt nach der Anmeldung zurück in den Editor", "ist wieder im Editor"),
            ("li", "zh", "登录后会放回编辑器", "已放回编辑器")):
        client.cookies.clear()
        rig.add_operator(name, language=lang)
        sign_in(client, name)
        draft_id = rig.draft(f"k-{name}")
        page = client.get(f"/draft/{draft_id}").text
        _end_session(rig, name, lang)
        assert f'<input type="hidden" name="lang" value="{lang}">' in page  # the editor names its language
        resp = client.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), "version": _version(page),
                                                            "lang": lang, **TYPED})
        assert carried in resp.text
        back = client.post("/sign-in", data={**_hidden(resp.text), "username": name, "password": PASSWORD})
        assert put_back in back.text and TYPED["subject"] in back.text


def test_signed_out_in_another_tab_the_form_leads_to_the_sign_in_with_the_typing(
        rig: ConsoleRig, client: TestClient) -> None:
    from support.console import sign_in

    rig.add_operator("greta", language="de")
    sign_in(client, "greta")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text  # the first tab
    out = client.post("/sign-out", data={"csrf": csrf_of(client.get("/").text)})  # the second tab
    assert out.status_code == 303 and "mailgitops-session" not in client.cookies  # the cookie is gone
    resp = client.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), "version": _version(page),
                                                        "lang": "de", **TYPED})
    assert resp.status_code == 401, resp.text[:300]  # not 403 "the form has expired"
    assert "Ihre Sitzung war beendet" in resp.text and "Abgelehnt" not in resp.text
    hidden = _hidden(resp.text)
    assert hidden["kept_subject"] == TYPED["subject"] and hidden["next"] == f"/draft/{draft_id}"
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()  # nothing was used
    back = client.post("/sign-in", data={**hidden, "username": "greta", "password": PASSWORD})
    assert back.status_code == 200 and "ist wieder im Editor" in back.text
    assert f'id="subject" name="subject" value="{html.escape(TYPED["subject"])}"' in back.text


def test_signed_out_and_in_again_an_old_tabs_form_brings_the_editor_back_with_its_typing(
        rig: ConsoleRig, client: TestClient) -> None:
    """Signed out in one tab and signed in again: the first tab's form carries the ended session's
    token with the new session's cookie. It was a 403, "the form came from another site", and
    without script the typing was lost."""
    from support.console import sign_in

    rig.add_operator("greta", language="de")
    sign_in(client, "greta")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text  # the first tab
    client.post("/sign-out", data={"csrf": csrf_of(client.get("/").text)})  # the second tab...
    sign_in(client, "greta")  # ...signs in again
    resp = client.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), "version": _version(page),
                                                        "lang": "de", **TYPED})
    assert resp.status_code == 200, resp.text[:300]
    assert "Abgelehnt" not in resp.text and "ist wieder im Editor" in resp.text
    assert f'id="subject" name="subject" value="{html.escape(TYPED["subject"])}"' in resp.text
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()  # nothing was used
    other = client.post("/deliveries/1/retry", data={"csrf": csrf_of(page)})  # not the editor: why, in words
    assert other.status_code == 303
    assert "nicht verwendet" in client.get(other.headers["location"]).text
    forged = client.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), **TYPED},
                         headers={"origin": "https://evil.example"})
    assert forged.status_code == 403  # another site's form still is refused


def test_after_a_sign_out_another_sites_form_is_still_refused(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    signed_in.post("/sign-out", data={"csrf": csrf_of(page)})
    for token, origin in (("x" * 43, None), ("", None), (csrf_of(page), "https://evil.example")):
        headers = {"origin": origin} if origin else {}
        resp = signed_in.post(f"/draft/{draft_id}/save", data={"csrf": token, **TYPED}, headers=headers)
        assert resp.status_code == 403, (token, origin)
        assert "came from another site" in resp.text and "kept_subject" not in resp.text
