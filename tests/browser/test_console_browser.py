"""The operator console in Debian's Chromium (Playwright, no browser download): sign-in, CSRF
refusal, the inbox, editing with live preview, upload, send once under a double click, discard,
the change record, retry and the paused banner. Screenshots of every page at desktop and phone
width go to test-output/console/ (MAILGITOPS_TEST_OUTPUT), kept by CI as artifacts."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from support.browser import chromium, served
from support.console import PASSWORD, ConsoleRig, console_bundle, make_rig
from support.smtpd import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path(os.environ.get("MAILGITOPS_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) \
    / "console"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory,
         smtp_server: SmtpServer) -> Iterator[tuple[ConsoleRig, str]]:
    tmp = tmp_path_factory.mktemp("console-browser")
    bundle = console_bundle(tmp, smtp_server.port)
    for rig in make_rig(tmp, bundle):
        rig.add_operator("ada")
        with served(rig.app) as url:
            yield rig, url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium() as b:
        yield b


def shoot(page: Any, name: str) -> None:
    """The page at desktop and at phone width, whole height."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def sign_in(page: Any, base: str, name: str = "ada", password: str = PASSWORD) -> None:
    page.goto(f"{base}/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # the sign-in is done when the inbox is shown: reading the page, or going elsewhere, before
    # then races the form's own navigation (the title read '' once in CI)
    page.wait_for_url(f"{base}/")


def open_draft(browser: Any, base: str, operator: str, draft_id: int, size: str = "desktop") -> Any:
    """A new browser at `size`, signed in as `operator` (the sign-in done: the inbox shown), on
    the draft's page."""
    page = browser.new_context(viewport=SIZES[size]).new_page()
    sign_in(page, base, operator)
    page.goto(f"{base}/draft/{draft_id}")
    return page


def test_no_page_load_asks_for_something_missing(live: tuple[ConsoleRig, str], browser: Any) -> None:
    """/favicon.ico, asked by the browser with every page, answered 404: an error in its console."""
    rig, base = live
    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.on("console", lambda m: missing.append(m.text) if m.type == "error" else None)
    sign_in(page, base)
    page.goto(f"{base}/draft/{rig.draft('icon-1')}")
    page.goto(f"{base}/deliveries")
    page.wait_for_timeout(300)  # the icon is asked after the page has loaded
    assert missing == []
    page.context.close()


def test_sign_in_by_keyboard_wrong_password_and_csrf_refusal(live: tuple[ConsoleRig, str],
                                                             browser: Any) -> None:
    rig, base = live
    ctx = browser.new_context(viewport=SIZES["desktop"])
    page = ctx.new_page()
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/sign-in")
    shoot(page, "sign-in")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    shoot(page, "sign-in-refused")
    # by keyboard alone: the name field has the focus, Tab moves on, Enter signs in
    page.get_by_label("User name").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Drafts waiting for you")
    # another site's form, posted with the operator's cookie: refused, nothing sent
    draft_id = rig.draft("csrf-1")
    evil = ctx.new_page()
    evil.set_content(f'<form method="post" action="{base}/draft/{draft_id}/send">'
                     '<input name="confirm" value="yes"><button>win a prize</button></form>')
    evil.get_by_role("button", name="win a prize").click()
    # the answer to the post (the page the click leaves was loaded already: no load to wait for)
    expect(evil.locator("body")).to_contain_text("came from another site")
    shoot(evil, "refused")
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"
    ctx.close()


def test_inbox_edit_live_preview_upload_send_once_and_record(live: tuple[ConsoleRig, str], browser: Any,
                                                              sink: SmtpServer, tmp_path: Path) -> None:
    rig, base = live
    draft_id = rig.draft("browser-1", order_number="PO-7001")
    rig.draft("browser-2", order_number="PO-7002")
    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    sign_in(page, base)
    waiting = rig.service.dispatcher().outbox.counts()["draft"]
    assert page.title() == f"Drafts ({waiting}) · mailgitops"
    shoot(page, "inbox")
    page.set_viewport_size(SIZES["phone"])  # on a phone every draft reads whole, nothing beyond the edge
    assert page.evaluate("document.querySelector('.table-scroll').scrollWidth <= window.innerWidth")
    page.set_viewport_size(SIZES["desktop"])
    page.get_by_label("Order, customer or address").fill("PO-7001")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)  # waits for the search's page
    # by keyboard one Tab stop per draft (its order number), not two
    page.get_by_role("link", name="Show all").focus()
    page.keyboard.press("Tab")  # the table's scroll region
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "PO-7001"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") != f"/draft/{draft_id}"
    page.get_by_role("link", name="PO-7001", exact=True).click()
    assert "\\" not in page.get_by_label("Message").input_value()  # readable, no Markdown escapes
    shoot(page, "draft")
    # live preview: typing updates the email in the sandboxed frame, nothing is stored yet
    page.get_by_label("Message").fill("Dear Ada,\n\nthe **revised** price is 1,150.00 EUR.\n")
    frame = page.frame_locator("iframe[name=preview]")
    frame.locator("strong", has_text="revised").wait_for()  # Markdown rendered as the email will be
    assert "1,150.00 EUR" in frame.locator("body").inner_text()
    page.get_by_label("Subject").fill("Your revised quotation PO-7001")
    page.get_by_label("CC").fill("archive@example.com, boss@example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    pdf = tmp_path / "Preisliste Übersicht 报价单.pdf"  # Chromium sends the name as UTF-8
    pdf.write_bytes(b"%PDF-1.4\n% a tiny test file\n")
    page.get_by_label("Attach a file").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("File attached.")
    assert "Preisliste Übersicht 报价单.pdf" in page.locator("dl.headers").inner_text()
    # typed and not saved: Send sends what the editor shows
    page.get_by_label("Subject").fill("Your revised quotation PO-7001, final")
    # Send, confirmed, double-clicked: queued once, sent once
    page.get_by_label("Yes, send this email to").check()
    page.get_by_role("button", name="Send", exact=True).dblclick()
    # the page the second click gets: it went out with the first, or this one sent it
    expect(page.get_by_role("status")).to_have_text(re.compile(
        r"^(Queued to go out once; its delivery shows when it has been sent\."
        r"|This draft was already handed over for sending by ada at [^;]+; nothing was queued twice\.)$"))
    sink.messages.clear()
    rig.service.dispatcher().sender.flush()
    assert len(sink.messages) == 1
    got = sink.messages[0].message
    assert got["Subject"] == "Your revised quotation PO-7001, final"
    assert [p.get_filename() for p in got.iter_attachments()] == ["Preisliste Übersicht 报价单.pdf"]
    page.goto(f"{base}/draft/{draft_id}")
    changes = page.locator("#changes ~ *").all_inner_texts()
    text = " ".join(changes)
    assert "Difference from the original" in text
    assert "boss@example.com" in text
    assert "ada: edited (Subject, Message, CC)" in text.replace("\n", " ") or "ada" in text
    shoot(page, "draft-sent")


def test_discard_retry_paused_banner_and_german(live: tuple[ConsoleRig, str], browser: Any) -> None:
    rig, base = live
    draft_id = rig.draft("browser-3", order_number="PO-7003")
    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    sign_in(page, base)
    page.goto(f"{base}/draft/{draft_id}")
    page.get_by_role("button", name="Discard").click()  # not confirmed: the page asks for the tick
    expect(page.get_by_role("alert")).to_have_text("Tick the box to confirm.")
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"
    page.get_by_label("Yes, discard this draft; it is never sent").check()
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_role("status")).to_have_text("Discarded; this draft is never sent.")
    assert rig.service.dispatcher().outbox.get(draft_id).status == "discarded"
    # a message that failed for good: Retry queues it again
    outbox = rig.service.dispatcher().outbox
    failed = rig.draft("browser-4", order_number="PO-7004")
    from mailgitops.dispatch import drafts

    drafts.send(rig.service.dispatcher(), failed, deliver=False)
    outbox.update(failed, None, status="failed", last_error="550 5.1.1 mailbox unavailable")
    outbox.pause(time.time() + 600, "the server refused the login (535 authentication failed)")
    page.goto(f"{base}/deliveries?status=failed")
    banner = page.get_by_role("alert")
    assert "Sending is paused" in banner.inner_text()
    assert "535" in banner.inner_text()
    assert "550 5.1.1 mailbox unavailable" in page.locator("tbody").inner_text()
    shoot(page, "deliveries")
    page.get_by_role("button", name=f"Retry #{failed}").click()
    expect(page.get_by_role("status")).to_have_text("Queued for another attempt.")
    assert outbox.get(failed).status == "queued"
    row = page.locator("tbody tr", has_text="PO-7004")
    # the next attempt in the workflow's timezone, with its name (the shipped config: Europe/Berlin)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", row.locator("time").inner_text())
    assert re.search(r"T\d\d:\d\d:\d\d\+0[12]:00$", row.locator("time").get_attribute("datetime") or "")
    outbox.pause(time.time() - 1, "")
    # the console in German, chosen by this operator
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zustellungen")
    page.goto(f"{base}/")
    shoot(page, "inbox-de")
    page.get_by_label("Sprache").select_option("zh")
    page.get_by_role("button", name="Ändern").click()
    expect(page).to_have_title(re.compile(r"^草稿"))  # waits for the page the change leads to
    shoot(page, "inbox-zh")


