"""The emails for people who read with a screen reader, zoom or in a right-to-left language,
checked in Debian's Chromium: every shipped template in every language passes axe-core (no serious
or critical finding: contrast, alt text, link names, language) and fits a 320 px window without
sideways scrolling, and an Arabic email reads in order, an order number and a Latin title beside
Arabic words each whole and in their place."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailgitops.render.compiled import compile_repo
from mailgitops.render.preview import default_sample, preview
from mailgitops.repo import load_repo
from support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
# Page rules an email is not: it is a message shown inside a mail client's page, which has the
# page's landmarks and its h1 (the email's subject)
NOT_A_PAGE = ("landmark-one-main", "page-has-heading-one", "region")
ARABIC = """---
subject: "طلبك {{ order.number }} في الطريق إليك"
preheader: "غادر طلبك غرفة الطباعة."
---
عزيزي {{ customer.name }}،

غادر طلبك **{{ order.number }}**{% if order.title %} ({{ order.title }}){% endif %} غرفة الطباعة.

- **رقم التتبع:** {{ delivery.tracking_number }}

[تتبع طلبك]({{ order.url }})
"""

# where some words of an element are shown: the box of the text, whichever elements it is in
WHERE = """(el, words) => {
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        const at = t.data.indexOf(words);
        if (at >= 0) { const r = document.createRange(); r.setStart(t, at); r.setEnd(t, at + words.length);
                       const b = r.getBoundingClientRect(); return {left: b.left, right: b.right}; }
    }
    return null; }"""


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    with chromium() as b:
        yield b.new_page(viewport={"width": 700, "height": 900})


def _html(root: Path, template_id: str, lang: str) -> tuple[str, str]:
    repo = load_repo(root).repo
    p = preview(repo, compile_repo(repo), template_id, lang, default_sample(repo, template_id, lang))
    html, text = p.message.get_body(("html",)), p.message.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()


def serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options={"resultTypes": ["violations"], "iframes": False}).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical") and v["id"] not in NOT_A_PAGE]


def test_every_shipped_email_passes_axe(page: Any) -> None:
    repo = load_repo(ROOT).repo
    compiled = compile_repo(repo)
    problems = {}
    for tid in sorted(repo.templates):
        for lang in repo.languages.active:
            p = preview(repo, compiled, tid, lang, default_sample(repo, tid, lang))
            body = p.message.get_body(("html",))
            assert body is not None
            page.set_content(body.get_content())
            found = serious(page)
            page.set_viewport_size({"width": 320, "height": 640})  # a small phone, or 400 % zoom
            if page.evaluate("document.documentElement.scrollWidth") > 320:
                found.append("wider than a 320 px window: the reader scrolls sideways")
            page.set_viewport_size({"width": 700, "height": 900})
            if found:
                problems[f"{tid}/{lang}"] = found
    assert problems == {}


@pytest.fixture
def arabic(tmp_path: Path) -> Path:
    """The shipped repository with Arabic active (the other templates' Arabic is their English)."""
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, root / part)
    langs = root / "config/languages.yaml"
    langs.write_text(langs.read_text(encoding="utf-8").replace("zh]", "zh, ar]"), encoding="utf-8")
    for folder in (root / "templates").iterdir():
        if (folder / "en.md").exists():
            shutil.copy(folder / "en.md", folder / "ar.md")
    (root / "templates/order-dispatched/ar.md").write_text(ARABIC, encoding="utf-8")
    return root


def test_an_arabic_email_mirrors_and_keeps_order_numbers_whole(page: Any, arabic: Path) -> None:
    html, text = _html(arabic, "order-dispatched", "ar")
    page.set_content(html)
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    para = page.locator("p", has_text="غادر طلبك")
    # the text starts on the right: the paragraph's first word is right of its last
    first, last = para.evaluate("""p => {
        const x = (t, a, b) => { const r = document.createRange(); r.setStart(t, a); r.setEnd(t, b);
                                 return r.getBoundingClientRect().x; };
        const t = p.lastChild;
        return [x(p.firstChild, 0, 4), x(t, t.length - 3, t.length)]; }""")
    assert first > last
    # the order number is read right after "طلبك" (right of the title), whole; the title's
    # brackets stay around it: in reading order, number then "(title)"
    number, title = (para.evaluate(WHERE, words) for words in ("PO-1001", "Open day material"))
    assert number["left"] > title["right"], "the title is shown where the order number is read"
    assert para.inner_text().startswith("غادر طلبك PO-1001 (Open day material) غرفة")
    # list bullets and indents on the right
    ul = page.locator("ul").first
    assert ul.evaluate("u => getComputedStyle(u).paddingRight") == "24px"
    assert serious(page) == []
    # the text part, as a mail program shows it (each paragraph in the direction of its first
    # letter): the same order; the tracking number whole, the direction mark after it, not in it
    page.set_content('<pre dir="auto" style="font-size:20px"></pre>')
    page.locator("pre").evaluate("(p, t) => { p.textContent = t; }", text)
    pre = page.locator("pre")
    number, title = (pre.evaluate(WHERE, words) for words in ("PO-1001", "Open day material"))
    assert number["left"] > title["right"], "the text part shows the title where the number is read"
    assert " JD014600006281\u200f" in text and "\u200fJD" not in text
