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
        ("port: 5_87\n", [(1, 7, "yaml-ambiguous")]),  # 587 to YAML 1.1, text to 1.2
        ("port: 0b1001001011\n", [(1, 7, "yaml-ambiguous")]),
        ("n: 1e3\n", [(1, 4, "yaml-ambiguous")]),  # text to YAML 1.1, 1000.0 to 1.2
        ("n: 1.5e3\n", [(1, 4, "yaml-ambiguous")]),
        ("n: =\n", [(1, 4, "yaml-ambiguous")]),  # PyYAML's `value` tag, not a custom tag
        ("n: 1.5e+3\nm: 0x24B\no: -12\np: ab_c\nq: \"1e3\"\n", []),  # same in both versions
        ("a: 1\na: 2\n", [(2, 1, "duplicate-key")]),
        ("x: &a 1\ny: *a\n", [(2, 4, "yaml-alias")]),
        ("x: !!python/object:os.system 1\n", [(1, 4, "yaml-tag")]),
        ("a: [1\nb: 2\n", [(2, 2, "yaml-syntax")]),
        ("a: 1\n---\nb: 2\n", [(3, 1, "yaml-multiple-documents")]),
        ("a: ü\nb: éé\x07\n", [(2, 6, "yaml-syntax")]),  # a control character, after non-ASCII text
    ],
)
def test_traps_are_reported_at_their_position(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert codes_at(text) == expected


def test_size_cap() -> None:
    assert codes_at("a: " + "x" * 1_100_000) == [(1, 1, "file-too-large")]


def test_a_number_too_long_for_python_is_an_error_not_a_crash() -> None:
    """int() refuses more than 4,300 digits; a pasted blob as a port must be a located error."""
    assert codes_at("a: 1\nport: 1" + "0" * 5000 + "\n") == [(2, 7, "yaml-number-too-long")]


@pytest.mark.parametrize(("text", "line", "message"), [
    # a no-break space as indentation (pasted from a web page): a key of its own, `\xa0 name`, that
    # validate called an unknown key whose name looked like ` name`
    ("sender:\n  address: x@y.z\n\u00a0 name: P\n", 3,
     "the key `name` holds an invisible character, U+00A0 (no-break space), at column 1"),
    ("a: 1\n\u200bb: 2\n", 2,
     "the key `b` holds an invisible character, U+200B (zero width space), at column 1"),
    # a byte order mark inside the file: 'did not find expected key' at a line that looks right
    ("a: 1\n\ufeffb: 2\n", 2,
     "line 2 holds an invisible character, U+FEFF (zero width no-break space), that YAML cannot read here"),
])
def test_an_invisible_character_is_named(text: str, line: int, message: str) -> None:
    _, [d] = load_yaml(text, "f.yaml")
    assert (d.line, d.code, d.message) == (line, "yaml-invisible", message)


def test_a_no_break_space_inside_a_value_is_text() -> None:
    doc, diags = load_yaml("name: Print\u00a0Room\n", "f.yaml")
    assert (doc.data, diags) == ({"name": "Print\u00a0Room"}, [])


def test_yaml_ambiguity_keeps_the_text() -> None:
    doc, _ = load_yaml("port: 025\nlang: no\n", "f.yaml")
    assert doc.data == {"port": "025", "lang": "no"}


def test_version_dependent_number_names_both_readings_and_the_fix() -> None:
    _, [d] = load_yaml("port: 5_87\n", "f.yaml")
    assert d.message == "`5_87` is read as a number by YAML 1.1 tools and as text by others"
    assert d.hint == 'quote it so every tool reads the same text: "5_87", or write the number in plain digits'



def test_a_control_character_is_located_by_the_pure_loader_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML without libyaml counts the reader error's offset in characters, libyaml in bytes."""
    import yaml

    from mailgitops import yamlsrc

    monkeypatch.setattr(yamlsrc, "_Loader", yaml.SafeLoader)
    assert codes_at("a: ü\nb: éé\x07\n") == [(2, 6, "yaml-syntax")]
