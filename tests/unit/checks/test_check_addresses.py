"""addresses: each address judged on its own; the message says which rule it broke."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks.addresses import check, check_value, event_problem
from mailgitops.repo import load_repo
from mailgitops.yamlsrc import load_yaml


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


def test_sample_order_addresses_each_checked_once_with_the_fault_named(repo_copy: Path) -> None:
    """A sample order is an event: one plain ASCII address per field, nothing split or dropped."""
    flyers = repo_copy / "config/samples/flyers.yaml"
    text = flyers.read_text(encoding="utf-8")
    text = text.replace("email: ada@example.org", 'email: "ada@example.org; bob@example.org"')
    text = text.replace("email: op@example.com", "email: olivia@example.local")
    text = text.replace("email: budget@example.com", "email: budget@example")
    cc = 'operator_cc: [ok@example.com, "Boss <b@example.com>"]'
    text = text.replace("\nattachments:", f"\n{cc}\nattachments:")
    flyers.write_text(text, encoding="utf-8")
    loaded = load_repo(repo_copy)
    diags = [d for d in [*loaded.diagnostics, *check(loaded)] if d.file == "config/samples/flyers.yaml"]
    got = {(d.json_path, d.code) for d in diags}
    assert got == {("$.customer.email", "bad-address"), ("$.operator.email", "bad-address"),
                   ("$.approvers[0].email", "bad-address"), ("$.operator_cc[1]", "bad-address")}
    by_path = {d.json_path: d for d in diags}
    assert "more than one address" in by_path["$.customer.email"].message
    assert by_path["$.customer.email"].hint == "an order event holds one address per field; keep one here"
    assert "special-use" in by_path["$.operator.email"].message
    assert "should have a period" in by_path["$.approvers[0].email"].message
    assert by_path["$.operator_cc[1]"].hint == "write only the address, e.g. boss@example.com"


@pytest.mark.parametrize("addr", ["ada@example.org", "a.b+tag@sub.example.co.uk", "ada@bücher.de"])
def test_the_event_rule_is_the_one_rule(addr: str) -> None:
    """What validate accepts in a sample order, dispatch accepts in an event, and the other way round."""
    from mailgitops.dispatch.event import check_event

    assert event_problem(addr) is None
    event = {"event_id": "e1", "trigger": "order_received", "occurred_at": "2026-11-27T10:00:00Z",
             "customer": {"email": addr}}
    assert check_event(event) == []
