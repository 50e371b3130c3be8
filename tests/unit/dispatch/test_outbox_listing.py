"""`outbox list` and GET /outbox say, for each message being sent, which machine and process hold
it and until when: with two instances on one outbox, the person on call sees which one is sending
what, and when a row held by a machine that went away is taken over by another. On both backends."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from mailgitops.dispatch import lease
from mailgitops.dispatch.outbox import NewMessage, Outbox, StoredEvent, listing
from mailgitops.dispatch.outbox_backends import open_outbox


@pytest.fixture
def ob(outbox_location: str) -> Iterator[Outbox]:
    got = open_outbox(outbox_location)
    yield got
    got.close()


def test_a_message_being_sent_names_its_machine_process_and_lease(ob: Outbox) -> None:
    msgs = [NewMessage("customer", "en", "t", f"<held-{i}@x>", "p@example.com", (f"r{i}@example.org",), (),
                       b"Subject: hi\r\n\r\nhello\r\n") for i in range(2)]
    ob.record_event(StoredEvent("held", "h", "sha256:b", [{"row": 0}, {"row": 1}]), msgs)
    before = time.time()
    [claimed] = ob.claim(worker="w-1", lease_seconds=900, limit=1)
    listed = {m["id"]: m for m in listing(ob, None, 10)["messages"]}
    held = listed[claimed.id]
    assert held["status"] == "sending"
    assert held["held_by"]["host"] == lease.host()
    assert held["held_by"]["pid"] == os.getpid()
    until = datetime.fromisoformat(held["held_by"]["until"]).timestamp()
    assert before + 899 <= until <= time.time() + 901  # when another instance may take it over
    [other] = [m for i, m in listed.items() if i != claimed.id]
    assert other["status"] == "queued"
    assert other["held_by"] is None
