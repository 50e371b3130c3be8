"""What an operator typed is never dropped: Send, Upload and Remove submit the editor with it,
and a refused form comes back with the typing still in the editor."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from support.console import ConsoleRig, csrf_of
from support.smtpd import SmtpServer


def _version(page: str) -> str:
    m = re.search(r'name="version" value="([^"]+)"', page)
    assert m, "no version on the page"
    return m.group(1)


def _editor(page: str) -> tuple[str, str, str]:
    subject = re.search(r'id="subject" name="subject" value="([^"]*)"', page)
    message = re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', page, re.S)
    cc = re.search(r'id="cc" name="cc" value="([^"]*)"', page)
    assert subject and message and cc
    return html.unescape(subject.group(1)), html.unescape(message.group(1)), html.unescape(cc.group(1))


def test_every_button_of_the_draft_page_submits_the_editor(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    send = re.search(r'<button[^>]*formaction="/draft/\d+/send"[^>]*>', page)
    assert send and 'form="editor"' in send.group(0)
    assert re.search(r'<input type="checkbox" id="confirm-send"[^>]*form="editor"', page)
    upload = re.search(r'<button[^>]*formaction="/draft/\d+/upload"[^>]*>', page)
    assert upload and 'form="editor"' in upload.group(0)
    assert 'formenctype="multipart/form-data"' in upload.group(0)
    assert re.search(r'<input id="file" name="file" type="file" form="editor"', page)


def test_send_sends_the_unsaved_edit_shown_in_the_editor(rig: ConsoleRig, signed_in: TestClient,
                                                         sink: SmtpServer) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    resp = signed_in.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(page), "version": _version(page), "confirm": "yes",
        "subject": "Your revised quotation PO-1001",
        "message": "Dear Ada,\n\nthe new price is 1,150.00 EUR.\n",
        "cc": "archive@example.com, boss@example.com",
        # what the confirmation named as the operator typed (live.js keeps it in step)
        "confirmed_cc": "archive@example.com, boss@example.com"})
    assert resp.status_code == 303
    assert "notice=sent" in resp.headers["location"]
    sink.messages.clear()
    rig.service.dispatcher().sender.flush()
    (got,) = sink.messages
    assert got.message["Subject"] == "Your revised quotation PO-1001"
    assert "the new price is 1,150.00 EUR" in got.message.get_body(("plain",)).get_content()
    assert "boss@example.com" in got.rcpts
    history = rig.service.dispatcher().outbox.get(draft_id).draft.history
    assert [(h.what, h.fields) for h in history] == [("edited", ("subject", "body", "cc")),
                                                     ("sent the email", ())]


def test_a_refused_send_or_save_keeps_what_was_typed(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    typed = {"csrf": csrf_of(page), "version": _version(page), "subject": "Typed for ten minutes",
             "message": "A long answer to Ada,\n\nwith <b>care</b>.\n",
             "cc": "archive@example.com, chef at example"}
    for action, extra in (("save", {}), ("send", {"confirm": "yes"}), ("send", {})):
        resp = signed_in.post(f"/draft/{draft_id}/{action}", data={**typed, **extra})
        assert resp.status_code == 422, (action, extra)
        assert _editor(resp.text) == (typed["subject"], typed["message"], typed["cc"])
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "draft"
    assert row.draft.subject != "Typed for ten minutes"  # nothing was stored
    assert row.draft.history == ()


def test_upload_keeps_the_unsaved_edit(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    _, message, cc = _editor(page)
    resp = signed_in.post(f"/draft/{draft_id}/upload",
                          data={"csrf": csrf_of(page), "version": _version(page),
                                "subject": "Typed, then a file", "message": message, "cc": cc},
                          files={"file": ("terms.pdf", b"%PDF-1.4\n", "application/pdf")})
    assert resp.status_code == 303
    draft = rig.service.dispatcher().outbox.get(draft_id).draft
    assert draft.subject == "Typed, then a file"
    assert len(draft.operator_attachments) == 1
    assert [h.what for h in draft.history] == ["edited", "attached a file"]


def test_a_tab_opened_before_a_colleagues_save_does_not_write_over_it(rig: ConsoleRig,
                                                                      signed_in: TestClient) -> None:
    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    new_tab = signed_in.get(f"/draft/{draft_id}").text
    subject, message, cc = _editor(new_tab)
    theirs = signed_in.post(f"/draft/{draft_id}/save", data={
        "csrf": csrf_of(new_tab), "version": _version(new_tab), "subject": "The colleague's subject",
        "message": message, "cc": cc})
    assert theirs.status_code == 303
    _, old_message, old_cc = _editor(old_tab)
    for action, mine in (("save", "My subject, typed in the old tab"), ("save", subject), ("send", "Mine")):
        resp = signed_in.post(f"/draft/{draft_id}/{action}", data={
            "csrf": csrf_of(old_tab), "version": _version(old_tab), "confirm": "yes", "subject": mine,
            "message": old_message, "cc": old_cc})
        assert resp.status_code == 409, (action, mine)
        assert "Someone changed this draft after you opened it, so nothing was changed." in resp.text
        assert _editor(resp.text)[0] == "The colleague's subject"  # theirs, in the editor
        assert html.escape(mine, quote=False) in _kept(resp.text).replace("&#39;", "'")
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "draft"
    assert row.draft.subject == "The colleague's subject"
    assert [h.what for h in row.draft.history] == ["edited"]


def test_a_refused_upload_speaks_the_operators_language(rig: ConsoleRig, client: TestClient) -> None:
    from support.console import sign_in

    rig.add_operator("bernd", language="de")
    sign_in(client, "bernd")
    draft_id = rig.draft()
    token = csrf_of(client.get(f"/draft/{draft_id}").text)
    bad = client.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                      files={"file": ("rechnung.pdf", b"<html><script>x</script>", "application/pdf")})
    assert bad.status_code == 422
    assert "rechnung.pdf ist keine PDF-Datei (ihr Inhalt sagt etwas anderes)" in bad.text
    nothing = client.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                          files={"file": ("", b"", "application/octet-stream")})
    assert "Wählen Sie zuerst eine Datei zum Anhängen." in nothing.text


def test_changing_the_language_on_a_refused_forms_page_returns_to_the_draft(rig: ConsoleRig,
                                                                             signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    refused = signed_in.post(f"/draft/{draft_id}/save", data={
        "csrf": csrf_of(page), "version": _version(page), "subject": "", "message": "x"})
    assert refused.status_code == 422
    assert f'name="next" value="/draft/{draft_id}"' in refused.text
    back = signed_in.post("/language", data={"csrf": csrf_of(refused.text), "language": "de",
                                             "next": f"/draft/{draft_id}"})
    assert back.headers["location"] == f"/draft/{draft_id}"
    assert signed_in.get(back.headers["location"]).status_code == 200


def test_a_send_after_a_colleagues_discard_names_who_and_keeps_the_typing(rig: ConsoleRig,
                                                                          signed_in: TestClient) -> None:
    from support.console import sign_in

    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    rig.add_operator("bob")
    with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as colleague:
        sign_in(colleague, "bob")
        theirs = colleague.get(f"/draft/{draft_id}").text
        gone = colleague.post(f"/draft/{draft_id}/discard", data={"csrf": csrf_of(theirs), "confirm": "yes"})
        assert gone.status_code == 303
    _, message, cc = _editor(old_tab)
    resp = signed_in.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(old_tab), "version": _version(old_tab), "confirm": "yes",
        "subject": "Typed before the discard", "message": message, "cc": cc, "confirmed_cc": cc})
    assert resp.status_code == 409  # not the "Discarded" notice, as if this tab had discarded it
    problem = re.search(r'<div class="problem" role="alert" id="problem">(.*?)</div>', resp.text, re.S)
    assert problem
    assert re.fullmatch(r"This draft was discarded by bob at \d{4}-\d\d-\d\d \d\d:\d\d \S+, before your "
                        r"Send; nothing was sent\. What you had typed is kept below\.",
                        html.unescape(problem.group(1)).replace("&#39;", "'")), problem.group(1)
    assert "Typed before the discard" in _kept(resp.text)
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "discarded"
    assert [h.what for h in row.draft.history] == ["discarded the draft"]


@pytest.mark.parametrize(("pressed", "fields", "button", "nothing"), [
    ("send", {"confirm": "yes"}, "Send", "nothing was sent"), ("save", {}, "Save", "nothing was saved")])
def test_a_press_after_a_discard_says_so_in_the_operators_language(
        rig: ConsoleRig, client: TestClient, pressed: str, fields: dict[str, str], button: str,
        nothing: str) -> None:
    from mailgitops.console import i18n
    from mailgitops.dispatch import drafts
    from support.console import sign_in

    rig.add_operator("bernd", language="de")
    sign_in(client, "bernd")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text
    drafts.discard(rig.service.dispatcher().outbox, draft_id)  # `mailgitops drafts discard`: no record
    _, message, cc = _editor(page)
    resp = client.post(f"/draft/{draft_id}/{pressed}", data={
        "csrf": csrf_of(page), "version": _version(page), "subject": "Neu", "message": message, "cc": cc,
        "confirmed_cc": cc, **fields})
    assert resp.status_code == 409
    said = i18n.CATALOGS["de"][f"This draft was discarded before your {button}; {nothing}. What you had "
                               "typed is kept below."]
    assert _problem(resp.text) == said
    assert "Ihre Eingabe (nicht gespeichert)" in resp.text


def _discarded_by_bob(rig: ConsoleRig, draft_id: int) -> None:
    from support.console import sign_in

    rig.add_operator("bob")
    with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as colleague:
        sign_in(colleague, "bob")
        theirs = colleague.get(f"/draft/{draft_id}").text
        gone = colleague.post(f"/draft/{draft_id}/discard", data={"csrf": csrf_of(theirs), "confirm": "yes"})
        assert gone.status_code == 303


def _kept(page: str) -> str:
    """The page's box with what this tab had typed (HTML as shown)."""
    kept = re.search(r'<details open class="mine">(.*?)</details>', page, re.S)
    assert kept, "the typing is not kept on the page"
    return kept.group(1)


