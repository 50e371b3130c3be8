"""Link text: validate warns, at the link, when a link's text is only "here", "click here",
"mehr", "点击这里"...: a screen reader listing the email's links would read nothing of where each
goes. Links that name their destination (every shipped one) pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import link_text
from mailgitops.diagnostics import Severity
from mailgitops.repo import load_repo
from mailgitops.validate import validate_repo


def _found(repo: Path) -> list[tuple[str, int, int, str]]:
    out = link_text.check(load_repo(repo))
    assert all(d.severity is Severity.WARNING and d.code == "vague-link-text" for d in out)
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
