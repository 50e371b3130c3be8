"""addresses: each address judged on its own; the message says which rule it broke."""

from __future__ import annotations

import pytest

from mailgitops.checks.addresses import check_value, problem
from mailgitops.yamlsrc import load_yaml


@pytest.mark.parametrize(
    "addr",
    ["printroom@example.com", "a.b+tag@sub.example.co.uk", "ops@localhost", "x@[127.0.0.1]",
     "李华@例子.中国"],
)
def test_good_addresses(addr: str) -> None:
    assert problem(addr) is None


@pytest.mark.parametrize(
    ("addr", "words"),
    [
        ("a@x.com\r\nBcc: evil@x.com", "line break"),
        ("a@x.com\x00", "control"),
        ("Print Room <a@x.com>", "display name"),
        ("<a@x.com>", "display name"),
        ("Team: a@x.com, b@x.com;", "group syntax"),
        ("a@x.com,b@x.com", "more than one address"),
        ("a@x.com b@x.com", "space"),
        ("printroom.example.com", "no `@`"),
        ("a@@x.com", "more than one `@`"),
        ("@x.com", "nothing before"),
        ("a@", "no domain"),
        ("a@example", "no top-level"),
        ("a@-x.com", "not a valid host"),
        ("a..b@x.com", "invalid part"),
    ],
)
def test_bad_addresses(addr: str, words: str) -> None:
    found = problem(addr)
    assert found is not None and words in found[0]


def test_a_semicolon_list_is_split_and_each_bad_part_located() -> None:
    text = 'cc: "ok@example.com; bad@; also-ok@example.com, worse"\n'
    doc, _ = load_yaml(text, "f.yaml")
    diags = check_value(doc, ("cc",), doc.data["cc"], text.split("\n"), "cc address", split=True)
    assert [(d.line, d.col, d.message.split("`")[1]) for d in diags] == [(1, 22, "bad@"), (1, 49, "worse")]


def test_list_items_are_located_one_by_one() -> None:
    text = "cc:\n  - ok@example.com\n  - Someone <s@example.com>\n"
    doc, _ = load_yaml(text, "f.yaml")
    [d] = check_value(doc, ("cc",), doc.data["cc"], text.split("\n"), "cc address", split=True)
    assert (d.line, d.col, d.json_path) == (3, 5, "$.cc[1]")
