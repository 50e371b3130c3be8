"""The logo's alt text says what the logo shows: validate warns, at `logo_alt`, when it only names
the kind of image ("Logo", "Bild", its file name): a screen reader would read just that, and a
mail program that hides images would show it in the logo's place. The shipped "Print Room" passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import theme
from mailgitops.diagnostics import Severity
from mailgitops.repo import load_repo

THEME = "templates/_layouts/theme.yaml"


def _found(repo: Path) -> list[tuple[str, int, str]]:
    out = [d for d in theme.check(load_repo(repo)) if d.code == "logo-alt-says-nothing"]
    assert all(d.severity is Severity.WARNING for d in out)
    return [(d.file, d.line, d.message) for d in out]


def _alt(repo: Path, alt: str) -> int:
    path = repo / THEME
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("logo_alt:"))
    lines[at] = f"logo_alt: {alt}"
    path.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


def test_the_shipped_alt_text_names_the_print_room(repo_copy: Path) -> None:
    assert _found(repo_copy) == []


@pytest.mark.parametrize("alt", ["Logo", "logo.png", "Bild", "图片", "logo"])
def test_an_alt_text_that_names_the_image_is_warned_at_its_line(repo_copy: Path, alt: str) -> None:
    line = _alt(repo_copy, alt)
    [(file, at, message)] = _found(repo_copy)
    assert (file, at) == (THEME, line)
    assert message.startswith(f"logo_alt `{alt}` names the image, not what it shows")


def test_a_webshops_own_alt_text_is_checked_in_its_file(repo_copy: Path) -> None:
    shop = repo_copy / "config/webshops/campus.yaml"
    own = 'theme: {logo: logo.png, logo_alt: "Campus logo"}\n# theme: {logo:'
    shop.write_text(shop.read_text(encoding="utf-8").replace("# theme: {logo:", own), encoding="utf-8")
    assert _found(repo_copy) == []  # "Campus logo" says whose it is
    shop.write_text(shop.read_text(encoding="utf-8").replace('"Campus logo"', "image"), encoding="utf-8")
    [(file, _line, _message)] = _found(repo_copy)
    assert file == "config/webshops/campus.yaml"