def test_typing_survives_a_session_that_ended(live: tuple[ConsoleRig, str], browser: Any) -> None:
    from mailgitops.console.accounts import Accounts

    rig, base = live
    draft_id = rig.draft("browser-5", order_number="PO-7005")
    rig.add_operator("bea")  # an operator of her own: an earlier test leaves ada's console in Chinese
    page = open_draft(browser, base, "bea", draft_id)
    page.get_by_label("Subject").fill("Typed over lunch, PO-7005")
    accounts = Accounts(rig.settings.operators_path)  # the session ends while the page is open
    accounts.remove("bea")
    accounts.close()
    rig.add_operator("bea")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Your session had ended")
    page.get_by_label("User name").fill("bea")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text("is back in the editor")
    assert page.get_by_label("Subject").input_value() == "Typed over lunch, PO-7005"
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert rig.service.dispatcher().outbox.get(draft_id).draft.subject == "Typed over lunch, PO-7005"
    page.reload()  # saved: nothing is put back any more
    expect(page.locator("#restored")).to_have_count(0)


def test_a_refused_save_keeps_the_typing_and_previews_it(live: tuple[ConsoleRig, str], browser: Any) -> None:
    rig, base = live
    draft_id = rig.draft("browser-6", order_number="PO-7006")
    rig.add_operator("cai")
    page = open_draft(browser, base, "cai", draft_id)
    page.get_by_label("Message").fill("Dear Ada,\n\nthe **corrected** total is 990.00 EUR.\n")
    page.get_by_label("CC").fill("archive@example.com, the boss")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("not a single email address")
    assert "990.00 EUR" in page.get_by_label("Message").input_value()  # the typing is still there
    frame = page.frame_locator("iframe[name=preview]")
    frame.locator("strong", has_text="corrected").wait_for()  # and the preview shows it, not the stored text
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()