def _problem(page: str) -> str:
    problem = re.search(r'<div class="problem" role="alert" id="problem">(.*?)</div>', page, re.S)
    assert problem, "no problem on the page"
    return html.unescape(problem.group(1))


def _pressed_in_an_old_tab(rig: ConsoleRig, signed_in: TestClient, pressed: str, typed_subject: str,
                           colleague: Callable[[ConsoleRig, int], None]) -> tuple[int, str, Any]:
    """A draft with one upload, open in a tab; a colleague (`colleague`) acts on it; then the old
    tab presses `pressed` with a subject of its own typed. (draft id, the upload's path, answer)"""
    draft_id = rig.draft()
    token = csrf_of(signed_in.get("/").text)
    signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                   files={"file": ("proof.pdf", b"%PDF-1.4\n%proof\n", "application/pdf")})
    (rel,) = rig.service.dispatcher().outbox.get(draft_id).draft.operator_attachments
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    colleague(rig, draft_id)
    _, message, cc = _editor(old_tab)
    typed = {"csrf": csrf_of(old_tab), "version": _version(old_tab), "subject": typed_subject,
             "message": message, "cc": cc}
    if pressed == "upload":
        resp = signed_in.post(f"/draft/{draft_id}/upload", data=typed,
                              files={"file": ("more.pdf", b"%PDF-1.4\n%more\n", "application/pdf")})
    else:
        resp = signed_in.post(f"/draft/{draft_id}/{pressed}",
                              data={**typed, **({"path": rel} if pressed == "detach" else {})})
    return draft_id, rel, resp


