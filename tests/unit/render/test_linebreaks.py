"""A tag that closes a line of text keeps that line's break: a guarded paragraph, followed by a
blank line and the next paragraph, stayed one paragraph with it (an admin's walk, following the
guard example of docs/templates.md: "...by 28 November 2026. Kind regards," in one <p>)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.render.compiled import compile_repo
from mailgitops.render.email import render_email
from mailgitops.render.linebreaks import keep_line_breaks
from mailgitops.repo import load_repo
from unit.render.render_helpers import flyers_context


@pytest.mark.parametrize(("source", "kept"), [
    ("{% if x %}A{% endif %}\n\nB\n", "{% if x %}A{% endif +%}\n\nB\n"),  # closes a line of text
    ("- a\n{% if x %}- b{% endif %}\n- c", "- a\n{% if x %}- b{% endif +%}\n- c"),
    ("A {% if x %}b{% endif %}  \nC", "A {% if x %}b{% endif +%}  \nC"),
    ("{% if x %}\nA\n{% endif %}\n\nB", "{% if x %}\nA\n{% endif %}\n\nB"),  # alone on its line
    ("{# note #}{% set a = 1 %}\nX", "{# note #}{% set a = 1 %}\nX"),  # tags alone print nothing
    ("Hi{% if y %}, x{% endif -%}\nZ", "Hi{% if y %}, x{% endif -%}\nZ"),  # the author's own mark
    ("{% if a\n and b %}A{% endif +%}\nB", "{% if a\n and b %}A{% endif +%}\nB"),
])
def test_only_a_tag_that_closes_a_line_of_text_keeps_its_break(source: str, kept: str) -> None:
    assert keep_line_breaks(source) == kept
    assert keep_line_breaks(source).count("\n") == source.count("\n")  # every line stays put


def test_a_guarded_paragraph_stays_a_paragraph_of_its_own(repo_copy: Path) -> None:
    md = repo_copy / "templates/order-ready/en.md"
    text = md.read_text(encoding="utf-8")
    guarded = ("{% if order.due_date %}We will have everything ready by {{ order.due_date | date('long') }}."
               "{% endif %}\n\nKind regards,")
    method = "**Delivery method:** {{ order.delivery_method }}"
    titled = "{% if order.title %}Title: {{ order.title }}{% endif %}\n" + method  # a line, then the next
    md.write_text(text.replace("Kind regards,", guarded, 1).replace(method, titled, 1), encoding="utf-8")
    repo = load_repo(repo_copy).repo
    compiled = compile_repo(repo)
    due = flyers_context(repo, order={"due_date": "2026-11-28"})
    with_date = render_email(compiled, "order-ready", "en", due)
    assert "<p" in with_date.html
    ready = with_date.text.index("We will have everything ready by")
    assert with_date.text[ready:].split("\n")[:3] == ["We will have everything ready by November 28, 2026.",
                                                      "", "Kind regards,"]
    assert "Kind regards," not in _paragraph_with(with_date.html, "We will have everything ready")
    # the line after it was glued on: "Title: Open day materialDelivery method: ..."
    assert "Title: Open day material" in with_date.text.splitlines()
    assert "Open day material<" not in with_date.html
    without = render_email(compiled, "order-ready", "en", flyers_context(repo, order={"due_date": None}))
    assert "We will have everything" not in without.text and "Kind regards," in without.text


def _paragraph_with(html: str, words: str) -> str:
    at = html.index(words)
    return html[html.rindex("<p", 0, at):html.index("</p>", at)]
