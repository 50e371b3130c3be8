"""checks/source_lint.py: the Markdown read with Jinja taken out, findings at their source lines."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from jinja2 import Environment

from mailgitops.checks import source_lint
from mailgitops.checks.source_lint import lint_markdown, placeheld
from mailgitops.render.linebreaks import KeepLineBreaks

TOKEN = re.compile("\ue000\\d+\ue001")
VALUES = {"order.url": "https://print.example.com/orders/PO-1", "delivery.tracking_url": "http://track.example",
          "customer.name": "Ada"}


def found(source: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.col, f.code) for f in lint_markdown(source, VALUES.get)]


def test_block_tags_vanish_as_jinja_trims_them() -> None:
    p = placeheld("a\n  {% if x %}\nb {{ order.url }}\n{% endif %}\nc {# note #}\nd\n")
    assert p.text == "a\nb \ue0000\ue001\nc d\n"
    assert p.exprs == ("{{ order.url }}",)
    assert p.line_of == (1, 3, 5, 7)  # output line i starts on source line line_of[i]


@pytest.mark.parametrize("source", [
    "a  {%- if x %}\n b {% endif -%}\n\n c\n", "a\n\t{%+ if x %}b{% endif %}\n", "x {# c #}\ny",
    "{{- y }}\n  q {{ y -}}  \n r", "{% if x %}a{% endif %}\n\n  {% if x %}\n  x\n  {% endif %}\nend",
])
def test_the_text_is_what_jinja_makes(source: str) -> None:
    # the environment's options, and its line breaks kept after a tag that closes a line of text
    env = Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=[KeepLineBreaks])
    assert env.from_string(source).render(x=True, y="") == TOKEN.sub("", placeheld(source).text)


def test_each_finding_at_its_own_line_and_column() -> None:
    source = ("Dear {{ customer.name }},\n\n{% for job in order.jobs %}\n"
              "- {{ job.name }}: [proof](http://{{ job.name }}.example)\n{% endfor %}\n\n"
              "[order]({{ order.url }}) [track]({{ delivery.tracking_url }})\n\n"
              "> ![](https://cdn.example/x.png) <http://auto.example> [mail](mailto:a@b.example)\n\n"
              "[ref][r]\n\n[r]: ftp://files.example\n")
    assert found(source) == [
        (4, 27, "insecure-link"),  # a literal http:// before a value
        (7, 34, "insecure-link"),  # a variable whose value is http://
        (9, 7, "remote-image"),  # loaded from elsewhere when the email is opened
        (9, 3, "image-without-alt"),
        (9, 35, "insecure-link"),  # an autolink
        (13, 6, "link-left-out"),  # a reference definition to ftp: the renderer makes no link of it
    ]


def test_a_link_the_renderer_refuses_is_named() -> None:
    """markdown-it makes no link of javascript:, vbscript:, file: or data: (text/html) targets: the
    customer read `[click](javascript:alert(1))` as written, and validate said nothing."""
    source = "Hi [click](javascript:alert(1)) and\n[doc](file:///etc/passwd) [ok](https://x.example)\n"
    assert found(source) == [(1, 12, "link-refused"), (2, 7, "link-refused")]
    [first, _] = lint_markdown(source, VALUES.get)
    assert first.message == ("link javascript:alert(1) is never made: a javascript: address is refused, so "
                             "the customer reads the Markdown [text](address) itself")


def test_code_and_unknown_values_are_not_judged() -> None:
    assert found("```\n[a](http://x)\n```\n\n    [b](http://y)\n\n`![](z)`\n") == []
    assert found("[a]({{ order.unknown }}) [b]({{ order.url ~ '/x' }}) [c](https://ok)\n") == []


def test_the_quick_look_never_skips_what_the_parse_finds() -> None:
    # texts whose quick look says "nothing to parse" must have no findings: random mixes of the
    # pieces that make, hide or move links and images
    pieces = ["[a](http://x)", "[b](https://y)", "![](i.png)", "![c](i.png)", "![ ](i.png)", "<http://z>",
              "[r]", "\n[r]: http://d\n", "{% if x %}", "{% endif %}", "{%- if y %}", "{# c #}", "`",
              "{{ order.url }}", "]({{ delivery.tracking_url }})", "](", "[", "]", "!", " ", "\n", "\n\n",
              "&#32;", "\\", "    ", "> ", "- ", "```\n", "{{ customer.name }}", "http://", "<", ">", ":",
              "(", ")", "[a](https://x.example)", "[b]({{ order.url }})", "&#91;", " (", "[c]", "][d]"]
    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        source = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
        if not source_lint._worth_parsing(source, VALUES.get):
            assert found(source) == [], source
            checked += 1
    assert checked > 300
    for a, b in itertools.product(pieces, repeat=2):
        if not source_lint._worth_parsing(a + b, VALUES.get):
            assert found(a + b) == [], a + b


def test_link_syntax_the_customer_would_read_as_text_is_refused() -> None:
    """A new admin's slips, each passed validate and reached the customer as Markdown text
    (`[Auftrag ansehen](https://...` in both parts of the email)."""
    source = ("[View your order]({{ order.url }}\n\n"  # a `)` missing
              "[View your order({{ order.url }})\n\n"  # a `]` missing
              "[View your order] ({{ order.url }})\n\n"  # a space between
              "[View your order][order]\n\n"  # no such reference
              "Prices \\[net\\] (EUR) and [draft] notes, (a) [b]\n")  # brackets meant as text
    findings = lint_markdown(source, VALUES.get)
    assert [(f.line, f.col, f.code, f.error) for f in findings] == [
        (1, 1, "link-not-made", True), (3, 1, "link-not-made", True), (5, 1, "link-not-made", True),
        (7, 1, "link-not-made", True)]
    whys = ["a `)` is missing at its end", "a `]` is missing after its words",
            "there is a space between `]` and `(`", "there is no `[name]: address` line for its second part"]
    assert all(why in f.message for why, f in zip(whys, findings, strict=True))
    assert "{{ order.url }}" in findings[1].message  # the source as written, not a placeholder


def test_an_image_or_link_the_renderer_leaves_out_is_refused_and_named() -> None:
    source = ("![Map](lageplan.png) ![Logo](logo.PNG) ![Logo](logo.png) ![Map](https://x.example/m.png)\n\n"
              "[Prices](htps://x.example/prices) [Terms](agb.pdf) [Order]() [Old](http://x.example)\n")
    findings = lint_markdown(source, VALUES.get, assets={"logo.png"})
    second = source.split("\n")[2]
    assert [(f.col, f.code, f.error) for f in findings] == [
        (8, "image-left-out", True), (30, "image-left-out", True),
        (source.index("https://x.example/m.png") + 1, "remote-image", False),  # a warning: by choice
        (10, "link-left-out", True), (43, "link-left-out", True),
        (second.index("()") + 1, "link-left-out", True), (second.index("http:") + 1, "insecure-link", False)]
    assert "did you mean `logo.png`?" in findings[1].hint
    assert findings[0].message == ("image lageplan.png is left out of the email: it is neither an https:// "
                                   "address nor a file in templates/_assets/")
