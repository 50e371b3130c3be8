"""yamlsrc: positions, and the YAML traps a config file must not fall into."""

from __future__ import annotations

import pytest

from mailgitops.yamlsrc import load_yaml


def codes_at(text: str) -> list[tuple[int, int, str]]:
    _, diags = load_yaml(text, "f.yaml")
    return sorted((d.line, d.col, d.code) for d in diags)


def test_positions_of_values_and_keys() -> None:
    doc, diags = load_yaml("a:\n  b: [1, 2]\n  c: x\n", "f.yaml")
    assert diags == []
    assert doc.data == {"a": {"b": [1, 2], "c": "x"}}
    assert (doc.pos(("a", "b", 1)).line, doc.pos(("a", "b", 1)).col) == (2, 10)
    assert doc.key_pos(("a", "c")).line == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port: 025\n", [(1, 7, "yaml-ambiguous")]),
        ("lang: no\n", [(1, 7, "yaml-ambiguous")]),
        ("a: 1\na: 2\n", [(2, 1, "duplicate-key")]),
        ("x: &a 1\ny: *a\n", [(2, 4, "yaml-alias")]),
        ("x: !!python/object:os.system 1\n", [(1, 4, "yaml-tag")]),
        ("a: [1\nb: 2\n", [(2, 2, "yaml-syntax")]),
        ("a: 1\n---\nb: 2\n", [(3, 1, "yaml-multiple-documents")]),
    ],
)
def test_traps_are_reported_at_their_position(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert codes_at(text) == expected


def test_size_cap() -> None:
    assert codes_at("a: " + "x" * 1_100_000) == [(1, 1, "file-too-large")]


def test_yaml_ambiguity_keeps_the_text() -> None:
    doc, _ = load_yaml("port: 025\nlang: no\n", "f.yaml")
    assert doc.data == {"port": "025", "lang": "no"}
