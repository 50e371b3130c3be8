"""A new bundle deployed while mail made with the previous one still waits (queued behind a slow
server, or a draft an operator has not sent): `outbox list`, GET /outbox and the drafts list name
the bundle that made each message, so the person on call can tell the old bundle's mail from the
new one's. On both backends."""

from __future__ import annotations

from pathlib import Path

from mailgitops.dispatch import drafts
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox import listing
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import free_port


def test_each_message_names_the_bundle_that_made_it(tmp_path: Path, outbox_location: str) -> None:
    port = free_port()
    old = build_bundle(make_repo(tmp_path / "old", port=port), tmp_path / "old.json")
    repo = make_repo(tmp_path / "new", port=port)
    en = repo / "templates" / "order-received" / "en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("has been received", "is in"), encoding="utf-8")
    new = build_bundle(repo, tmp_path / "new.json")
    ob = open_outbox(outbox_location)
    try:
        before = Dispatcher.load(old, outbox=ob, attachments_root=SAMPLES / "files", delivery="production")
        before.handle(sample_event(trigger="order_received", event_id="made-before"), deliver=False)
        before.handle(sample_event(trigger="quotation", event_id="draft-before"), deliver=False)
        after = Dispatcher.load(new, outbox=ob, attachments_root=SAMPLES / "files", delivery="production")
        after.handle(sample_event(trigger="order_received", event_id="made-after"), deliver=False)
        assert before.bundle.hash != after.bundle.hash
        made = {m["event_id"]: m["bundle_hash"] for m in listing(ob, None, 100)["messages"]}
        waiting = drafts.list_drafts(ob)
    finally:
        ob.close()
    assert made == {"made-before": before.bundle.hash, "draft-before": before.bundle.hash,
                    "made-after": after.bundle.hash}
    assert [(d["event_id"], d["bundle_hash"]) for d in waiting] == [("draft-before", before.bundle.hash)]
