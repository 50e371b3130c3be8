"""Link text and headings, what a screen reader user moves through an email by: validate warns
at a link whose text is only "here", "click here", "mehr", "点击这里"... (a screen reader listing
the email's links would read nothing of where each goes), and at a heading that skips a level.
Links that name their destination (every shipped one) pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import navigation
from mailgitops.diagnostics import Severity
from mailgitops.repo import load_repo
from mailgitops.validate import validate_repo


def _found(repo: Path) -> list[tuple[str, int, int, str]]:
    out = navigation.check(load_repo(repo))
    assert all(d.severity is Severity.WARNING and d.code in ("vague-link-text", "heading-skips-level")
               for d in out)
    return [(d.file, d.line, d.col, d.message) for d in out]


def test_the_shipped_links_say_where_they_go(repo_copy: Path) -> None:
    assert _found(repo_copy) == []


@pytest.mark.parametrize(("lang", "written"), [
    ("en", "[Click here]({{ order.url }})"), ("en", "[**here**.]({{ order.url }})"),
    ("de", "[hier]({{ order.url }})"), ("fr", "[Cliquez ici]({{ order.url }})"),
    ("nl", "[Lees meer]({{ order.url }})"), ("zh", "[点击这里]({{ order.url }})"),
])
def test_a_link_that_says_only_here_is_named_at_its_column(repo_copy: Path, lang: str, written: str) -> None:
    path = repo_copy / f"templates/order-dispatched/{lang}.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if "({{ order.url }})" in line)
    lines[at] = f"Details: {written}"
    path.write_text("\n".join(lines), encoding="utf-8")
    [(file, line, col, message)] = _found(repo_copy)
    assert (file, line, col) == (f"templates/order-dispatched/{lang}.md", at + 1, len("Details: ") + 1)
    assert "does not say where the link goes" in message


def test_images_and_named_links_pass_and_validate_warns(repo_copy: Path) -> None:
    path = repo_copy / "templates/order-dispatched/en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n![here](logo.png) [Download the proof](https://x.example/p)"
                    "\n\n[more](https://x.example/more)\n", encoding="utf-8")
    result = validate_repo(repo_copy)
    found = [d for d in result.diagnostics if d.code == "vague-link-text"]
    assert [(d.severity, d.message.split("`")[1]) for d in found] == [(Severity.WARNING, "more")]
    assert found[0].hint and "[View your order](...)" in found[0].hint


def _body(repo: Path, extra: str) -> int:
    """`extra` appended to the English order-dispatched text; the line it starts on."""
    path = repo / "templates/order-dispatched/en.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + extra, encoding="utf-8")
    return text.count("\n") + 1


def test_a_heading_that_skips_a_level_is_named(repo_copy: Path) -> None:
    start = _body(repo_copy, "## Your items\n\n#### Flyers\n\n```\n# not a heading\n```\n\n### Posters\n")
    [(file, line, col, message)] = [f for f in _found(repo_copy) if "heading" in f[3]]
    assert (file, line, col) == ("templates/order-dispatched/en.md", start + 2, 1)
    assert message.startswith("a level-4 heading under a level-2 heading")


def test_headings_in_order_pass_and_the_first_may_be_level_two(repo_copy: Path) -> None:
    _body(repo_copy, "## Your items\n\n### Flyers\n\n### Posters\n\n## Delivery\n\n# Thanks\n")
    assert _found(repo_copy) == []
    _body(repo_copy, "\n")
    other = repo_copy / "templates/order-dispatched/de.md"
    other.write_text(other.read_text(encoding="utf-8") + "### Ihre Posten\n", encoding="utf-8")
    [(_file, _line, _col, message)] = _found(repo_copy)
    assert message.startswith("a level-3 heading as the text's first heading")