@pytest.mark.parametrize(("pressed", "button", "nothing"), [
    ("save", "Save", "nothing was saved"), ("upload", "Upload", "no file was attached"),
    ("detach", "Remove", "no file was removed")])
def test_save_upload_or_remove_after_a_colleagues_discard_names_who_and_keeps_the_typing(
        rig: ConsoleRig, signed_in: TestClient, pressed: str, button: str, nothing: str) -> None:
    draft_id, _, resp = _pressed_in_an_old_tab(rig, signed_in, pressed, "Typed before the discard",
                                               _discarded_by_bob)
    # not "draft 1 is already discarded; it can no longer be edited" with the typing lost
    assert resp.status_code == 409
    assert re.fullmatch(rf"This draft was discarded by bob at \d{{4}}-\d\d-\d\d \d\d:\d\d \S+, before your "
                        rf"{button}; {nothing}\. What you had typed is kept below\.", _problem(resp.text))
    assert "Typed before the discard" in _kept(resp.text)
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "discarded"
    assert row.draft.subject != "Typed before the discard"
    assert [h.what for h in row.draft.history][1:] == ["discarded the draft"]


def _sent_by_bob(rig: ConsoleRig, draft_id: int) -> None:
    from support.console import sign_in

    rig.add_operator("bob")
    with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as colleague:
        sign_in(colleague, "bob")
        theirs = colleague.get(f"/draft/{draft_id}").text
        subject, message, cc = _editor(theirs)
        sent = colleague.post(f"/draft/{draft_id}/send", data={
            "csrf": csrf_of(theirs), "version": _version(theirs), "confirm": "yes", "subject": subject,
            "message": message, "cc": cc, "confirmed_cc": cc})
        assert sent.headers["location"].endswith("notice=sent")


