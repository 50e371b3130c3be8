"""The inbox, a draft, editing, preview, send once, discard and the change record, in-process."""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.console import ConsoleRig, csrf_of
from support.smtpd import SmtpServer


def test_inbox_lists_waiting_drafts_newest_first_with_count_in_title(rig: ConsoleRig,
                                                                    signed_in: TestClient) -> None:
    rig.draft("q-1")
    rig.draft("q-2", order_number="PO-2002")
    page = signed_in.get("/")
    assert "<title>Drafts (2) · mailgitops</title>" in page.text
    rows = re.findall(r'<td><a href="/draft/(\d+)">(PO-[^<]+)</a></td>', page.text)
    assert [r[1] for r in rows] == ["PO-2002", "PO-1001"]  # newest first
    assert "quotation" in page.text
    assert "Ada Lovelace" in page.text
    found = signed_in.get("/?order=2002")
    assert "PO-2002" in found.text
    assert "PO-1001" not in found.text


def test_draft_page_shows_the_email_as_sent_and_a_readable_editor(rig: ConsoleRig,
                                                                   signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    for label in ('<label for="subject">Subject</label>', '<label for="message">Message</label>',
                  '<label for="cc">CC</label>', '>Send</button>', '>Discard</button>'):
        assert label in page
    editor = re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', page, re.S)
    assert editor
    assert "PO-1001" in editor.group(1)
    assert "\\" not in editor.group(1)  # no Markdown escapes
    assert "Campus Print Shop &lt;campus@example.com&gt;" in page
    assert "archive@example.com" in page
    frame = signed_in.get(f"/draft/{draft_id}/email.html").text
    assert "PO-1001" in frame
    assert "cid:" not in frame


def version_of(page: str) -> str:
    m = re.search(r'name="version" value="([^"]+)"', page)
    assert m, "no version on the Send form"
    return m.group(1)


def test_a_tab_opened_before_another_edit_cannot_send(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    old_tab = signed_in.get(f"/draft/{draft_id}").text
    edited = _edit(signed_in, draft_id, subject="Changed in the other tab")
    assert edited.status_code == 303  # type: ignore[attr-defined]
    resp = signed_in.post(f"/draft/{draft_id}/send", data={"csrf": csrf_of(old_tab), "confirm": "yes",
                                                           "version": version_of(old_tab)})
    assert resp.status_code == 409
    assert "Someone changed this draft after you opened it" in resp.text
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"


def _edit(client: TestClient, draft_id: int, **fields: str) -> object:
    page = client.get(f"/draft/{draft_id}").text
    editor = re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', page, re.S)
    assert editor
    import html

    subject = re.search(r'id="subject" name="subject" value="([^"]*)"', page)
    assert subject
    data = {"csrf": csrf_of(page), "subject": html.unescape(subject.group(1)),
            "message": html.unescape(editor.group(1)), "cc": "archive@example.com", **fields}
    return client.post(f"/draft/{draft_id}/save", data=data)


def test_saving_unchanged_text_records_nothing(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    before = rig.service.dispatcher().outbox.get(draft_id)
    assert _edit(signed_in, draft_id).status_code == 303  # type: ignore[attr-defined]
    after = rig.service.dispatcher().outbox.get(draft_id)
    assert after.draft.markdown == before.draft.markdown
    assert after.draft.history == ()


def test_edit_preview_send_once_and_the_change_record(rig: ConsoleRig, signed_in: TestClient,
                                                      sink: SmtpServer) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    preview = signed_in.post(f"/draft/{draft_id}/preview",
                             data={"csrf": csrf_of(page), "subject": "Revised",
                                   "message": "Only **this**."})
    assert "<strong" in preview.text
    assert "Only" in preview.text
    assert preview.headers["content-security-policy"].startswith("sandbox")
    # the preview stores nothing
    assert rig.service.dispatcher().outbox.get(draft_id).draft.subject != "Revised"
    resp = _edit(signed_in, draft_id, subject="Your revised quotation PO-1001",
                 message="Dear Ada,\n\nthe revised price is 1,150.00 EUR.\n",
                 cc="archive@example.com, boss@example.com")
    assert resp.status_code == 303  # type: ignore[attr-defined]
    page = signed_in.get(f"/draft/{draft_id}").text
    assert "ada</strong>: edited (Subject, Message, CC)" in page.replace("\n", " ")
    token = csrf_of(page)
    seen = version_of(page)
    results: list[int] = []

    def click() -> None:
        resp = signed_in.post(f"/draft/{draft_id}/send",
                              data={"csrf": token, "confirm": "yes", "version": seen})
        results.append(resp.status_code)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert results == [303, 303]
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued"
    rig.service.dispatcher().sender.flush()
    assert len(sink.messages) == 1  # two clicks, one email
    assert "revised price is 1,150.00 EUR" in sink.messages[0].message.get_body(("plain",)).get_content()
    assert "boss@example.com" in sink.messages[0].rcpts
    page = signed_in.get(f"/draft/{draft_id}").text
    assert "Difference from the original" in page
    assert '<span class="add">Your revised quotation PO-1001</span>' in page
    assert '<span class="add">boss@example.com</span>' in page
    assert "sent the email" in page
    history = rig.service.dispatcher().outbox.get(draft_id).draft.history
    assert [h.what for h in history] == ["edited", "sent the email"]
    # `drafts show` and GET /drafts/{id} return the record too, as docs/console.md says
    from mailgitops.dispatch import drafts

    shown = drafts.show(rig.service.dispatcher().outbox, draft_id)
    assert [h["what"] for h in shown["history"]] == ["edited", "sent the email"]  # type: ignore[index,union-attr]
    assert shown["original"]["subject"] != "Your revised quotation PO-1001"  # type: ignore[index,call-overload]
    assert any(part["field"] == "cc" for part in shown["diff"])  # type: ignore[index,union-attr]


def test_send_needs_the_confirmation(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    resp = signed_in.post(f"/draft/{draft_id}/send",
                          data={"csrf": csrf_of(page), "version": version_of(page)})
    assert resp.status_code == 422
    assert "Tick the box to confirm." in resp.text
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"


def test_discard_is_recorded_and_never_sent(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    other = rig.draft("q-other")
    token = csrf_of(signed_in.get("/").text)
    for which in (draft_id, other):
        signed_in.post(f"/draft/{which}/upload", data={"csrf": token},
                       files={"file": ("proof.pdf", b"%PDF-1.4\n%the customer's proof\n", "application/pdf")})
    uploads = rig.attachments / "console-uploads"
    assert (uploads / str(draft_id)).is_dir()
    gone = signed_in.post(f"/draft/{draft_id}/discard", data={"csrf": token, "confirm": "yes"})
    assert gone.status_code == 303
    assert rig.service.dispatcher().outbox.get(draft_id).status == "discarded"
    # the customer's file attached to it goes with it; another draft's stays
    assert not (uploads / str(draft_id)).exists()
    assert [p.name for p in (uploads / str(other)).rglob("*.pdf")] == ["proof.pdf"]
    again = signed_in.post(f"/draft/{draft_id}/send", data={"csrf": token, "confirm": "yes"})
    assert again.status_code == 409  # nothing sent, and who discarded it (this tab could be another)
    assert "This draft was discarded by ada at " in again.text
    assert rig.service.dispatcher().outbox.get(draft_id).status == "discarded"
    assert "discarded the draft" in signed_in.get(f"/draft/{draft_id}").text


def test_upload_checks_type_and_content(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    token = csrf_of(signed_in.get("/").text)
    bad = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                         files={"file": ("invoice.pdf", b"<html><script>x</script>", "application/pdf")})
    assert bad.status_code == 422
    assert "is not a PDF file" in bad.text
    html_file = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                               files={"file": ("page.html", b"<html></html>", "text/html")})
    assert html_file.status_code == 422
    assert "not attached" in html_file.text
    umask = os.umask(0o022)  # the common one, which makes other files 0644 and folders 0755
    try:
        ok = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                            files={"file": ("price list.pdf", b"%PDF-1.4\n%test\n", "application/pdf")})
    finally:
        os.umask(umask)
    assert ok.status_code == 303
    row = rig.service.dispatcher().outbox.get(draft_id)
    (rel,) = row.draft.operator_attachments
    assert rel.startswith("console-uploads/")
    assert (rig.attachments / rel).read_bytes().startswith(b"%PDF")
    # the customer's file is the service user's alone, and so is each folder made for it
    assert stat.S_IMODE((rig.attachments / rel).stat().st_mode) == 0o600
    for folder in Path(rel).parents[:-1]:
        assert stat.S_IMODE((rig.attachments / folder).stat().st_mode) == 0o700, folder
    assert "price list.pdf" in signed_in.get(f"/draft/{draft_id}").text


def test_an_uploaded_file_keeps_its_name_on_the_page_and_for_the_customer(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    """German, Chinese and a Mac's decomposed name reached the customer as "Auftrag _bersicht
    (final).pdf", "_.pdf" and "Gr_e-Ma_e.pdf" (an operator's walk)."""
    import unicodedata

    draft_id = rig.draft()
    token = csrf_of(signed_in.get(f"/draft/{draft_id}").text)
    names = ["Auftrag Übersicht (final).pdf", "报价单.pdf", unicodedata.normalize("NFD", "Größe-Maße.pdf")]
    for name in names:
        got = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                             files={"file": (name, b"%PDF-1.4\n%proof\n", "application/pdf")})
        assert got.status_code == 303
        assert "File attached." in signed_in.get(got.headers["location"]).text  # as it was named
    shown = ["Auftrag Übersicht (final).pdf", "报价单.pdf", "Größe-Maße.pdf"]
    page = signed_in.get(f"/draft/{draft_id}").text
    for name in shown:
        assert name in page
    assert _sent_file_names(rig, signed_in, sink, draft_id, page) == shown


def _sent_file_names(rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer, draft_id: int,
                     page: str) -> list[str | None]:
    """Send the draft from `page` and read the attachments' names in the message the server got."""
    send = signed_in.post(f"/draft/{draft_id}/send",
                          data={"csrf": csrf_of(page), "confirm": "yes", "version": version_of(page)})
    assert send.status_code == 303
    rig.service.dispatcher().sender.flush()
    (sent,) = sink.messages
    return [a.get_filename() for a in sent.message.iter_attachments()]


def test_a_name_made_safe_is_said_so(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    token = csrf_of(signed_in.get(f"/draft/{draft_id}").text)
    got = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                         files={"file": ("Angebot: v2|final?.pdf", b"%PDF-1.4\n", "application/pdf")})
    page = signed_in.get(got.headers["location"]).text
    assert "File attached under a safe name" in page
    assert 'aria-label="Remove Angebot_ v2_final_.pdf"' in page


def test_a_second_file_of_one_name_is_numbered_for_the_operator_and_the_customer(
        rig: ConsoleRig, signed_in: TestClient, sink: SmtpServer) -> None:
    """Two Chinese names both became "_.pdf": the draft listed two, and the operator could not
    tell which Remove removed which. A second file of a name is now numbered, and the page says so."""
    draft_id = rig.draft()
    token = csrf_of(signed_in.get(f"/draft/{draft_id}").text)
    for name in ("报价单.pdf", "报价单.pdf", "Proof.pdf", "proof.PDF"):
        got = signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                             files={"file": (name, b"%PDF-1.4\n%proof\n", "application/pdf")})
        assert got.status_code == 303
    shown = ["报价单.pdf", "报价单 (2).pdf", "Proof.pdf", "proof (2).PDF"]  # one folder on Windows or a Mac
    page = signed_in.get(got.headers["location"]).text
    assert "File attached under a numbered name" in page
    for name in shown:
        assert f'aria-label="Remove {name}"' in page
    assert _sent_file_names(rig, signed_in, sink, draft_id, page) == shown
    # a name no file has yet is attached as it is, with the plain notice
    other = rig.draft("q-2", order_number="PO-2002")
    got = signed_in.post(f"/draft/{other}/upload", data={"csrf": token},
                         files={"file": ("报价单.pdf", b"%PDF-1.4\n", "application/pdf")})
    assert "File attached." in signed_in.get(got.headers["location"]).text


def test_two_files_of_one_name_from_the_order_system_are_listed_apart(rig: ConsoleRig,
                                                                        signed_in: TestClient) -> None:
    """Files from two folders under one name, attached through the API, are listed as the email
    names them, each Remove labelled with its own."""
    from mailgitops.dispatch import drafts
    from mailgitops.dispatch.draft_record import API, recorder

    draft_id = rig.draft()
    drafts.edit(rig.service.dispatcher(), draft_id, record=recorder(API, "edited"),
                attach=["jobs/PO-1001/final.pdf", "jobs/PO-1002/final.pdf"])
    page = signed_in.get(f"/draft/{draft_id}").text
    assert 'aria-label="Remove final.pdf"' in page
    assert 'aria-label="Remove final (2).pdf"' in page
    assert "attached: final.pdf, final (2).pdf</li>" in page  # the change record names them alike
    # an upload of that name comes after both
    signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": csrf_of(page), "version": version_of(page)},
                   files={"file": ("FINAL.pdf", b"%PDF-1.4\n", "application/pdf")})
    assert 'aria-label="Remove FINAL (3).pdf"' in signed_in.get(f"/draft/{draft_id}").text


def test_language_per_operator(rig: ConsoleRig, client: TestClient) -> None:
    from support.console import sign_in

    rig.add_operator("li", language="zh")
    sign_in(client, "li")
    rig.draft()
    page = client.get("/").text
    assert "<title>草稿 (1) · mailgitops</title>" in page
    assert 'lang="zh"' in page
    client.post("/language", data={"csrf": csrf_of(page), "language": "de", "next": "/"})
    assert "<title>Entwürfe (1) · mailgitops</title>" in client.get("/").text


def test_remove_only_detaches_this_drafts_own_file(rig: ConsoleRig, signed_in: TestClient) -> None:
    first, second = rig.draft("q-1"), rig.draft("q-2", order_number="PO-2002")
    token = csrf_of(signed_in.get("/").text)
    signed_in.post(f"/draft/{first}/upload", data={"csrf": token},
                   files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")})
    (rel,) = rig.service.dispatcher().outbox.get(first).draft.operator_attachments
    other = signed_in.post(f"/draft/{second}/detach", data={"csrf": token, "path": rel})
    assert other.status_code == 422
    assert (rig.attachments / rel).exists()  # another draft cannot delete it
    own = signed_in.post(f"/draft/{first}/detach", data={"csrf": token, "path": rel})
    assert own.status_code == 303
    assert not (rig.attachments / rel).exists()
    assert rig.service.dispatcher().outbox.get(first).draft.operator_attachments == ()
    assert "removed a file" in signed_in.get(f"/draft/{first}").text


def test_the_change_record_names_the_file_attached_or_removed(rig: ConsoleRig, signed_in: TestClient) -> None:
    """The record said only "attached a file (Attachments)", never which file."""
    from mailgitops.dispatch import drafts
    from mailgitops.dispatch.draft_record import API, recorder

    draft_id = rig.draft()
    token = csrf_of(signed_in.get(f"/draft/{draft_id}").text)
    signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                   files={"file": ("Auftrag Übersicht (final).pdf", b"%PDF-1.4\n", "application/pdf")})
    page = signed_in.get(f"/draft/{draft_id}").text
    assert "attached a file (Attachments): Auftrag Übersicht (final).pdf</li>" in page
    (rel,) = rig.service.dispatcher().outbox.get(draft_id).draft.operator_attachments
    # the order system swaps it for another file in one edit: both named, each with what happened
    drafts.edit(rig.service.dispatcher(), draft_id, attach=["jobs/PO-1001/ticket.pdf"], detach=[rel],
                record=recorder(API, "edited"))
    page = signed_in.get(f"/draft/{draft_id}").text
    assert "edited (Attachments): attached: ticket.pdf; removed: Auftrag Übersicht (final).pdf</li>" in page
    signed_in.post(f"/draft/{draft_id}/detach",
                   data={"csrf": token, "path": "jobs/PO-1001/ticket.pdf", "version": version_of(page)})
    page = signed_in.get(f"/draft/{draft_id}").text
    assert "removed a file (Attachments): ticket.pdf</li>" in page
    history = rig.service.dispatcher().outbox.get(draft_id).draft.history
    assert [(h.attached, h.removed) for h in history] == [
        (("Auftrag Übersicht (final).pdf",), ()), (("ticket.pdf",), ("Auftrag Übersicht (final).pdf",)),
        ((), ("ticket.pdf",))]
    # Remove in the console finds a file by its Unicode path, as the page sent it
    signed_in.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                   files={"file": ("报价单.pdf", b"%PDF-1.4\n", "application/pdf")})
    (rel,) = rig.service.dispatcher().outbox.get(draft_id).draft.operator_attachments
    page = signed_in.get(f"/draft/{draft_id}").text
    assert f'value="{rel}"' in page
    gone = signed_in.post(f"/draft/{draft_id}/detach", data={"csrf": token, "path": rel})
    assert gone.status_code == 303
    assert "removed a file (Attachments): 报价单.pdf</li>" in signed_in.get(f"/draft/{draft_id}").text
    assert not (rig.attachments / rel).exists()