def test_the_send_confirmation_names_the_cc_as_it_is_typed(live: tuple[ConsoleRig, str],
                                                            browser: Any) -> None:
    rig, base = live
    draft_id = rig.draft("browser-7", order_number="PO-7007")
    rig.add_operator("dora")
    page = open_draft(browser, base, "dora", draft_id, "phone")
    copies = page.locator("#send-copies")
    expect(copies).to_have_text("CC: archive@example.com")
    page.get_by_label("CC").fill("archive@example.com, boss@example.com")
    expect(copies).to_have_text("CC: archive@example.com, boss@example.com")  # as it is typed
    # at phone width every address is on screen, nothing beyond the edge
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "send-confirmation")
    page.get_by_label("Yes, send this email to").focus()  # by keyboard: Space ticks, Enter sends
    page.keyboard.press("Space")
    page.locator("#send-button").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Queued to go out once")
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued" and "boss@example.com" in row.cc


def test_the_send_confirmation_names_a_cc_copied_with_a_name_as_the_server_reads_it(
        live: tuple[ConsoleRig, str], browser: Any) -> None:
    """`Boss <boss@example.net>` read `CC: Boss, <boss@example.net>` (split at spaces); the tick
    names the addresses the server keeps, and Send is not refused as a changed CC."""
    rig, base = live
    draft_id = rig.draft("browser-9", order_number="PO-7009")
    rig.add_operator("gina")  # her own: an earlier test leaves ada's console in Chinese
    page = open_draft(browser, base, "gina", draft_id)
    copies = page.locator("#send-copies")
    page.get_by_label("CC").fill('Boss <boss@example.net>; "Hansen, Bea" <bea@example.net>, '
                                 'c@example.org d@example.org')
    expect(copies).to_have_text("CC: boss@example.net, bea@example.net, c@example.org, d@example.org")
    page.get_by_label("Yes, send this email to").check()
    page.locator("#send-button").click()
    expect(page.get_by_role("status")).to_contain_text("Queued to go out once")
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued"
    assert list(row.cc) == ["boss@example.net", "bea@example.net", "c@example.org", "d@example.org"]


