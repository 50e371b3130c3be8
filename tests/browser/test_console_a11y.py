"""The operator console for people who use a keyboard, a screen reader, zoom, a phone or a
contrast theme, in Debian's Chromium: axe-core finds nothing serious on any page (in English, German
and Chinese, each page saying its language), nothing is wider
than a 320 px window (a 1280 px screen at 400 %) or a 640 px one (200 %), the focus ring is seen
on every control (3:1 against the page, and in forced colours), a refusal is announced and put on
its field, and a draft is sent by keyboard alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from mailgitops.checks.contrast import ratio
from mailgitops.console import i18n
from support.browser import chromium, served
from support.console import PASSWORD, ConsoleRig, console_bundle, make_rig
from support.smtpd import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NARROW = ({"width": 320, "height": 640}, {"width": 640, "height": 450})
# an operator per language, and the browser's language the sign-in page follows before anyone signs in
OPERATORS = {"en": "ada", "de": "greta", "zh": "li"}
LOCALES = {"en": "en-GB", "de": "de-DE", "zh": "zh-CN"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory,
         smtp_server: SmtpServer) -> Iterator[tuple[ConsoleRig, str]]:
    tmp = tmp_path_factory.mktemp("console-a11y")
    for rig in make_rig(tmp, console_bundle(tmp, smtp_server.port)):
        for lang, name in OPERATORS.items():
            rig.add_operator(name, language=lang)
        with served(rig.app) as url:
            yield rig, url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def signed_in(browser: Any, base: str, name: str = "ada", **context: Any) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, **context).new_page()
    page.goto(f"{base}/sign-in")
    _sign_in(page, name, PASSWORD)
    page.wait_for_url(f"{base}/")
    return page


def _sign_in(page: Any, name: str, password: str) -> None:
    """By the fields' ids: their labels are in the page's language."""
    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("main button[type=submit]").click()


def serious(page: Any) -> list[str]:
    """axe-core's serious and critical findings (the email preview's frame is checked with the
    emails, tests/browser/test_email_a11y.py)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context={"exclude": [["iframe"]]},
                      options={"resultTypes": ["violations"], "iframes": False}).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]


def too_wide(page: Any) -> list[str]:
    """What reaches past the window's right edge (a page to scroll sideways at this width);
    a table in its own scrolling box is not the page's."""
    return list(page.evaluate("""() => innerWidth >= document.documentElement.scrollWidth ? [] :
        [...document.querySelectorAll('main *, header *')]
          .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-scroll'))
          .slice(0, 5)
          .map(e => `${e.tagName.toLowerCase()}#${e.id} ${Math.round(e.getBoundingClientRect().right)}px`)
    """))


