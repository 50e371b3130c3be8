"""Deliveries a page at a time: an operator finds yesterday's email among hundreds, on both outbox
backends; the Older/Newer links keep the filter and do not shift when new mail arrives; a search
reaches the oldest message, not only the newest few thousand."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mailgitops.console import deliveries
from mailgitops.dispatch.outbox import NewMessage, Outbox, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from support.console import ConsoleRig
from support.dispatchrepo import sample_event


def _add(ob: Outbox, n: int, to: str = "a@example.org") -> int:
    raw = f"Subject: Order {n}\r\nTo: {to}\r\n\r\nbody\r\n".encode()
    msg = NewMessage("customer", "en", "order-received", f"<m{n}@example.com>", "p@example.com",
                     (to,), (), raw)
    return ob.record_event(StoredEvent(f"e{n}", "h", "b", [{"row": 0}]), [msg])[0]


@pytest.fixture
def ob(outbox_location: str) -> Iterator[Outbox]:
    got = open_outbox(outbox_location)
    yield got
    got.close()


def test_pages_go_back_to_the_first_message_and_forward_again_on_both_backends(
        ob: Outbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliveries, "PAGE", 3)
    ids = [_add(ob, n) for n in range(7)]
    first = deliveries.page(ob, None, None, None, None)
    assert [r.id for r in first.rows] == ids[:-4:-1] and first.newer is None
    second = deliveries.page(ob, None, None, first.older, None)
    assert [r.id for r in second.rows] == ids[3:0:-1]
    last = deliveries.page(ob, None, None, second.older, None)
    assert [r.id for r in last.rows] == [ids[0]] and last.older is None  # nothing older: no link
    back = deliveries.page(ob, None, None, None, last.newer)
    assert [r.id for r in back.rows] == ids[3:0:-1]
    assert [r.id for r in deliveries.page(ob, None, None, None, back.newer).rows] == ids[:-4:-1]


def test_a_search_reaches_the_oldest_message_on_both_backends(ob: Outbox,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliveries, "BATCH", 4)
    wanted = _add(ob, 0, "yesterday@customer.example")
    for n in range(1, 30):
        _add(ob, n)
    found = deliveries.page(ob, None, deliveries._matches("yesterday@customer"), None, None)
    assert [r.id for r in found.rows] == [wanted] and found.older is None


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<td><a href="/deliveries/(\d+)">', html)] or \
        [int(x) for x in re.findall(r"<tr>\s*<td>(\d+)</td>", html)]


def _link(html: str, rel: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return m.group(1).replace("&amp;", "&") if m else None


def test_older_keeps_the_filter_and_does_not_shift_when_mail_arrives(
        rig: ConsoleRig, signed_in: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliveries, "PAGE", 2)
    disp = rig.service.dispatcher()
    made = [rig.draft(f"p-{n}", order_number=f"PO-70{n}") for n in range(5)]
    page = signed_in.get("/deliveries", params={"status": "draft", "order": "PO-70"}).text
    assert _ids(page) == [made[4], made[3]]
    older = _link(page, "next")
    assert older is not None and "status=draft" in older and "order=PO-70" in older
    assert _link(page, "prev") is None  # the newest page has no Newer link
    for n in range(5, 8):  # new mail arrives while the operator reads: the next page stays put
        rig.draft(f"p-{n}", order_number=f"PO-70{n}")
    disp.outbox.rows()  # (committed)
    second = signed_in.get(older).text
    assert _ids(second) == [made[2], made[1]]
    third = signed_in.get(_link(second, "next") or "").text
    assert _ids(third) == [made[0]] and _link(third, "next") is None
    newer = _link(third, "prev")
    assert newer is not None and "order=PO-70" in newer
    assert _ids(signed_in.get(newer).text) == [made[2], made[1]]


def test_a_long_search_says_how_far_back_it_looked_and_goes_on(
        rig: ConsoleRig, signed_in: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliveries, "BATCH", 2)
    monkeypatch.setattr(deliveries, "SCAN_ROWS", 2)  # each request looks at two messages
    old = rig.draft("s-old", order_number="PO-8001")
    for n in range(4):
        rig.draft(f"s-{n}", order_number=f"PO-900{n}")
    page = signed_in.get("/deliveries", params={"order": "PO-8001"}).text
    assert _ids(page) == [] and "Searched back to message #" in page
    found = None
    for _ in range(5):
        older = _link(page, "next")
        assert older is not None and "order=PO-8001" in older
        page = signed_in.get(older).text
        if _ids(page):
            found = _ids(page)
            break
    assert found == [old]


def test_the_pager_in_german_and_chinese(rig: ConsoleRig, monkeypatch: pytest.MonkeyPatch,
                                          client: TestClient) -> None:
    from support.console import sign_in

    monkeypatch.setattr(deliveries, "PAGE", 1)
    rig.add_operator("greta", language="de")
    rig.add_operator("li", language="zh")
    for n in range(2):
        rig.service.dispatcher().handle(sample_event("flyers", event_id=f"g-{n}"), deliver=False)
    de = sign_in(client, "greta").get("/deliveries").text
    assert 'aria-label="Seiten"' in de and "Ältere →" in de
    client.cookies.clear()
    zh = sign_in(client, "li").get("/deliveries").text
    assert 'aria-label="分页"' in zh and "较早 →" in zh