def test_a_cc_is_read_as_the_operator_wrote_it(rig: ConsoleRig, signed_in: TestClient) -> None:
    """Addresses between commas, semicolons, line breaks, or spaces between addresses; a part
    with spaces and no second address is refused whole, quoted as typed ("boss at example" was
    refused as 'boss', 'at', 'example')."""
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    refused = signed_in.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), "cc": "boss at example"})
    assert refused.status_code == 422
    assert "not a single email address: &#39;boss at example&#39;" in refused.text
    page = signed_in.get(f"/draft/{draft_id}").text
    saved = signed_in.post(f"/draft/{draft_id}/save",
                           data={"csrf": csrf_of(page), "cc": "a@example.org b@example.org;\nc@example.org"})
    assert saved.status_code == 303, saved.text[:2000]
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row is not None and list(row.cc) == ["a@example.org", "b@example.org", "c@example.org"]


def test_a_cc_with_a_name_as_copied_from_a_mail_program_is_its_address(rig: ConsoleRig,
                                                                       signed_in: TestClient) -> None:
    """`Boss <boss@example.net>` was refused as "not a single email address"; it is one address,
    kept without the name (the draft's CC holds addresses), and the page says so."""
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    saved = signed_in.post(f"/draft/{draft_id}/save", data={
        "csrf": csrf_of(page),
        "cc": 'Boss <boss@example.net>; "Hansen, Bea" <bea@example.net>, c@example.org'})
    assert saved.status_code == 303, saved.text[:2000]
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert list(row.cc) == ["boss@example.net", "bea@example.net", "c@example.org"]
    shown = signed_in.get(saved.headers["location"]).text
    assert "the name written with an address is left out of the email" in shown
    # still one address each: a wrong one is refused, quoted as typed
    refused = signed_in.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(shown),
                                                              "cc": "Boss <boss at example.net>"})
    assert refused.status_code == 422
    assert "not a single email address: &#39;Boss &lt;boss at example.net&gt;&#39;" in refused.text