def test_without_script_typing_survives_a_session_that_ended(live: tuple[ConsoleRig, str],
                                                             browser: Any) -> None:
    from mailgitops.console.accounts import Accounts

    rig, base = live
    draft_id = rig.draft("browser-8", order_number="PO-7008")
    rig.add_operator("eva", language="de")
    page = browser.new_context(viewport=SIZES["phone"], java_script_enabled=False).new_page()
    sign_in(page, base, "eva")
    page.goto(f"{base}/draft/{draft_id}")
    page.get_by_label("Betreff").fill("Nach der Mittagspause getippt, PO-7008")
    page.get_by_label("Nachricht").fill("Liebe Ada,\n\nder neue Preis ist 990 EUR.\n")
    accounts = Accounts(rig.settings.operators_path)  # the session ends while the page is open
    accounts.remove("eva")
    accounts.close()
    rig.add_operator("eva", language="de")
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Sitzung")  # the sign-in page says why
    expect(page.get_by_text("kommt nach der Anmeldung zurück in den Editor")).to_be_visible()
    shoot(page, "kept-typing-sign-in")
    page.get_by_label("Benutzername").focus()  # by keyboard: name, Tab, password, Enter
    page.keyboard.type("eva")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("ist wieder im Editor")
    assert page.get_by_label("Betreff").input_value() == "Nach der Mittagspause getippt, PO-7008"
    assert "der neue Preis ist 990 EUR." in page.get_by_label("Nachricht").input_value()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "kept-typing-back")
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()  # not saved until Save
    page.get_by_role("button", name="Änderungen speichern").click()
    expect(page.get_by_role("status")).to_have_text("Gespeichert.")
    saved = rig.service.dispatcher().outbox.get(draft_id).draft.subject
    assert saved == "Nach der Mittagspause getippt, PO-7008"