def pages(rig: ConsoleRig, base: str, browser: Any, lang: str) -> Iterator[tuple[str, Any]]:
    """Each page the operator meets, as it is shown (a fresh page each), in `lang`: the sign-in
    page by the browser's language, the others by the operator's."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALES[lang]).new_page()
    page.goto(f"{base}/")
    yield "sign-in", page
    _sign_in(page, OPERATORS[lang], "not the password")
    expect(page.get_by_role("alert")).to_be_visible()
    yield "sign-in refused", page
    page = signed_in(browser, base, OPERATORS[lang], locale=LOCALES[lang])
    draft_id = rig.draft(f"a11y-{time.monotonic_ns()}")
    page.goto(f"{base}/")
    yield "drafts", page
    page.goto(f"{base}/draft/{draft_id}")
    yield "draft", page
    page.locator("#send-button").click()
    expect(page.get_by_role("alert")).to_be_visible()
    yield "send refused", page
    page.goto(f"{base}/deliveries")
    yield "deliveries", page
    page.goto(f"{base}/deliveries/{draft_id}")
    yield "message", page
    page.goto(f"{base}/no-such-page")
    yield "not found", page
    # the paused banner, its reason in the operator's words around a server's own reply
    rig.service.dispatcher().outbox.pause(time.time() + 120, "smtp.example.org:587 answered 554 5.7.1 "
                                          "Relaying denied at MAIL, before any message")
    page.goto(f"{base}/")
    expect(page.get_by_role("alert")).to_be_visible()
    yield "sending paused", page


@pytest.mark.parametrize("lang", sorted(OPERATORS))
def test_no_page_has_a_serious_finding_or_is_wider_than_the_window(live: tuple[ConsoleRig, str],
                                                                  browser: Any, lang: str) -> None:
    rig, base = live
    skip_link = i18n.translator(lang)("Skip to content")
    try:
        found = _findings(rig, base, browser, lang, skip_link)
    finally:
        rig.service.dispatcher().outbox.pause(0.0, "")  # the other tests send
    assert found == {}


def _findings(rig: ConsoleRig, base: str, browser: Any, lang: str, skip_link: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, page in pages(rig, base, browser, lang):
        assert page.title().endswith(" · mailgitops") and len(page.title()) > len(" · mailgitops"), name
        # a screen reader reads the page in its language's voice, and the page is in that language
        assert page.evaluate("document.documentElement.lang") == lang, name
        assert page.locator("a.skip").inner_text() == skip_link, name
        assert page.locator("main#main").count() == 1, name
        problems = serious(page)
        for size in NARROW:  # 400 % and 200 % zoom of a 1280 px screen, or a phone
            page.set_viewport_size(size)
            problems += [f"at {size['width']} px: {w}" for w in too_wide(page)]
        page.set_viewport_size({"width": 1280, "height": 900})
        if problems:
            found[name] = problems
    return found


_READ_RING = """() => { const e = document.activeElement, s = getComputedStyle(e);
        return {what: `${e.tagName.toLowerCase()}#${e.id} ${(e.textContent || '').trim().slice(0, 20)}`,
                style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor}; }"""


def _ring(page: Any) -> dict[str, Any]:
    """The focused control's ring, read in one look (two looks, "is it the frame?" then "its
    ring", raced the focus on a busy machine: moving into the email preview's frame, which runs in
    a process of its own, the focus showed elsewhere first, then on the frame). On the preview's
    frame (the focused element's own frame), the frame's focused link's, read once the frame has
    its focus."""
    ring: dict[str, Any] = dict(page.evaluate(_READ_RING))
    for _ in range(200):  # up to 10 s: the focus on its way (on the page's body) is not a control
        if not ring["what"].startswith(("body#", "html#")):
            break
        page.wait_for_timeout(50)
        ring = dict(page.evaluate(_READ_RING))
    if not ring["what"].startswith("iframe#"):
        return ring
    outer = ring
    for _ in range(200):  # up to 10 s: the whole suite on two busy cores has taken more than 2 s
        focused = page.evaluate_handle("document.activeElement").as_element()
        frame = focused.content_frame() if focused is not None else None
        if frame is not None:
            frame.wait_for_load_state()
            ring = dict(frame.evaluate(_READ_RING))
            if ring["what"].split("#")[0] not in ("body", "html"):
                return ring
        page.wait_for_timeout(50)
    return ring if ring.get("what", "").split("#")[0] not in ("", "body", "html") else outer


def _hex(rgb: str) -> str:
    parts = [int(float(x)) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    return "#" + "".join(f"{v:02x}" for v in parts)


def test_the_focus_is_seen_on_every_control_in_order(live: tuple[ConsoleRig, str], browser: Any) -> None:
    rig, base = live
    draft_id = rig.draft(f"focus-{time.monotonic_ns()}")
    page = signed_in(browser, base)
    page.goto(f"{base}/draft/{draft_id}")
    # the email in the preview frame first: Tab into a frame still loading stops on the frame
    page.frame_locator("iframe[name=preview]").locator("a").first.wait_for()
    order = []
    for _ in range(60):
        page.keyboard.press("Tab")
        ring = _ring(page)
        order.append(ring["what"].split(" ")[0])
        assert ring["style"] != "none", (ring, order)  # the controls reached so far, to see where
        if ring["style"] != "auto":
            assert ring["width"] >= 2, ring  # (auto: Chromium's own two-tone ring, in the email's frame)
            # ours is drawn outside the control, on the page's background (#fafafa or white)
            assert ratio(_hex(ring["color"]), "#fafafa") >= 3, ring
        if ring["what"].startswith("button#send-button"):
            break
    # skip link first, then the header, the editor's fields in reading order, then Send
    assert order[0] == "a#" and order[-1] == "button#send-button"
    editor = ["input#subject", "textarea#message", "input#cc", "input#confirm-send"]
    assert [o for o in order if o in editor] == editor
    # a contrast theme (forced colours) keeps the ring
    page.emulate_media(forced_colors="active")
    page.locator("#subject").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = _ring(page)
    assert ring["what"].startswith("input#subject") and ring["style"] != "none" and ring["width"] >= 2


def test_nothing_moves_for_who_asked_for_less_motion(live: tuple[ConsoleRig, str], browser: Any) -> None:
    rig, base = live
    page = signed_in(browser, base, reduced_motion="reduce")
    page.goto(f"{base}/draft/{rig.draft(f'motion-{time.monotonic_ns()}')}")
    page.locator("#message").focus()
    moving = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e => {
        const s = getComputedStyle(e);
        return s.animationName !== 'none' || s.transitionDuration.split(',').some(d => parseFloat(d) > 0); })
        .map(e => e.tagName)""")
    assert moving == [] and page.evaluate("document.getAnimations().length") == 0


