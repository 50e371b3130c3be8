"""Rendering one email: languages, theme (T3), logo (T4), per-job block (T6), link (T7), text part."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.errors import MailgitopsError
from mailgitops.model import Repo
from mailgitops.render.compiled import MAX_ASSET_BYTES, CompiledTemplates, compile_repo_diagnostics
from mailgitops.render.email import draft_source, render_email, render_markdown, resolve_lang
from mailgitops.repo import load_repo
from unit.render.render_helpers import flyers_context


@pytest.mark.parametrize(("requested", "used"), [
    ("de", "de"), ("de-CH", "de"), ("zh-CN", "zh"), ("pt-BR", "en"), ("FR", "fr"), ("", "en")])
def test_language_fallback(shipped_repo: Repo, compiled: CompiledTemplates, requested: str,
                           used: str) -> None:
    email = render_email(compiled, "order-accepted", requested, flyers_context(shipped_repo))
    assert email.lang == used
    assert f'lang="{used}"' in email.html


def test_resolve_lang_prefers_exact_then_base_then_default() -> None:
    assert resolve_lang("de-CH", {"de-CH": 1, "de": 1, "en": 1}, "en") == "de-CH"
    assert resolve_lang("de-AT", {"de": 1, "en": 1}, "en") == "de"
    assert resolve_lang("ja", {"de": 1, "en": 1}, "en") == "en"


def test_jobs_are_a_list_in_both_parts(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    email = render_email(compiled, "order-accepted", "en", flyers_context(shipped_repo))
    assert email.html.count("<li") >= 3
    for job in ("Flyer", "Poster", "Programme booklet"):
        assert any(line.startswith("- ") and job in line for line in email.text.splitlines())


def test_theme_and_logo(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    email = render_email(compiled, "order-accepted", "en", flyers_context(shipped_repo))
    theme = shipped_repo.theme
    assert str(theme["link_color"]) in email.html
    assert str(theme["font_family"]).split(",")[0] in email.html
    assert [i.filename for i in email.inline_images] == [theme["logo"]]
    assert f'src="cid:{email.inline_images[0].cid}"' in email.html
    assert email.inline_images[0].data.startswith(b"\x89PNG")


def test_paragraph_style_override_and_unknown_style(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    md = "{.note}\nSmall print.\n\n{.nope}\nOther\n"
    email = render_markdown(compiled, "order-accepted", "en", "s", md)
    note = shipped_repo.theme["styles"]["note"]
    assert f'<p style="margin:0 0 14px 0;color:{note["color"]};' in email.html
    assert '<p class=' not in email.html
    assert any("unknown paragraph style `nope`" in w for w in email.warnings)


def test_remote_https_images_are_allowed_others_not(compiled: CompiledTemplates) -> None:
    md = "![chart](https://cdn.example.com/c.png)\n\n![x](http://cdn.example.com/c.png)\n"
    email = render_markdown(compiled, "order-accepted", "en", "s", md)
    assert 'src="https://cdn.example.com/c.png"' in email.html
    assert "http://cdn.example.com" not in email.html


def test_right_to_left_languages(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    texts = dict(compiled.templates["order-accepted"].texts)
    texts["ar"] = texts["en"]
    t = compiled.templates["order-accepted"]
    rtl = compiled._replace(templates={**compiled.templates, "order-accepted": type(t)(
        t.id, t.layout, t.attachments, texts)})
    email = render_email(rtl, "order-accepted", "ar", flyers_context(shipped_repo))
    assert 'dir="rtl"' in email.html
    assert "direction:rtl" in email.html
    assert "direction:ltr" not in email.html  # sections and columns too, not only the text
    assert '<html lang="ar" dir="rtl"' in email.html


def test_missing_value_at_dispatch_is_a_located_error(shipped_repo: Repo,
                                                      compiled: CompiledTemplates) -> None:
    ctx = flyers_context(shipped_repo)
    del ctx["customer"]
    with pytest.raises(MailgitopsError) as info:
        render_email(compiled, "order-accepted", "de", ctx)
    d = info.value.diagnostics[0]
    assert d.file == "templates/order-accepted/de.md"
    assert d.line > 3
    assert "customer" in d.message


def test_compiled_templates_round_trip_and_render_without_mjml(shipped_repo: Repo,
                                                               compiled: CompiledTemplates) -> None:
    data = compiled.to_dict()
    text = json.dumps(data, sort_keys=True)
    assert json.dumps(type(compiled).from_dict(json.loads(text)).to_dict(), sort_keys=True) == text
    assert str(shipped_repo.root) not in text
    code = (
        "import json, sys\n"
        "from mailgitops.render.compiled import CompiledTemplates\n"
        "from mailgitops.render.email import render_email\n"
        "c = CompiledTemplates.from_dict(json.load(sys.stdin))\n"
        "e = render_email(c, 'order-accepted', 'zh', {'order': {'number': 'PO-9', 'jobs': [], "
        "'title': '', 'url': 'https://x.example/9', 'due_date': '2026-01-02'}, 'customer': {'name': 'A'}, "
        "'printroom': {'name': 'P', 'email': 'p@example.com'}})\n"
        "assert 'PO-9' in e.html and 'PO-9' in e.subject\n"
        "print(sorted(m for m in ('mjml', 'jsonschema', 'click') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_operator_draft_has_a_preheader(shipped_repo: Repo, compiled: CompiledTemplates) -> None:
    """Without one the inbox line would be whatever the layout shows first; a draft's own words
    (after the greeting) are what the operator wrote, so they are the preheader unless one is given."""
    subject, markdown = draft_source(compiled, "order-accepted", "de", flyers_context(shipped_repo))
    email = render_markdown(compiled, "order-accepted", "de", subject, markdown)
    assert email.preheader.startswith("vielen Dank für Ihren Auftrag.")
    assert len(email.preheader) <= 150
    assert f">{email.preheader}</div>" in email.html  # the hidden preview text at the top of the body
    given = render_markdown(compiled, "order-accepted", "de", subject, markdown, preheader="Kurz\r\ngesagt")
    assert given.preheader == "Kurz gesagt"
    assert ">Kurz gesagt</div>" in given.html


def test_a_greeting_alone_is_not_the_preheader(compiled: CompiledTemplates) -> None:
    email = render_markdown(compiled, "order-accepted", "en", "s", "Dear Ada,\n\nYour **order** is ready.\n")
    assert email.preheader == "Your order is ready."
    one = render_markdown(compiled, "order-accepted", "en", "s", "Only this line\n")
    assert one.preheader == "Only this line"


def test_an_asset_over_the_cap_is_a_located_error(repo_copy: Path) -> None:
    (repo_copy / "templates/_assets/poster.png").write_bytes(b"\0" * (MAX_ASSET_BYTES + 1))
    compiled, diags = compile_repo_diagnostics(load_repo(repo_copy).repo)
    assert compiled is None
    assert [(d.file, d.code) for d in diags] == [("templates/_assets/poster.png", "asset-too-large")]


def test_each_line_of_a_footer_block_is_a_line_in_both_parts(repo_copy: Path) -> None:
    """theme.yaml `footer: |` over two lines (an address, then the managing director) read as one
    run-on line in the HTML part, while the text part kept both lines."""
    theme = repo_copy / "templates/_layouts/theme.yaml"
    block = "footer: |\n  Druckhaus Nord · Hafenstr. 1 · Hamburg\n  Geschäftsführer: A. Muster\n"
    theme.write_text(theme.read_text(encoding="utf-8") + block, encoding="utf-8")
    repo = load_repo(repo_copy).repo
    compiled, diags = compile_repo_diagnostics(repo)
    assert compiled is not None, diags
    email = render_email(compiled, "order-accepted", "de", flyers_context(repo))
    assert "Druckhaus Nord · Hafenstr. 1 · Hamburg<br>Geschäftsführer: A. Muster" in email.html
    assert "Hamburg\nGeschäftsführer: A. Muster\n" in email.text


def test_a_table_in_the_text_part_reads_row_by_row_with_its_headings() -> None:
    """A Markdown table in the text part: each row one line, each cell named by its column (a
    text or screen reader heard "Flyer A5 | 500 | €120.00", not which number is the price)."""
    from mailgitops.render.markdown import fill, parse_now

    made = parse_now("Your order:\n\n| Item | Quantity | Price |\n| --- | ---: | ---: |\n"
                     "| Flyer A5 | 500 | €120.00 |\n| Poster | 20 | |\n\nThanks.\n", "{}", False)
    assert fill(made.text, [], {}, as_html=False).out == (
        "Your order:\n\n- Item: Flyer A5; Quantity: 500; Price: €120.00\n- Item: Poster; Quantity: 20\n\n"
        "Thanks.\n")
    assert "<th" in made.html and "Price" in made.html  # the HTML keeps its table
