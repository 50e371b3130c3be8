"""Cutting templates into units and putting them back; the placeholder rules."""

from __future__ import annotations

import pytest

from mailgitops.errors import NotATemplate
from mailgitops.translations.units import code_problems, codes, misalignment, parse
from mailgitops.translations.xliff_read import read
from mailgitops.translations.xliff_write import ExportFile, ExportUnit, write

TEMPLATE = """---
subject: "Order {{ order.number }}"
# a comment the import must keep
preheader: >-
  Folded over
  two lines
---
Dear {{ customer.name }},

{% for job in order.jobs %}
- **{{ job.name }}**: {{ job.copies }}
{% endfor %}


{{ printroom.name }}
[Open]({{ order.url }}) & <b>"x"</b>
"""


def test_units_are_subject_preheader_and_paragraphs_with_words() -> None:
    doc = parse(TEMPLATE)
    assert [(u.id, u.line) for u in doc.units] == [
        ("subject", 2), ("preheader", 4), ("p1", 8), ("p2", 10), ("p3", 15)]
    assert doc.unit("preheader").text == "Folded over two lines"
    assert doc.assemble({}) == TEMPLATE
    assert len(doc.blocks) == 3


def test_assemble_changes_only_what_was_translated() -> None:
    doc = parse(TEMPLATE)
    out = doc.assemble({"preheader": 'Über "zwei" Zeilen', "p1": "Hallo {{ customer.name }},"},
                       {"title": "x"})
    assert out == TEMPLATE.replace(">-\n  Folded over\n  two lines", '"Über \\"zwei\\" Zeilen"') \
        .replace("Dear", "Hallo").replace("two lines\ntitle", "") \
        .replace("---\nHallo", 'title: "x"\n---\nHallo')


def test_codes_cover_jinja_link_destinations_and_line_markers() -> None:
    assert codes("- **{{ job.name }}**\n- [a]({{ order.url }}?x=1) {% if x %}{# c #}{% endif %}") == [
        "- ", "{{ job.name }}", "\n- ", "]({{ order.url }}?x=1)", "{% if x %}", "{# c #}", "{% endif %}"]


def test_a_paragraph_style_and_a_table_are_codes_the_translator_cannot_break() -> None:
    """Only the words are the translator's: `{.important}` and the table's pipes and rule line
    stay as they are (a translated style name, a lost `|` or two rows joined would show)."""
    styled = "{.important}\nPlease reply by {{ d }}."
    assert codes(styled) == ["{.important}\n", "{{ d }}"]
    table = ("| Job | Copies |\n| --- | ---: |\n{% for job in order.jobs %}\n"
             "| {{ job.name }} | {{ job.copies }} |")
    assert [c for c in codes(table) if not c.startswith("{")] == [
        "|", "|", "|", "\n| --- | ---: |", "\n|", "|", "|"]
    assert code_problems(table.replace("Job |", "Auftrag"), table) == ["`|` is missing"]
    assert codes("Prices | VAT included") == []  # a | outside a table is text


@pytest.mark.parametrize(("text", "problem"), [
    ("{{ b }} vor {{ a }} {% if x %}{% endif %}", None),  # moving is fine
    ("{{ a }} {% if x %}{% endif %}", "`{{ b }}` is missing"),
    ("{{ a }} {{ b }} {{ b }} {% if x %}{% endif %}", "`{{ b }}` is not in the original"),
    ("{{ a }} {{b}} {% if x %}{% endif %}", "`{{b}}` is not in the original"),
    ("{{ a }} {{ b }} {% endif %}{% if x %}", "no longer in their original order"),
])
def test_code_problems(text: str, problem: str | None) -> None:
    found = code_problems(text, "{{ a }} {{ b }} {% if x %}{% endif %}")
    assert found == [] if problem is None else any(problem in f for f in found)


def test_misalignment_names_the_paragraph() -> None:
    other = TEMPLATE.replace("{% endfor %}", "{% endfor %}\n\nextra")
    assert "4 paragraphs" in (misalignment(parse(TEMPLATE), parse(other)) or "")
    swapped = TEMPLATE.replace("- **{{ job.name }}**: {{ job.copies }}\n", "")  # no words left
    assert "paragraph 2" in (misalignment(parse(TEMPLATE), parse(swapped)) or "")
    assert misalignment(parse(TEMPLATE), parse(TEMPLATE.replace("Dear", "Liebe"))) is None


@pytest.mark.parametrize("text", ["no front matter", "---\nsubject: x\n", "---\n[: x\n---\n"])
def test_not_a_template(text: str) -> None:
    with pytest.raises(NotATemplate):
        parse(text)


def test_xliff_carries_any_text_back_unchanged() -> None:
    hard = 'Tab\there, CR\r\n, <b>&amp;</b> "q" \x01 \U0001f600 {{ a }}'
    xml = write("en", "de", [ExportFile("t", "templates/t/en.md", ("n",), (
        ExportUnit("p1", hard, "Ziel " + hard, ("a note",)),
        ExportUnit("p2", "only source", None),
    ))])
    doc, diags = read(xml.encode(), "x.xlf")
    assert diags == []
    assert doc is not None
    assert (doc.src_lang, doc.trg_lang) == ("en", "de")
    assert [(u.id, u.source, u.target) for u in doc.units] == [
        ("p1", hard, "Ziel " + hard), ("p2", "only source", None)]
    assert write("en", "de", []) == write("en", "de", [])  # deterministic