def test_signed_out_in_another_tab_a_save_leads_to_the_sign_in_with_the_typing(
        live: tuple[ConsoleRig, str], browser: Any) -> None:
    """Two tabs of one browser: signing out in the second deleted the cookie, and Save in the first
    was refused 403 "the form has expired or came from another site", the typing lost."""
    rig, base = live
    draft_id = rig.draft("browser-10", order_number="PO-7010")
    rig.add_operator("fritz")
    first = open_draft(browser, base, "fritz", draft_id)
    first.get_by_label("Subject").fill("Typed before signing out, PO-7010")
    second = first.context.new_page()
    second.goto(f"{base}/")
    second.get_by_role("button", name="Sign out").click()
    expect(second.get_by_role("status")).to_have_text("Signed out.")
    first.get_by_role("button", name="Save changes").click()
    expect(first.get_by_role("status")).to_contain_text("Your session had ended")
    first.get_by_label("User name").fill("fritz")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    expect(first.get_by_role("status")).to_contain_text("is back in the editor")
    assert first.get_by_label("Subject").input_value() == "Typed before signing out, PO-7010"
    assert rig.service.dispatcher().outbox.get(draft_id).draft.history == ()  # nothing used meanwhile


def test_deliveries_page_back_by_keyboard_keeping_the_search(live: tuple[ConsoleRig, str], browser: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgitops.console import deliveries

    rig, base = live
    monkeypatch.setattr(deliveries, "PAGE", 2)  # the console runs in this process: two a page
    made = [rig.draft(f"browser-page-{n}", order_number=f"PO-880{n}") for n in range(3)]
    rig.add_operator("fay", language="zh")
    page = browser.new_context(viewport=SIZES["phone"]).new_page()
    sign_in(page, base, "fay")
    page.goto(f"{base}/deliveries?order=PO-880")
    rows = page.locator("tbody tr td:first-child")
    expect(rows).to_have_text([str(made[2]), str(made[1])])
    older = page.get_by_role("link", name="较早 →")
    older.focus()  # by keyboard: the link takes the focus, Enter follows it
    page.keyboard.press("Enter")
    expect(rows).to_have_text([str(made[0])])
    assert "order=PO-880" in page.url
    # the search stays in the form
    assert page.get_by_label("订单号、邮箱地址或主题").input_value() == "PO-880"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(page, "deliveries-older")
    page.get_by_role("link", name="← 较新").click()
    expect(rows).to_have_text([str(made[2]), str(made[1])])


def test_customer_data_stays_out_of_script_frames_and_the_back_button(live: tuple[ConsoleRig, str],
                                                                       browser: Any) -> None:
    """What a browser on a shared PC, or another site, could get at: the session cookie from
    script, the draft in another site's frame, the draft from history after signing out."""
    rig, base = live
    rig.add_operator("pia")  # an operator of its own: an earlier test switched ada's console to Chinese
    draft_id = rig.draft("privacy-1")
    page = open_draft(browser, base, "pia", draft_id)
    expect(page.get_by_text("ada@example.org").first).to_be_visible()  # the customer, on this page
    cookies = page.evaluate("document.cookie")
    assert "mailgitops-session" not in cookies  # HttpOnly: no script reads it
    assert any(c["name"] == "mailgitops-session" and c["httpOnly"] and c["sameSite"] == "Lax"
               for c in page.context.cookies())
    # a page framing the signed-in console, served from the console's own origin so that the
    # cookie goes along (SameSite would keep it from another site's frame): only the headers
    # that forbid framing keep the draft out
    framer = page.context.new_page()
    framer.route(f"{base}/framing-test", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<iframe src="{base}/draft/{draft_id}" width="800" height="600"></iframe>'))
    framer.goto(f"{base}/framing-test")
    framer.wait_for_load_state()
    framed = [f for f in framer.frames if f != framer.main_frame]
    assert framed
    for frame in framed:
        frame.wait_for_load_state()
        assert "ada@example.org" not in frame.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/sign-in.*"))
    page.go_back()
    page.wait_for_load_state()
    assert page.url.startswith(f"{base}/sign-in")  # asked the server again (no-store): signed out
    assert "ada@example.org" not in page.content()
    page.context.close()