def test_a_send_after_a_colleagues_send_names_who_and_keeps_other_typing(rig: ConsoleRig,
                                                                         signed_in: TestClient) -> None:
    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    _sent_by_bob(rig, draft_id)
    subject, message, cc = _editor(old_tab)
    resp = signed_in.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(old_tab), "version": _version(old_tab), "confirm": "yes",
        "subject": "Typed while bob sent it", "message": message, "cc": cc, "confirmed_cc": cc})
    assert resp.status_code == 409  # not a redirect that drops what this tab had typed
    assert re.fullmatch(r"This draft was handed over for sending by bob at \d{4}-\d\d-\d\d \d\d:\d\d \S+, "
                        r"before your Send; nothing was queued twice\. What you had typed differs from what "
                        r"was sent and is kept below\.", _problem(resp.text))
    assert "Typed while bob sent it" in _kept(resp.text)
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued"
    assert row.draft.subject == subject
    assert [(h.who, h.what) for h in row.draft.history] == [("bob", "sent the email")]


def test_a_send_of_what_a_colleague_sent_says_who_sent_it(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    _sent_by_bob(rig, draft_id)
    subject, message, cc = _editor(old_tab)
    resp = signed_in.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(old_tab), "version": _version(old_tab), "confirm": "yes", "subject": subject,
        "message": message, "cc": cc, "confirmed_cc": cc})
    assert resp.status_code == 303  # the same email: nothing to keep
    page = signed_in.get(resp.headers["location"]).text
    notice = re.search(r'<div class="notice" role="status">(.*?)</div>', page, re.S)
    assert notice, "no notice on the page"
    assert re.fullmatch(r"This draft was already handed over for sending by bob at \d{4}-\d\d-\d\d \d\d:\d\d "
                        r"\S+; nothing was queued twice\.", html.unescape(notice.group(1)).strip())
    assert len(rig.service.dispatcher().outbox.rows("queued", 10)) == 1


@pytest.mark.parametrize(("pressed", "button", "nothing"), [
    ("save", "Save", "nothing was saved"), ("upload", "Upload", "no file was attached"),
    ("detach", "Remove", "no file was removed")])
def test_save_upload_or_remove_after_a_colleagues_send_names_who_and_keeps_the_typing(
        rig: ConsoleRig, signed_in: TestClient, pressed: str, button: str, nothing: str) -> None:
    draft_id, rel, resp = _pressed_in_an_old_tab(rig, signed_in, pressed, "Typed while bob sent it",
                                                 _sent_by_bob)
    # not 422 "draft 1 is already queued" with the typing lost
    assert resp.status_code == 409
    assert re.fullmatch(rf"This draft was handed over for sending by bob at \d{{4}}-\d\d-\d\d \d\d:\d\d \S+, "
                        rf"before your {button}; {nothing}\. What you had typed is kept below\.",
                        _problem(resp.text))
    assert "Typed while bob sent it" in _kept(resp.text)
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued"
    assert row.draft.subject != "Typed while bob sent it"
    assert row.draft.operator_attachments == (rel,)


def test_a_save_with_nothing_new_after_a_send_is_not_told_saved(rig: ConsoleRig,
                                                                signed_in: TestClient) -> None:
    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    _sent_by_bob(rig, draft_id)
    subject, message, cc = _editor(old_tab)
    resp = signed_in.post(f"/draft/{draft_id}/save", data={
        "csrf": csrf_of(old_tab), "version": _version(old_tab), "subject": subject, "message": message,
        "cc": cc})
    assert resp.status_code == 409  # it said "Saved." of a draft already on its way
    assert "before your Save; nothing was saved" in _problem(resp.text)
