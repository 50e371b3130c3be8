"""Finding a customer's email the way an operator is asked for it: by order number, by the
customer's name or by the address, in the drafts and in the deliveries."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from support.console import ConsoleRig
from support.dispatchrepo import sample_event


def _customer(name: str, email: str) -> dict[str, object]:
    return {**sample_event("flyers")["customer"], "name": name, "email": email, "language": "en"}


def _orders(html: str) -> list[str]:
    return re.findall(r'<td><a href="/draft/\d+">(PO-[^<]+)</a></td>', html)


def test_the_inbox_finds_a_draft_by_customer_name_or_address(rig: ConsoleRig, signed_in: TestClient) -> None:
    rig.draft("s-1", order_number="PO-3001", customer=_customer("Grace Hopper", "grace@navy.example"))
    rig.draft("s-2", order_number="PO-3002", customer=_customer("Hans Müller", "hans@example.de"))
    assert _orders(signed_in.get("/", params={"order": "müller"}).text) == ["PO-3002"]
    assert _orders(signed_in.get("/", params={"order": "grace@navy"}).text) == ["PO-3001"]
    assert _orders(signed_in.get("/", params={"order": "3001"}).text) == ["PO-3001"]
    nothing = signed_in.get("/", params={"order": "Lovelace"}).text
    assert _orders(nothing) == []
    assert "No waiting draft matches." in nothing
    assert '<label for="order">Order, customer or address</label>' in nothing


def test_deliveries_find_the_refused_customer_by_address(rig: ConsoleRig, signed_in: TestClient) -> None:
    from mailgitops.dispatch import drafts

    refused = rig.draft("s-3", order_number="PO-3003", customer=_customer("Nobody", "nobody@refused.example"))
    rig.draft("s-4", order_number="PO-3004")
    disp = rig.service.dispatcher()
    drafts.send(disp, refused, deliver=False)
    disp.outbox.update(refused, None, status="failed", last_error="550 5.1.1 user unknown")
    page = signed_in.get("/deliveries", params={"order": "refused.example"}).text
    rows = re.findall(r"<tr>\s*<td>(?:<a[^>]*>)?(\d+)", page)
    assert rows == [str(refused)]
    assert "550 5.1.1 user unknown" in page


def test_the_inbox_names_the_trigger_in_the_operators_language(rig: ConsoleRig,
                                                                signed_in: TestClient) -> None:
    rig.draft("s-5", trigger="price_rejected")
    page = signed_in.get("/").text
    assert '<td title="price_rejected">Price rejected</td>' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    signed_in.post("/language", data={"csrf": token.group(1), "language": "de", "next": "/"})
    assert '<td title="price_rejected">Preis abgelehnt</td>' in signed_in.get("/").text


def test_every_trigger_of_the_catalog_has_a_name_in_every_language() -> None:
    import yaml

    from mailgitops.console import i18n
    from support.dispatchrepo import ROOT

    catalog = yaml.safe_load((ROOT / "src/mailgitops/schemas/triggers.yaml").read_text(encoding="utf-8"))
    for key in catalog["triggers"]:
        assert key in i18n.TRIGGERS, f"the console has no name for trigger {key}"
        for lang in ("de", "zh"):
            assert i18n.TRIGGERS[key] in i18n.CATALOGS[lang], (lang, key)
