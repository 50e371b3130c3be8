"""The static guarantee, checked by rendering: for every trigger, an event that carries what the
trigger requires (the catalog's `requires`) renders, whichever optional values it leaves out.
Generated events (hypothesis) go through the real dispatcher, for the shipped repository and for
one made by `mailgitops init`; the product contract's example event dispatches too."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgitops import catalog
from mailgitops.dispatch.api import Dispatcher
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, sample_event

TRIGGERS = sorted(catalog.triggers())
NAMESPACES = ("order", "customer", "operator", "approvers", "cost_centre", "quote", "decision",
              "delivery", "export")
_ids = itertools.count()


def _leaves(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path


def _catalog_name(path: tuple[str | int, ...]) -> str:
    """`("order", "jobs", 0, "price")` -> `job.price`; `("approvers", 1, "name")` -> `approver.name`."""
    parts = [p for p in path if isinstance(p, str)]
    if parts[:2] == ["order", "jobs"]:
        return ".".join(["job", *parts[2:]])
    if parts[0] == "approvers":
        return ".".join(["approver", *parts[1:]])
    return ".".join(parts)


def optional_paths(trigger: str) -> list[tuple[str | int, ...]]:
    """Every value of the sample order that the trigger does not require (nor the schema: the
    people's addresses, the order number)."""
    required = set(catalog.triggers()[trigger].requires)
    event = sample_event("flyers")
    out = []
    for ns in NAMESPACES:
        for path in _leaves(event.get(ns), (ns,)):
            name = _catalog_name(path)
            # addresses and the order number the schema requires; `notify` says who is written to
            if name in required or path[-1] in ("email", "notify") or name == "order.number":
                continue
            out.append(path)
    return out


def without(trigger: str, drop: list[tuple[str | int, ...]]) -> dict[str, Any]:
    event = copy.deepcopy(sample_event("flyers", trigger=trigger, event_id=f"g-{next(_ids)}"))
    for path in drop:
        node: Any = event
        for key in path[:-1]:
            node = node[key]
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return event


@pytest.fixture(scope="module", params=["shipped", "init"])
def dispatcher(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dispatcher]:
    work = tmp_path_factory.mktemp(request.param)
    if request.param == "init":
        made = cli("init", str(work / "printroom"))
        assert made.returncode == 0, made.stderr
        repo = make_repo(work / "printroom", port=9)  # the same repository, pointed at no server
    else:
        repo = make_repo(work / "repo", port=9)
    bundle = build_bundle(repo)
    with Dispatcher.load(str(bundle), outbox=str(work / "o.sqlite"),
                         attachments_root=str(SAMPLES / "files")) as d:
        yield d


@pytest.mark.slow
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_the_minimal_event_of_every_trigger_renders(dispatcher: Dispatcher, trigger: str) -> None:
    event = without(trigger, optional_paths(trigger))
    outcome = dispatcher.handle(event, deliver=False).to_json()
    statuses = [m["status"] for m in outcome["messages"]]
    assert set(statuses) <= {"queued", "draft", "skipped"}, outcome
    assert {"queued", "draft"} & set(statuses), f"nothing was rendered for {trigger}: {outcome}"


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_optional_values_left_out_still_render(dispatcher: Dispatcher, data: st.DataObject) -> None:
    trigger = data.draw(st.sampled_from(TRIGGERS))
    paths = optional_paths(trigger)
    drop = data.draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    outcome = dispatcher.handle(without(trigger, drop), deliver=False).to_json()
    statuses = {m["status"] for m in outcome["messages"]}
    assert statuses <= {"queued", "draft", "skipped"}, (trigger, drop, outcome)


def test_the_product_contracts_example_event_dispatches(dispatcher: Dispatcher, tmp_path: Path) -> None:
    """PRODUCT.md section 3, as written (no due date, no title, no prices)."""
    event = {
        "event_id": f"evt-000123-{next(_ids)}", "trigger": "order_accepted",
        "occurred_at": "2026-11-27T10:00:00Z", "webshop": "campus",
        "order": {"number": "PO-1001", "jobs": [{"name": "Flyer", "copies": 500,
                                                 "product": {"name": "A5 flyer"}}]},
        "customer": {"name": "Ada Lovelace", "email": "ada@example.org", "language": "de",
                     "notify": ["order_accepted"]},
        "operator": {"name": "Op", "email": "op@example.com", "language": "en"},
        "approvers": [{"name": "Budget", "email": "budget@example.com", "language": "en"}],
        "attachments": {"document": "jobs/PO-1001/final.pdf", "ticket": "jobs/PO-1001/ticket.pdf"},
    }
    outcome = dispatcher.handle(event, deliver=False).to_json()
    [message] = outcome["messages"]
    assert message["role"] == "customer"
    assert message["status"] == "queued"
