"""placeholders: `%OrderNumber%` found (not `{%name%}` nor `100%`) and translated to Jinja."""

from __future__ import annotations

import pytest

from mailgitops.checks.placeholders import find, translate


@pytest.mark.parametrize(
    ("name", "jinja"),
    [
        ("OrderNumber", "order.number"),
        ("CustomerName", "customer.name"),
        ("ProductName", "job.product.name"),
        ("NumberOfCopies", "job.copies"),
        ("DueDate", "order.due_date"),
        ("OrderDeliveryAddress", "order.delivery_address"),  # the snake_case form
        ("CostCentreCode", "cost_centre.code"),
        ("Xyzzy", None),
    ],
)
def test_translate(name: str, jinja: str | None) -> None:
    assert translate(name) == jinja


def test_find_positions_and_what_is_not_a_placeholder() -> None:
    text = "100% recycled, 50% off\n{%if x%}{%endif%} Order %OrderNumber% for %CustomerName%"
    found = [(p.line, p.col, p.text, p.jinja) for p in find(text)]
    assert found == [(1, 24, "%OrderNumber%", "order.number"), (1, 42, "%CustomerName%", "customer.name")]
