"""Colour contrast: validate warns, at the colour's own line, when a theme's or a webshop's text
colour is below 4.5:1 on the background it is shown on; the shipped look passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import contrast
from mailgitops.checks.contrast import ratio
from mailgitops.diagnostics import Severity
from mailgitops.repo import load_repo
from mailgitops.validate import validate_repo

THEME = "templates/_layouts/theme.yaml"


def _found(repo: Path) -> list[tuple[str, int, str]]:
    out = contrast.check(load_repo(repo))
    assert all(d.severity is Severity.WARNING and d.code == "low-contrast" for d in out)
    return [(d.file, d.line, d.message) for d in out]


def _set(repo: Path, old: str, new: str, file: str = THEME) -> int:
    """Replace a line of `file`; its line number."""
    path = repo / file
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(old))
    lines[i] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return i + 1


def test_ratio_is_wcag() -> None:
    assert ratio("#000000", "#ffffff") == pytest.approx(21)
    assert ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert ratio("#fff", "#fff") == pytest.approx(1)


def test_the_shipped_look_passes(repo_copy: Path) -> None:
    assert _found(repo_copy) == []


def test_a_pale_link_colour_is_named_at_its_line(repo_copy: Path) -> None:
    line = _set(repo_copy, "link_color:", 'link_color: "#8ab4f8"')
    [(file, at, message)] = _found(repo_copy)
    assert (file, at) == (THEME, line)
    assert "links (link_color #8ab4f8) on content_background_color #ffffff" in message
    assert "2.1:1" in message and "4.5:1" in message
    # the hint names a passing colour near the brand's own: the same blue, darker
    [hint] = [d.hint for d in contrast.check(load_repo(repo_copy))]
    assert hint == "choose a darker `link_color`: e.g. #5a75a1 has 4.7:1 with #ffffff"
    assert ratio("#5a75a1", "#ffffff") >= 4.5


def test_a_dark_page_background_makes_the_footer_unreadable(repo_copy: Path) -> None:
    _set(repo_copy, "background_color:", 'background_color: "#333333"')
    [(file, at, message)] = _found(repo_copy)
    footer_line = _set(repo_copy, "footer_color:", 'footer_color: "#4b5563"')
    assert (file, at) == (THEME, footer_line) and message.startswith("the footer (footer_color #4b5563)")
    _set(repo_copy, "footer_color:", 'footer_color: "#e5e7eb"')
    assert _found(repo_copy) == []
    # a theme that does not write footer_color: the default's, named at the background
    _set(repo_copy, "footer_color:", "")
    line = _set(repo_copy, "background_color:", 'background_color: "#333333"')
    [(file, at, message)] = _found(repo_copy)
    assert (file, at) == (THEME, line) and message.startswith("the footer (footer_color #4b5563)")


def test_a_paragraph_style_is_checked_with_its_own_background(repo_copy: Path) -> None:
    line = _set(repo_copy, "    background_color: \"#fff6d6\"", '    background_color: "#1f2933"')
    [(file, at, message)] = _found(repo_copy)
    assert (file, at) == (THEME, line) and "style `highlight`: text #1f2933 on #1f2933" in message


def test_a_webshops_own_colour_is_named_in_its_file(repo_copy: Path) -> None:
    shop = "config/webshops/campus.yaml"
    _set(repo_copy, "# theme:", 'theme: {logo: logo.png, heading_color: "#f5c211"}', shop)
    [(file, at, message)] = _found(repo_copy)
    assert (file, at) == (shop, 7) and message.startswith("headings (heading_color #f5c211)")


def test_validate_reports_it_as_a_warning(repo_copy: Path) -> None:
    _set(repo_copy, "text_color:", 'text_color: "#999999"')
    result = validate_repo(repo_copy)
    found = [d for d in result.diagnostics if d.code == "low-contrast"]
    # the body text, and the highlighted paragraph that shows it on its own background
    assert [d.severity for d in found] == [Severity.WARNING] * 2
    assert "the text (text_color #999999)" in found[0].message and found[0].hint
    assert "style `highlight`: text #999999 on #fff6d6" in found[1].message
    assert not result.errors
