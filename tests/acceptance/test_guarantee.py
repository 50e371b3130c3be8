"""The static guarantee, checked by rendering: for every trigger, an event the event schema accepts
and that carries what the trigger requires (the catalog's `requires`) renders, whichever optional
values it leaves out. The events are generated from the event schema itself, narrowed per trigger
by the catalog (tests/support/eventgen.py): its two extremes (only what is required; every
optional value present) and anything in between, through the real dispatcher, for the shipped
repository and for one made by `mailgitops init`. The product contract's example event too."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgitops import catalog
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.event import check_event
from support import eventgen
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo

TRIGGERS = sorted(catalog.triggers())
_ids = itertools.count()


def renders(dispatcher: Dispatcher, event: dict[str, Any]) -> None:
    """The event schema accepts the generated event, and every message of it is rendered."""
    event = {**event, "event_id": f"g-{next(_ids)}"}
    assert check_event(event) == [], event
    outcome = dispatcher.handle(event, deliver=False).to_json()
    statuses = [m["status"] for m in outcome["messages"]]
    assert statuses, f"nothing was rendered for {event['trigger']}: {outcome}"
    assert set(statuses) <= {"queued", "draft"}, outcome


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
@pytest.mark.parametrize("shape", ["minimal", "maximal"])
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_both_extremes_of_every_triggers_schema_render(dispatcher: Dispatcher, trigger: str,
                                                        shape: eventgen.Shape) -> None:
    """Only what the trigger requires, and every optional value present."""

    @settings(max_examples=2, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(event=eventgen.events(trigger, shape))
    def check(event: dict[str, Any]) -> None:
        renders(dispatcher, event)

    check()


@pytest.mark.slow
@settings(max_examples=12, deadline=None,  # each trigger's two extremes are checked above
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_event_the_schema_accepts_renders(dispatcher: Dispatcher, data: st.DataObject) -> None:
    trigger = data.draw(st.sampled_from(TRIGGERS))
    renders(dispatcher, data.draw(eventgen.events(trigger)))


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
