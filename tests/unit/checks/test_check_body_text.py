"""A control character in a template's body (a NUL pasted from a PDF, a form feed) validated
clean, and the customer read `hello � world`: it is an error at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import templates
from mailgitops.repo import load_repo

EN = "templates/order-accepted/en.md"


@pytest.mark.parametrize(("char", "col"), [("\x00", 7), ("\x0c", 7), ("\x7f", 7), ("\x85", 7)])
def test_a_control_character_in_the_body_is_located(repo_copy: Path, char: str, col: int) -> None:
    path = repo_copy / EN
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"\nhello {char} world\n", encoding="utf-8")
    line = text.count("\n") + 2
    found = [(d.file, d.line, d.col, d.code) for d in templates.check(load_repo(repo_copy))
             if d.code == "body-control-character"]
    assert found == [(EN, line, col, "body-control-character")]


def test_tabs_and_line_ends_are_text(repo_copy: Path) -> None:
    path = repo_copy / EN
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + b"\tindented\r\n")
    assert not [d for d in templates.check(load_repo(repo_copy)) if d.code == "body-control-character"]
