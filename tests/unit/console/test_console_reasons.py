# Chinese punctuation (full-width colon) is right in the Chinese reasons tested here:
# ruff: noqa: RUF001
"""A message's reason on Deliveries and its own page is in the operator's language, built from
the row's state; in English it says exactly what the API and the CLI say (outcome.row_status), so a
reason the core adds or rewords fails here until the console has it too."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from mailgitops.console import i18n, message
from mailgitops.dispatch.outbox import STATUSES, Row
from mailgitops.dispatch.outcome import row_status

BOUNCED = {"address": "ada@example.org", "kind": "to", "result": "bounced", "status": "5.1.1",
           "text": "no such user"}


def _row(status: str, last_error: str | None = None, recipients: tuple[Any, ...] = ()) -> Row:
    return Row(7, "e-7", "customer", "en", "t", "<m@x>", "p@x", ("ada@example.org",), (), (), (), {}, b"",
               None, status, 1, 0, 0.0, last_error, 0.0, 0.0, None, recipients=recipients)  # type: ignore[arg-type]


CASES = [(s, e, r) for s in STATUSES for e in (None, "451 4.3.0 try later") for r in ((), (BOUNCED,))]


@pytest.mark.parametrize(("status", "error", "recipients"), CASES)
def test_the_english_reason_is_the_apis(status: str, error: str | None, recipients: tuple[Any, ...]) -> None:
    row = _row(status, error, recipients)
    en = message.reason(SimpleNamespace(_=i18n.translator("en")), row)  # type: ignore[arg-type]
    expected = "waiting for an operator" if status == "draft" else row_status(row)[1]
    assert en == expected


@pytest.mark.parametrize(("row", "de", "zh"), [
    (_row("queued"), "wartet auf den Versand", "等待发送"),
    (_row("discarded"), "der Bediener hat den Entwurf verworfen", "操作员已丢弃此草稿"),
    (_row("sent", "550 5.1.1 cc unknown"), "vom Server für einige Empfänger abgelehnt: 550 5.1.1 cc unknown",
     "服务器拒绝了部分收件人：550 5.1.1 cc unknown"),
    # the bounce report's words are the receiving server's: quoted as written
    (_row("sent", None, (BOUNCED,)),
     "später zurückgekommen für ada@example.org; der Bericht des Servers: „5.1.1 no such user“",
     "ada@example.org 随后被退回；服务器的报告：“5.1.1 no such user”"),
    (_row("expired", "421 busy"), "abgelaufen: 421 busy", None),
])
def test_the_reason_in_german_and_chinese(row: Row, de: str, zh: str | None) -> None:
    assert message.reason(SimpleNamespace(_=i18n.translator("de")), row) == de  # type: ignore[arg-type]
    if zh is not None:
        assert message.reason(SimpleNamespace(_=i18n.translator("zh")), row) == zh  # type: ignore[arg-type]


def test_a_recipient_not_tried_yet_reads_in_the_operators_language(rig: Any, client: Any) -> None:
    from support.console import sign_in
    from support.dispatchrepo import sample_event

    rig.add_operator("greta", language="de")
    sign_in(client, "greta")
    rig.service.dispatcher().handle(sample_event("flyers", trigger="order_received", event_id="r-1"),
                                    deliver=False)  # queued, not tried yet
    row_id = max(r.id for r in rig.service.dispatcher().outbox.rows(None, 50))
    page = client.get(f"/deliveries/{row_id}").text
    assert "wartet auf den Versand" in page and "waiting to be sent" not in page