def test_a_refusal_is_announced_and_put_on_its_field(live: tuple[ConsoleRig, str], browser: Any) -> None:
    rig, base = live
    page = signed_in(browser, base)
    draft_id = rig.draft(f"refusal-{time.monotonic_ns()}")
    page.goto(f"{base}/draft/{draft_id}")
    page.locator("#send-button").click()  # without ticking the box
    expect(page.get_by_role("alert")).to_have_text("Tick the box to confirm.")
    box = page.get_by_label("Yes, send this email to")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description("Tick the box to confirm. CC: archive@example.com")
    # a CC that is not an address: on the CC field, its help still read after the refusal
    page.get_by_label("CC", exact=True).fill("boss(at)example.com")
    page.get_by_role("button", name="Save changes").click()
    # (the page this refusal comes back on, not the one before it, whose field had the focus)
    expect(page.get_by_role("alert")).to_contain_text("not a single email address")
    cc = page.get_by_label("CC", exact=True)
    expect(cc).to_be_focused()
    expect(cc).to_have_attribute("aria-invalid", "true")
    expect(cc).to_have_accessible_description(
        page.get_by_role("alert").inner_text() + " Addresses separated by commas.")
    expect(page.get_by_label("Subject", exact=True)).not_to_have_attribute("aria-invalid", "true")
    # a file of a type that is not allowed: on the file field, with the allowed types read after
    # (another draft: this tab keeps the bad CC typed above for this one, and would send it again)
    page.goto(f"{base}/draft/{rig.draft(f'upload-{time.monotonic_ns()}')}")
    page.get_by_label("Attach a file").set_input_files(
        files=[{"name": "run-me.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("files of type .exe are not attached")
    file = page.get_by_label("Attach a file")
    expect(file).to_be_focused()
    expect(file).to_have_attribute("aria-invalid", "true")
    expect(file).to_have_attribute("aria-describedby", "problem file-help")
    # the sign-in: both fields marked, the name focused to type again
    fresh = browser.new_context().new_page()
    fresh.goto(f"{base}/sign-in")
    fresh.get_by_label("User name").fill("ada")
    fresh.get_by_label("Password").fill("wrong")
    fresh.keyboard.press("Enter")
    expect(fresh.get_by_role("alert")).to_have_text("Wrong user name or password.")
    for field in ("User name", "Password"):
        expect(fresh.get_by_label(field)).to_have_attribute("aria-invalid", "true")
        expect(fresh.get_by_label(field)).to_have_accessible_description("Wrong user name or password.")
    expect(fresh.get_by_label("User name")).to_be_focused()


def test_a_missing_tick_or_subject_is_told_in_the_operators_language_not_the_browsers(
        live: tuple[ConsoleRig, str], browser: Any) -> None:
    """An English browser, a German operator: the browser's own bubble said "Please check this box
    if you want to proceed." and "Please fill out this field."; the server's answer is German."""
    rig, base = live
    de = i18n.translator("de")
    page = signed_in(browser, base, OPERATORS["de"], locale="en-US")
    page.goto(f"{base}/draft/{rig.draft(f'bubble-{time.monotonic_ns()}')}")
    page.get_by_role("button", name=de("Discard"), exact=True).click()  # without the tick
    expect(page.get_by_role("alert")).to_have_text(de("Tick the box to confirm."))
    box = page.locator("#confirm-discard")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(de("Tick the box to confirm."))
    page.locator("#subject").fill("")
    page.get_by_role("button", name=de("Save changes")).click()  # with no subject
    expect(page.get_by_role("alert")).to_have_text(
        "Der Betreff muss eine nicht leere Zeile mit höchstens 300 Zeichen sein.")
    subject = page.locator("#subject")
    expect(subject).to_be_focused()
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(subject).to_have_attribute("aria-describedby", "problem")


def test_a_draft_is_sent_by_keyboard_alone(live: tuple[ConsoleRig, str], browser: Any,
                                           smtp_server: SmtpServer) -> None:
    rig, base = live
    draft_id = rig.draft(f"keys-{time.monotonic_ns()}", order_number="PO-KEYS")
    page = signed_in(browser, base)
    page.goto(f"{base}/draft/{draft_id}")
    for _ in range(60):  # Tab to the tick box, Space ticks it, Tab to Send, Enter sends
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "confirm-send":
            break
    page.keyboard.press("Space")
    expect(page.locator("#confirm-send")).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "send-button"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("sent")
    expect(page.get_by_text("Status:")).not_to_contain_text("Draft")
    # its delivery, recipient by recipient: by keyboard from the draft, and as checked as the others
    page.get_by_role("link", name="Its delivery, recipient by recipient").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/deliveries/{draft_id}")
    assert serious(page) == []
    page.set_viewport_size(NARROW[0])
    assert too_wide(page) == []
