"""schemacheck: every schema problem at its value, with the fix in the hint."""

from __future__ import annotations

import pytest

from mailgitops import catalog, schemacheck, suggest
from mailgitops.yamlsrc import load_yaml

SMTP_OK = "sender: {address: a@example.com}\nserver:\n  host: smtp.example.com\n"


def check(text: str, kind: str = "smtp") -> list[tuple[int, int, str, str, str | None]]:
    doc, diags = load_yaml(text, "f.yaml")
    assert diags == []
    return [(d.line, d.col, d.code, d.message, d.hint) for d in schemacheck.check(doc, kind)]


def test_yaml_float_shows_what_was_written() -> None:
    [(line, col, code, message, hint)] = check("name: 1.10\n", "webshop")
    assert (line, col, code) == (1, 7, "wrong-type")
    assert "`1.10`" in message
    assert "1.1" in message
    assert hint == 'quote it so it stays text: "1.10"'


def test_plain_number_for_text_hints_to_quote() -> None:
    [(_, _, code, message, hint)] = check("name: 42\n", "webshop")
    assert (code, message) == ("wrong-type", "expected text, got integer `42`")
    assert hint == "quote the value so YAML keeps it as text"


def test_a_wrong_type_shows_what_was_written() -> None:
    [(_, _, code, message, _)] = check(SMTP_OK + "  timeout_seconds: soon\n")
    assert (code, message) == ("wrong-type", "expected number, got text `soon`")


def test_unknown_key_did_you_mean_at_the_key() -> None:
    [(line, col, code, _, hint)] = check(SMTP_OK + "  prot: 587\n")
    assert (line, col, code, hint) == (4, 3, "unknown-key", "did you mean `port`?")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("  port: 70000\n", (4, 9, "schema-maximum")),
        ("  security: ssl\n", (4, 13, "bad-value")),
        ('  port: "587"\n', (4, 9, "wrong-type")),
    ],
)
def test_values_are_located(extra: str, expected: tuple[int, int, str]) -> None:
    assert [r[:3] for r in check(SMTP_OK + extra)] == [expected]


def test_a_key_that_must_be_a_language_tag_is_located_at_the_key() -> None:
    [(line, col, code, message, _)] = check('footer:\n  en: "Ltd"\n  Fr: "SARL"\n', "theme")
    assert (line, col, code) == (3, 3, "schema-pattern")
    assert message == "`Fr` is not a language tag such as en, de or pt-BR"


def test_missing_required_key() -> None:
    assert [r[2] for r in check("server: {host: h.example.com}\n")] == ["missing-key"]


def test_addresses_are_left_to_the_address_check() -> None:
    # one precise `bad-address` from checks/addresses.py instead of a second, vaguer pattern error
    assert check("sender: {address: not-an-address}\nserver: {host: h.example.com}\n") == []


def test_did_you_mean() -> None:
    assert suggest.did_you_mean("starttsl", ["none", "starttls", "tls"]) == "did you mean `starttls`?"
    assert suggest.did_you_mean("zzz", ["none"]) is None


def test_pattern_errors_say_what_is_expected_not_the_regex() -> None:
    text = "sender: {address: a@example.com}\nserver: {host: smtp example.com}\n"
    [(line, col, code, message, _)] = check(text)
    assert (line, col, code) == (2, 16, "schema-pattern")
    assert message == "`smtp example.com` is not a host name or IP address such as smtp.example.com"
    [(_, _, _, message, _)] = check("default: EN\nactive: [en]\n", "languages")
    assert message == "`EN` is not a language tag such as en, de or pt-BR"


def test_pattern_without_error_message_falls_back_to_the_description() -> None:
    text = "event_id: e1\ntrigger: order_ready\noccurred_at: '2026-11-27T10:00:00Z'\n" \
           "attachments: {document: ../../etc/passwd}\n"
    [(line, _, code, message, hint)] = check(text, "sample")
    assert (line, code, message) == (4, "schema-pattern", "`../../etc/passwd` is not in the expected form")
    assert hint is not None
    assert "without '..'" in hint


def _patterns(node: object, where: str = "$") -> list[tuple[str, dict[str, object]]]:
    if isinstance(node, dict):
        own = [(where, node)] if "pattern" in node else []
        return own + [p for k, v in node.items() for p in _patterns(v, f"{where}.{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _patterns(v, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize("kind", ["smtp", "languages", "workflow", "webshop", "template", "theme"])
def test_every_pattern_an_admin_can_break_has_an_error_message(kind: str) -> None:
    """Editors show `errorMessage` as it is, and validate completes "`x` is not ..." with it."""
    bare = [where for where, node in _patterns(catalog.schema(kind)) if not node.get("errorMessage")]
    assert bare == []


def test_sample_addresses_are_left_to_the_address_check_but_types_are_not() -> None:
    base = "event_id: e1\ntrigger: order_ready\noccurred_at: '2026-11-27T10:00:00Z'\n"
    assert check(base + "customer: {email: 'Ada <ada@example.org>'}\n", "sample") == []
    assert [r[2] for r in check(base + "customer: {email: 42}\n", "sample")] == ["wrong-type"]
