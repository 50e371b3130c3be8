"""Issue 3 item 3: data never becomes markup or a link, in the HTML part or the text part."""

from __future__ import annotations

import pytest

from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import draft_source, render_email, render_markdown
from unit.render.render_helpers import flyers_context

HOSTILE = ["[x](http://evil)", "<b>x</b>", "{{ 7*7 }}", "**bold** _em_ `code`", "<script>alert(1)</script>",
           "&amp; &lt;", "![img](https://evil/x.png)", "# heading"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("template_id", ["order-accepted", "order-received", "price-rejected"])
def test_a_hostile_customer_name_shows_literally(shipped_repo: Repo, compiled: CompiledTemplates,
                                                  template_id: str, name: str) -> None:
    ctx = flyers_context(shipped_repo, customer={"name": name})
    email = render_email(compiled, template_id, "en", ctx)
    assert name in email.text
    assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in email.html
    assert "http://evil" not in email.html.replace(name.replace("&", "&amp;").replace("<", "&lt;")
                                                   .replace(">", "&gt;"), "")
    assert "<script" not in email.html
    assert "49" not in email.text.split("\n")[0]


def test_a_value_in_a_link_target_works_and_is_scheme_checked(shipped_repo: Repo,
                                                             compiled: CompiledTemplates) -> None:
    ok = render_email(compiled, "order-accepted", "en", flyers_context(shipped_repo))
    assert 'href="https://print.example.com/orders/PO-1001"' in ok.html
    assert "(https://print.example.com/orders/PO-1001)" in ok.text
    for bad in ("javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "//evil.example"):
        ctx = flyers_context(shipped_repo, order={"url": bad})
        email = render_email(compiled, "order-accepted", "en", ctx)
        assert "javascript:" not in email.html.lower()
        assert "href=\"data:" not in email.html
        assert "href=\"file:" not in email.html
        assert 'href="//evil' not in email.html
        assert any("unsafe" in w for w in email.warnings)


def test_header_injection_through_the_subject_is_impossible(shipped_repo: Repo,
                                                           compiled: CompiledTemplates) -> None:
    ctx = flyers_context(shipped_repo, order={"number": "PO-1\r\nBcc: evil@example.com"})
    email = render_email(compiled, "order-accepted", "en", ctx)
    assert "\n" not in email.subject
    assert "\r" not in email.subject


def test_draft_source_escapes_values_so_they_stay_literal(shipped_repo: Repo,
                                                         compiled: CompiledTemplates) -> None:
    name = "[x](http://evil) <b>x</b> {{ 7*7 }}"
    ctx = flyers_context(shipped_repo, customer={"name": name})
    subject, markdown = draft_source(compiled, "order-accepted", "de", ctx)
    assert "PO-1001" in subject
    assert "[x](http" not in markdown
    email = render_markdown(compiled, "order-accepted", "de", subject, markdown)
    assert name in email.text
    assert "&lt;b&gt;x&lt;/b&gt;" in email.html
    assert 'href="http://evil"' not in email.html
    assert 'href="https://print.example.com/orders/PO-1001"' in email.html  # the template's own link


def test_operator_markdown_has_no_raw_html_and_no_attribute_injection(compiled: CompiledTemplates) -> None:
    md = '{onclick="alert(1)" .note}\nHello <img src=x onerror=alert(1)>\n\n[a](javascript:alert(1))\n'
    email = render_markdown(compiled, "order-accepted", "en", "Hi", md)
    assert "onclick" not in email.html
    assert "<img src=x" not in email.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in email.html
    assert 'href="javascript' not in email.html
