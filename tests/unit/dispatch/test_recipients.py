"""The per-recipient rule: `sent` only when every To was accepted; copies never fail a message."""

from __future__ import annotations

from mailgitops.dispatch.outbox import initial_recipients
from mailgitops.dispatch.recipients import apply, verdict
from mailgitops.dispatch.smtp_config import Delivery

TO, CC, BCC = "ada@example.org", "archive@example.com", "audit@example.com"


def _after(result: Delivery) -> list[dict[str, object]]:
    return apply(initial_recipients([TO], [CC], [BCC]), [TO, CC, BCC], result)


def test_every_recipient_accepted_is_sent() -> None:
    got = _after(Delivery((TO, CC, BCC), {}, {}, reply="250 2.0.0 queued as X"))
    assert verdict(got).status == "sent"
    assert got[0] == {"address": TO, "kind": "to", "result": "accepted", "code": 250,
                      "text": "2.0.0 queued as X"}
    assert [r["kind"] for r in got] == ["to", "cc", "bcc"]


def test_a_refused_to_fails_the_message_even_when_the_copies_went_out() -> None:
    got = verdict(_after(Delivery((CC, BCC), {}, {TO: "550 5.1.1 unknown user"}, reply="250 ok")))
    assert got.status == "failed"
    assert got.error == f"{TO} (to): 550 5.1.1 unknown user"


def test_a_deferred_to_waits_for_that_recipient_alone() -> None:
    got = verdict(_after(Delivery((CC, BCC), {TO: "451 4.3.0 later"}, {}, reply="250 ok")))
    assert got.status == "waiting"
    assert got.pending == (TO,)


def test_a_refused_copy_is_named_and_does_not_fail_the_message() -> None:
    got = verdict(_after(Delivery((TO,), {}, {CC: "550 no", BCC: "553 bad"}, reply="250 ok")))
    assert got.status == "sent"
    assert got.error == f"{CC} (cc): 550 no; {BCC} (bcc): 553 bad"


def test_a_recipient_with_no_reply_waits_and_text_without_a_code_has_none() -> None:
    got = _after(Delivery((), {TO: "connection lost: reset"}, {}))
    assert got[0]["code"] is None
    assert got[0]["text"] == "connection lost: reset"
    assert verdict(got).pending == (TO, CC, BCC)  # CC and BCC got no answer at all: tried again
