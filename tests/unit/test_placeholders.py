"""The example addresses a new repository ships with are named before going live, wherever they
are kept, and real addresses are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.bundle import settings_of
from mailgitops.placeholders import found, reserved
from mailgitops.repo import load_repo


@pytest.mark.parametrize(("address", "is_example"), [
    ("archive@example.com", True), ("a@EXAMPLE.ORG", True), ("x@mail.example.net", True),
    ("a@shop.example", True), ("a@printroom.test", True), ("a@nowhere.invalid", True),
    ("archive@druckhaus-nord.de", False), ("a@example.com.au", False), ("a@myexample.com", False),
    ("a@examples.com", False),
])
def test_reserved_domains(address: str, is_example: bool) -> None:
    assert reserved(address) is is_example


def test_the_shipped_repository_names_each_example_where_it_is(repo_copy: Path) -> None:
    shop = repo_copy / "config/webshops/campus.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace("campus@example.com", "campus@uni-nord.de"),
                    encoding="utf-8")
    places = dict(found(settings_of(load_repo(repo_copy).repo)))
    assert places["config/smtp.yaml sender"] == "printroom@example.com"
    assert places["config/smtp.yaml cc"] == "archive@example.com"
    assert "config/webshops/campus.yaml sender" not in places  # a real address is not named
