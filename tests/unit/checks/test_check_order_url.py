"""order_url: only `{order_number}` is filled in; anything else that looks like a placeholder is
reported at its column, and a URL's own percent escapes are not placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import order_url
from mailgitops.repo import load_repo

SHIPPED = "https://print.example.com/orders/{order_number}"


def _found(repo: Path, url: str) -> list[tuple[int, str | None]]:
    wf = repo / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace(SHIPPED, url), encoding="utf-8")
    return [(d.col, d.hint) for d in order_url.check(load_repo(repo)) if d.code != "example-link"]


@pytest.mark.parametrize("url", [SHIPPED, "https://x.example/o/{order_number}?q=%E2%82%AC&r=%20",
                                 "https://x.example/all-orders"])
def test_known_placeholders_and_escapes_pass(repo_copy: Path, url: str) -> None:
    assert _found(repo_copy, url) == []


@pytest.mark.parametrize(("written", "hint"), [
    ("{order_nubmer}", "did you mean `{order_number}`?"),
    ("{{ order.number }}", "did you mean `{order_number}`?"),
    ("%OrderNumber%", "did you mean `{order_number}`?"),
    ("{id}", "write `{order_number}` where the order number goes; nothing else is filled in"),
])
def test_an_unknown_placeholder_is_located_with_the_fix(repo_copy: Path, written: str, hint: str) -> None:
    # the value starts after `order_url: "` (col 13 of its line); the placeholder 21 characters in
    assert _found(repo_copy, f"https://x.example/o/{written}") == [(13 + 20, hint)]


@pytest.mark.parametrize("url", [SHIPPED, "https://shop.example/o/{order_number}", "http://orders.test/x",
                                 "https://www.example.org/orders?n={order_number}"])
def test_a_link_on_a_domain_reserved_for_examples_is_a_warning(repo_copy: Path, url: str) -> None:
    # the scaffold's print.example.com, left as it is, would put a dead link in every email
    wf = repo_copy / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace(SHIPPED, url), encoding="utf-8")
    [d] = [d for d in order_url.check(load_repo(repo_copy)) if d.code == "example-link"]
    assert (d.file, d.severity.value) == ("config/workflow.yaml", "warning")
    assert "reserved for examples" in d.message and "lead nowhere" in d.message
    assert d.hint is not None and "order pages" in d.hint


def test_the_print_rooms_own_link_is_no_example(repo_copy: Path) -> None:
    wf = repo_copy / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace(SHIPPED, "https://print.uni-campus.de/o/{order_number}"),
                  encoding="utf-8")
    assert [d for d in order_url.check(load_repo(repo_copy)) if d.code == "example-link"] == []