def test_send_with_a_named_cc_confirmed_as_its_address(rig: ConsoleRig, signed_in: TestClient) -> None:
    """The Send tick names the address (what live.js puts in confirmed_cc); the server reads the
    editor's `Boss <boss@example.net>` as that address, so the send is not refused as changed."""
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    version = re.search(r'name="version" value="([^"]+)"', page)
    assert version
    sent = signed_in.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(page), "version": version.group(1), "confirm": "yes",
        "cc": "Boss <boss@example.net>", "confirmed_cc": "boss@example.net"})
    assert sent.status_code == 303, sent.text[:2000]
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued" and list(row.cc) == ["boss@example.net"]


@pytest.mark.parametrize(("lang", "small", "large"), [
    ("en", "notes.txt (29 bytes)", "scan.pdf (1.5 MB)"), ("de", "notes.txt (29 Byte)", "scan.pdf (1,5 MB)"),
    ("zh", "notes.txt (29 字节)", "scan.pdf (1.5 MB)")])
def test_a_files_size_reads_true_in_the_operators_language(rig: ConsoleRig, client: TestClient, lang: str,
                                                           small: str, large: str) -> None:
    from support.console import sign_in

    rig.add_operator("op", language=lang)
    sign_in(client, "op")
    draft_id = rig.draft()
    token = csrf_of(client.get("/").text)
    notes = b"Please print on matte paper!\n"  # 29 bytes: it read "notes.txt (1 KB)"
    assert len(notes) == 29
    for name, content, kind in (("notes.txt", notes, "text/plain"),
                                ("scan.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1536 - 9), "application/pdf")):
        sent = client.post(f"/draft/{draft_id}/upload", data={"csrf": token},
                           files={"file": (name, content, kind)})
        assert sent.status_code == 303, sent.text
    headers = re.search(r'<dl class="headers">(.*?)</dl>', client.get(f"/draft/{draft_id}").text, re.S)
    assert headers
    files = re.sub(r"<[^>]+>", "", headers.group(1))
    assert small in files and large in files, files


@pytest.mark.parametrize(("n", "en", "de"), [
    (1, "1 byte", "1 Byte"), (29, "29 bytes", "29 Byte"), (999, "999 bytes", "999 Byte"),
    (1000, "1 KB", "1 KB"), (1023 * 1000, "999 KB", "999 KB"), (1024 * 1023, "1.0 MB", "1,0 MB"),
    (20 * 1024 * 1024, "20.0 MB", "20,0 MB")])
def test_sizes_at_their_edges(n: int, en: str, de: str) -> None:
    from mailgitops.console.drafting import size

    assert (size(n, "en"), size(n, "de")) == (en, de)


def test_a_name_that_turns_the_text_is_shown_with_the_turn_named(rig: ConsoleRig,
                                                                 signed_in: TestClient) -> None:
    """A customer named `Eve<U+202E>FDP.exe" <x@evil.example>, "Bcc` made the Send tick read another
    address than the one the email goes to (a security review); the turn is named, not obeyed."""
    customer = {"name": 'Eve\u202eFDP.exe" <x@evil.example>, "Bcc', "email": "eve@example.org"}
    draft_id = rig.draft("q-turn", customer=customer)
    page = signed_in.get(f"/draft/{draft_id}").text
    to = re.search(r"<dt>To</dt><dd>(.*?)</dd>", page, re.S)
    tick = re.search(r'<label for="confirm-send">(.*?)</label>', page, re.S)
    assert to and tick, page[:500]
    for shown in (to.group(1), tick.group(1)):  # the email's own text keeps what the customer wrote
        assert "\u202e" not in shown and "Eve[U+202E]FDP.exe" in shown, shown
        assert shown.endswith("&lt;eve@example.org&gt;"), shown
    inbox = signed_in.get("/").text  # the drafts list names the customer so too
    assert "Eve[U+202E]FDP.exe" in inbox and "\u202e" not in inbox
