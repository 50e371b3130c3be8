"""The draft a held message carries: the JSON outboxes already hold reads back unchanged on both
backends, a damaged record is read as a row marked damaged and is one clear error naming its
message for a command on it (never a KeyError), and a damaged record does not stop the sender."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mailgitops.dispatch import drafts
from mailgitops.dispatch.draft_shape import AttachmentRef, Draft, Redirected
from mailgitops.dispatch.outbox import NewMessage, Outbox, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.errors import MailgitopsError

# A draft as outboxes store it today: what the dispatcher wrote for a shop's quotation made in
# redirect mode, after an operator attached a file, edited and sent it (the change record)
STORED: dict[str, Any] = {
    "subject": "Your quotation PO-1001", "markdown": "Dear Ada,\n\nthe price is 1,000.00 EUR.\n",
    "sender": ["print@example.com", "Example Print"], "to": [["Ada Lovelace", "ada@example.org"]],
    "printroom": {"name": "Example Print", "email": "print@example.com", "timezone": "Europe/Berlin"},
    "attachments": [{"kind": "document", "path": "quotes/PO-1001.pdf"}], "bundle_hash": "ab12",
    "trigger": "quotation", "order_number": "PO-1001", "customer": "Ada Lovelace", "reply_to": None,
    "webshop": {"id": "flyershop", "name": "Flyer Shop"},
    "redirected_from": {"to": [["Ada Lovelace", "ada@example.org"]], "cc": ["boss@example.org"]},
    "operator_attachments": ["console-uploads/7/0a1b/price list.pdf"],
    "original": {"subject": "Your quotation PO-1001", "markdown": "Dear Ada,\n", "cc": [],
                 "attachments": []},
    "history": [{"who": "li", "when": 1764500000.5, "what": "attached a file", "fields": ["attachments"],
                 "attached": ["price list.pdf"]},
                {"who": "li", "when": 1764500100, "what": "sent the email", "fields": ["body"]}],
    "diff": [{"field": "body", "lines": [{"kind": "del", "text": "Dear Ada,"},
                                         {"kind": "add", "text": "Dear Ada Lovelace,"}]}],
    "sent_by": "li",
}
# what the dispatcher wrote before any edit, without a shop or a redirect
PLAIN: dict[str, Any] = {k: STORED[k] for k in (
    "subject", "markdown", "sender", "to", "printroom", "attachments", "bundle_hash", "trigger",
    "order_number", "customer", "reply_to")}


@pytest.fixture
def ob(outbox_location: str) -> Iterator[Outbox]:
    got = open_outbox(outbox_location)
    yield got
    got.close()


def _held(ob: Outbox, n: int = 1) -> int:
    """A draft row; the tests then overwrite its record with raw JSON through update()."""
    draft = Draft("s", "m", ("print@example.com", None), ((None, "ada@example.org"),))
    msg = NewMessage("customer", "en", "quotation", f"<d{n}@example.com>", "print@example.com",
                     ("ada@example.org",), (), None, draft, "draft")
    [row_id] = ob.record_event(StoredEvent(f"e{n}", "h", "b", [{"row": 0}]), [msg])
    return row_id


@pytest.mark.parametrize("stored", [STORED, PLAIN], ids=["edited-and-sent", "as-dispatched"])
def test_a_draft_stored_in_todays_json_reads_back(ob: Outbox, stored: dict[str, Any]) -> None:
    row_id = _held(ob)
    assert ob.update(row_id, None, draft=stored)
    row = ob.get(row_id)
    assert row is not None
    assert row.draft is not None
    assert row.draft.to_json() == stored  # read and written again: the same JSON, nothing dropped
    if stored is STORED:
        d = row.draft
        assert d.sender == ("print@example.com", "Example Print")
        assert d.to == (("Ada Lovelace", "ada@example.org"),)
        assert d.attachments == (AttachmentRef("document", "quotes/PO-1001.pdf"),)
        assert d.redirected_from == Redirected((("Ada Lovelace", "ada@example.org"),), ("boss@example.org",))
        assert [h.what for h in d.history] == ["attached a file", "sent the email"]
        assert d.history[0].attached == ("price list.pdf",)
        assert d.history[1].when == 1764500100.0
        assert d.diff[0].lines[1].text == "Dear Ada Lovelace,"
        assert d.webshop == {"id": "flyershop", "name": "Flyer Shop"}


def test_an_older_draft_without_the_newer_keys_reads_with_their_defaults() -> None:
    older = {"subject": "s", "markdown": "m", "sender": ["p@example.com", None],
             "to": [[None, "a@example.org"]]}
    d = Draft.from_json(older)
    assert (d.printroom, d.attachments, d.trigger, d.order_number, d.reply_to) == ({}, (), None, None, None)
    assert d.webshop is None
    assert d.redirected_from is None
    assert d.operator_attachments == ()
    assert d.history == ()


def test_keys_this_version_does_not_know_are_kept() -> None:
    newer = {**PLAIN, "approved_by": {"name": "Grace"}}
    assert Draft.from_json(newer).to_json() == newer


@pytest.mark.parametrize(("change", "named"), [
    ({"subject": None}, "`subject` must be text"),
    ({"markdown": ...}, "`markdown` is missing"),
    ({"to": "ada@example.org"}, "`to` must be a list"),
    ({"to": [["Ada", "ada@example.org", "x"]]}, "`to[0]` must be [display name or null, address]"),
    ({"sender": "print@example.com"}, "`sender` must be [address, display name or null]"),
    ({"attachments": [{"kind": "document"}]}, "`attachments[0].path` is missing"),
    ({"printroom": ["Example Print"]}, "`printroom` must be a JSON object"),
    ({"operator_attachments": ["a.pdf", 3]}, "`operator_attachments` must be a list of text"),
    ({"history": [{"who": "li", "when": "yesterday", "what": "edited", "fields": []}]},
     "`history[0].when` must be a time in seconds"),
    ({"diff": [{"field": "body", "lines": [{"kind": "changed", "text": "x"}]}]},
     '`diff[0].lines[0].kind` must be "same", "del" or "add"'),
    ({"redirected_from": {"cc": []}}, "`redirected_from.to` is missing"),
])
def test_a_damaged_draft_is_one_clear_error_naming_its_message(ob: Outbox, change: dict[str, Any],
                                                               named: str) -> None:
    row_id = _held(ob)
    damaged = copy.deepcopy(STORED)
    for key, value in change.items():
        if value is ...:
            del damaged[key]
        else:
            damaged[key] = value
    ob.update(row_id, None, draft=damaged)
    # every read still gives the row, marked; the command on it gets the error (drafts.draft_of)
    reads = (lambda: ob.get(row_id), lambda: ob.rows("draft")[0], lambda: ob.find_message("<d1@example.com>"))
    for read in reads:
        row = read()
        assert row is not None
        assert row.draft is None
        assert row.draft_problem == named
        with pytest.raises(MailgitopsError) as got:
            drafts.draft_of(row)
        assert got.value.message == (f"the draft stored for outbox message {row_id} (<d1@example.com>) "
                                     f"is damaged: {named}")
        assert got.value.hint is not None


def test_a_draft_that_is_not_json_at_all_is_the_same_clear_error(tmp_path: Any) -> None:
    path = tmp_path / "o.sqlite"
    ob = open_outbox(str(path))
    try:
        row_id = _held(ob)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE messages SET draft_json=? WHERE id=?", ('{"subject": "cut off', row_id))
        row = ob.get(row_id)
        assert row is not None
        with pytest.raises(MailgitopsError, match=rf"message {row_id} \(<d1@example.com>\) is damaged: "
                                                  "it is not JSON"):
            drafts.draft_of(row)
    finally:
        ob.close()


def test_a_damaged_change_record_does_not_stop_the_sender(ob: Outbox) -> None:
    """The sender needs only the bytes: a sent draft's record, damaged afterwards, is not read
    when its row (or any other) is claimed."""
    row_id = _held(ob)
    assert ob.queue_draft(row_id, b"Subject: s\r\n\r\nm\r\n", ["ada@example.org"], [])
    ob.update(row_id, None, draft={"subject": 5})
    [claimed] = ob.claim(worker="w", lease_seconds=60, limit=10)
    assert claimed.id == row_id
    assert claimed.raw == b"Subject: s\r\n\r\nm\r\n"
