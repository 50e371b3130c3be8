"""The send path's small event validator agrees with jsonschema on good and bad events."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from mailgitops.dispatch.event import SUPPORTED_KEYWORDS, check_event, event_schema, parse_event
from mailgitops.dispatch.event_values import NonFinite, _walk, value_problems
from mailgitops.errors import MailgitopsError
from mailgitops.schemacheck import validator_of
from support.dispatchrepo import sample_event

GOOD = sample_event("flyers")


def _bad(**changes: Any) -> dict[str, Any]:
    ev = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        node = ev
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if value is KeyError:
            del node[leaf]
        else:
            node[leaf] = value
    return ev


CORPUS: list[Any] = [
    GOOD, sample_event("business-cards"), [], "event", None, 42, {},
    _bad(event_id=KeyError), _bad(event_id=""), _bad(event_id="a b"), _bad(event_id=7),
    _bad(event_id="x" * 201),
    _bad(trigger="Order"), _bad(trigger=None), _bad(surprise=1), _bad(webshop="../x"),
    _bad(customer__email="a@example.org; b@example.org"), _bad(customer__email="Eve <e@example.org>"),
    _bad(customer__email="a@example.org\nBcc: x@example.org"), _bad(customer__email="a@b"),
    _bad(customer__email=KeyError), _bad(customer__language="german!"), _bad(customer__notify="all"),
    _bad(customer__notify=[1]), _bad(customer__name="x\ny"), _bad(customer=[]),
    _bad(order__number=""), _bad(order__number=KeyError), _bad(order__jobs="many"),
    _bad(order__jobs__0__copies="500"), _bad(order__jobs__0__copies=-1), _bad(order__jobs__0__copies=True),
    _bad(order__jobs__0__copies=2.5), _bad(order__jobs__0__name=3),
    _bad(approvers=[{"name": "x"}]), _bad(approvers={"email": "a@example.org"}),
    _bad(approvers=[{"email": "a@example.org"}] * 51),
    _bad(attachments__document="../x.pdf"), _bad(attachments__document="/etc/passwd"),
    _bad(attachments__document="C:\\x.pdf"), _bad(attachments__document="a\\..\\b"),
    _bad(attachments__other="x.pdf"), _bad(attachments__ticket=""),
    _bad(operator_cc=["a@example.org", "b"]), _bad(operator_cc="a@example.org"),
    _bad(operator_attachments=["ok.pdf", "../no.pdf"]), _bad(operator=None),
    # issue 9: a trailing newline passed Python's `$`; dot rules; an internationalised domain is fine
    _bad(customer__name="Ada\n"), _bad(trigger="order_received\n"), _bad(event_id="e1\n"),
    _bad(customer__name="Ada\x1b[2J"), _bad(customer__email=".a..b.@example.com"),
    _bad(customer__email="ada@bücher.de"), _bad(customer__email="ada@example.org\n"),
    _bad(order__number="PO-1\n"),
]


def _paths_jsonschema(ev: Any) -> list[str]:
    v = validator_of(event_schema())  # jsonschema, with `$` as the end of the text and our address rule
    out = []
    for e in v.iter_errors(ev):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        if e.validator == "additionalProperties":  # we name the extra field itself
            extra = [k for k in e.instance if k not in e.schema.get("properties", {})]
            out.extend(f"{path}.{k}" for k in extra)
        else:
            out.append(path)
    return sorted(out)


@pytest.mark.parametrize("ev", CORPUS, ids=lambda e: json.dumps(e, ensure_ascii=False)[:60])
def test_agrees_with_jsonschema(ev: Any) -> None:
    ours = sorted(d.json_path for d in check_event(ev))
    assert ours == _paths_jsonschema(ev)


def test_date_time_is_checked_even_without_a_format_library() -> None:
    assert [d.json_path for d in check_event(_bad(occurred_at="yesterday"))] == ["$.occurred_at"]
    assert check_event(_bad(occurred_at="2026-11-27T10:00:00+01:00")) == []


def test_schema_uses_only_what_the_small_validator_understands() -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("properties", "$defs"):
                    for sub in v.values():
                        walk(sub)
                    used.add(k)
                else:
                    used.add(k)
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(event_schema())
    assert used - SUPPORTED_KEYWORDS == set()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(MailgitopsError) as e:
        parse_event(json.dumps(_bad(event_id="a b", trigger="X", occurred_at="now", surprise=1)))
    assert sorted(d.json_path for d in e.value.diagnostics) == [
        "$.event_id", "$.occurred_at", "$.surprise", "$.trigger"]


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(MailgitopsError, match="not valid JSON"):
        parse_event(b"{nope")


@pytest.mark.parametrize(("ev", "path"), [
    (_bad(customer__name="Ada\n"), "$.customer.name"),
    (_bad(customer__name="Ada\x1b[2J"), "$.customer.name"),
    (_bad(trigger="order_received\n"), "$.trigger"),
    (_bad(event_id="e1\n"), "$.event_id"),
    (_bad(order__number="PO-1\n"), "$.order.number"),
    (_bad(customer__email=".a..b.@example.com"), "$.customer.email"),
    (_bad(customer__email="ada@example.org\n"), "$.customer.email"),
])
def test_trailing_newlines_controls_and_dot_rules_are_refused_at_their_field(ev: Any, path: str) -> None:
    assert [d.json_path for d in check_event(ev)] == [path]


def test_an_internationalised_domain_is_accepted() -> None:
    assert check_event(_bad(customer__email="ada@bücher.de")) == []


def _nest(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


@pytest.mark.parametrize("value", [
    sample_event(), {"a": "plain", "b": ["ok", 1, 2.5, True, None]}, _nest(31, 1), _nest(32, 1), _nest(33, 1),
    _nest(40, "x"), {"a": "bad \ud800 text"}, {"bad \udfff key": 1}, {"ok": "zoë ✓", "n": 10**16},
    {"n": -(10**15) - 1}, {"f": float("inf")}, {"f": float("nan")}, [1, [2, [3, {"x": 1e300}]]],
    {"a": NonFinite("NaN")}, {"a": ("tuple", "\ud800")}, {1: "a non-text key"}, "\ud800", 10**20,
])
def test_the_quick_pass_finds_what_the_full_walk_finds(value: Any) -> None:
    """Nearly every event is clean and takes one quick pass; any doubt goes to the walk that names
    each problem at its path, so both always give the same answer."""
    assert list(value_problems(value)) == list(_walk(value))


def test_the_context_copies_an_event_as_deepcopy_does() -> None:
    from mailgitops.identity import Mailbox
    from mailgitops.render.context import build_context

    event = sample_event()
    shared = {"street": "Main St 1"}
    event["customer"] = {**event["customer"], "address": shared, "billing": shared,
                         "since": dt.date(2020, 1, 2)}
    before = copy.deepcopy(event)
    ctx = build_context(event, recipient=event["customer"], order_url="https://x.example/{order_number}",
                        sender=Mailbox("p@example.com"), webshop_name=None)
    assert ctx["customer"] == before["customer"]
    assert ctx["customer"]["address"] is ctx["customer"]["billing"]  # shared as in the event, like deepcopy
    assert ctx["customer"]["address"] is not shared  # but a copy: a template cannot change the event
    ctx["order"]["jobs"][0]["title"] = "changed"
    assert event == before


@pytest.mark.parametrize(("value", "path", "words"), [
    ({"order": {1: "x"}}, (), "the field name 1 is a int"),
    ({"order": {"price": __import__("decimal").Decimal("1.5")}}, ("order", "price"), "is a Decimal"),
    ({"occurred_at": __import__("datetime").datetime(2026, 11, 30)}, ("occurred_at",), "ISO 8601"),
    ({"n": 9 ** 400}, ("n",), "a number of 382 digits"),
    ({"n": 10 ** 5000}, ("n",), "a number of about 5001 digits"),
])
def test_what_only_python_code_can_send_is_named_at_its_field(value: Any, path: tuple[Any, ...],
                                                             words: str) -> None:
    """A caller of the Python API can hand values JSON has no form for; they were let through and
    failed later with a bare TypeError (json.dumps while hashing the event) or OverflowError."""
    found = list(value_problems(value))
    assert len(found) == 1, found
    got_path, message = found[0]
    assert words in message
    assert got_path == path or got_path == ("order",)


def test_a_refused_value_is_shown_as_written_and_the_rule_in_words() -> None:
    """A non-ASCII event_id read '"evt-\\u00fc1" does not fit the pattern ^[A-Za-z0-9._:\\-]+$'."""
    [d] = check_event(_bad(event_id="evt-ü1"))
    assert d.json_path == "$.event_id"
    assert '"evt-ü1" does not fit an id of ASCII letters, digits and . _ : - (like evt-000123)' in d.message
    [d] = check_event(_bad(event_id="evt-\u202e321"))  # a right-to-left override is shown, not obeyed
    assert '"evt-\\u202e321" does not fit' in d.message


def test_the_formatted_values_checked_in_events_are_the_catalogs() -> None:
    """dispatch/value_types.py writes them out (the catalog is not loaded to check an event):
    a variable added to schema/variables.yaml with such a type must be checked too."""
    from mailgitops.catalog import variables
    from mailgitops.dispatch.value_types import _WANTED, TYPED

    assert set(TYPED) == {(v.name, v.type) for v in variables().values() if v.type in _WANTED}
