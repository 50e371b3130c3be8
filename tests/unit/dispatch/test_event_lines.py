"""A refused event read from a file is placed at its line and column: `event.json:7:14:` for
`$.customer.email`, so an editor jumps to it (it said `event.json: $.customer.email` with no line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgitops.dispatch.event_lines import line_col, offsets, parse_path
from support.dispatchrepo import cli

PRETTY = """{
  "event_id": "evt bad",
  "trigger": "order_accepted",
  "occurred_at": "2026-11-27T10:00:00Z",
  "order": {"number": "PO-1", "jobs": [{"name": "Flyer \\"A5\\"", "copies": -5}]},
  "customer": {
    "email": "ada at example.org",
    "language": "de"
  }
}
"""


@pytest.mark.parametrize(("path", "where"), [
    ((), (1, 1)), (("event_id",), (2, 15)), (("order", "jobs", 0, "copies"), (5, 75)),
    (("customer",), (6, 15)), (("customer", "email"), (7, 14)),
])
def test_each_value_is_found_where_it_starts(path: tuple[str | int, ...], where: tuple[int, int]) -> None:
    assert line_col(PRETTY, offsets(PRETTY)[path]) == where


def test_paths_and_text_that_are_not_json() -> None:
    assert parse_path("$.order.jobs[12].product.name") == ("order", "jobs", 12, "product", "name")
    assert parse_path("$") == ()
    assert parse_path("order.number") is None
    assert offsets('{"a": [1, 2') == {}  # cut short: nothing placed, nothing raised
    odd = '{"a": NaN, "b": -Infinity, "c": [true, null, 1.5e3]}'
    assert offsets(odd)[("c", 2)] == odd.index("1.5e3")


def test_dispatch_names_the_line_and_column_of_each_problem(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(PRETTY, encoding="utf-8")
    got = cli("dispatch", "--event", str(event), "--outbox", str(tmp_path / "o.sqlite"),
              env={"MAILGITOPS_DELIVERY": "production"})
    assert got.returncode == 1, got.stderr
    lines = got.stderr.splitlines()

    def said(start: str) -> bool:
        return any(line.startswith(f"  {event}:{start}") for line in lines)

    assert said('2:15: $.event_id: "evt bad" does not fit an id of ASCII letters, digits and . _ : - '
                "(like evt-000123) [bad-event]")
    assert said("5:75: $.order.jobs[0].copies: must be at least 0")
    assert said("7:14: $.customer.email: ")
    assert said("6:15: $.customer.name: `customer.name` is required")  # missing: at its object
    piped = cli("dispatch", "--event", "-", "--outbox", str(tmp_path / "o.sqlite"), stdin=PRETTY,
                env={"MAILGITOPS_DELIVERY": "production"})
    assert "  stdin:7:14: $.customer.email: " in piped.stderr
    plan = cli("plan", "--event", str(event), env={"MAILGITOPS_DELIVERY": "production"})
    assert plan.returncode == 1
    assert f"  {event}:7:14: $.customer.email: " in plan.stderr
    assert json.loads(PRETTY)["order"]["jobs"][0]["name"] == 'Flyer "A5"'  # an escaped quote inside
