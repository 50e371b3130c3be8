"""The sender: backoff is configurable and honoured (serve's loop thread is tested in tests/unit/serve)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch import outbox_sqlite, sender
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox import Row
from mailgitops.dispatch.sender import IDLE_SECONDS
from mailgitops.dispatch.sending import RetryPolicy
from support.clock import ShiftedClock
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer


def test_retry_policy_from_env() -> None:
    p = RetryPolicy.from_env({"MAILGITOPS_RETRY_BACKOFF_SECONDS": "0.5",
                              "MAILGITOPS_MESSAGE_LIFETIME_SECONDS": "10"})
    assert (p.backoff_seconds, p.lifetime_seconds) == (0.5, 10)
    assert [p.delay(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert RetryPolicy(max_backoff_seconds=5).delay(30) == 5


def test_a_4xx_waits_for_its_backoff_then_goes_out_with_the_same_message_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ShiftedClock().install(monkeypatch, sender, outbox_sqlite)
    server = SmtpServer().start()
    try:
        server.faults.add("MAIL", "451 4.3.0 try later")
        bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
        policy = RetryPolicy(backoff_seconds=60, factor=2.0)
        with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                             policy=policy) as d:
            m = d.handle(sample_event(trigger="order_received", event_id="backoff")).to_json()["messages"][0]
            assert m["status"] == "queued"
            assert "451 4.3.0 try later" in m["reason"]
            row = d.outbox.get(m["outbox_id"])
            assert row is not None
            assert row.attempts == 1
            assert row.next_attempt_at == pytest.approx(row.created_at + 60, abs=5)
            clock.advance(55)
            assert d.flush().sent == 0  # not due yet: the backoff is honoured
            clock.advance(10)
            assert d.flush().sent == 1
        assert [r.message_id for r in server.wait_for(1)] == [m["message_id"]]
    finally:
        server.stop()


def test_an_idle_session_is_replaced_before_the_next_message(tmp_path: Path) -> None:
    """A server may have dropped a session left idle (RFC 5321 lets it after 5 minutes): the
    next message goes out on a fresh one instead of failing once and waiting for its backoff."""
    server = SmtpServer().start()
    try:
        bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
        with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                             policy=RetryPolicy(backoff_seconds=60)) as d:
            d.handle(sample_event(trigger="order_received", event_id="idle-1"))
            first = d.sender.conn
            d.handle(sample_event(trigger="order_received", event_id="idle-2"))
            assert d.sender.conn is first  # busy: the session is reused
            d.sender.last_used -= IDLE_SECONDS + 1
            m = d.handle(sample_event(trigger="order_received", event_id="idle-3")).to_json()["messages"][0]
            assert d.sender.conn is not first
            assert m["status"] == "sent"
        assert len(server.wait_for(3)) == 3
    finally:
        server.stop()


def _claims_of_a_flush(tmp_path: Path, server: SmtpServer, events: int) -> list[int]:
    """The sizes a flush asked for, claim after claim, with `events` messages queued."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files") as d:
        for i in range(events):
            d.handle(sample_event(trigger="order_received", event_id=f"pace-{i}"), deliver=False)
        asked: list[int] = []
        claim = d.outbox.claim

        def counting(**kw: Any) -> list[Row]:
            asked.append(kw["limit"])
            return claim(**kw)

        d.outbox.claim = counting  # type: ignore[method-assign]
        assert d.flush().sent == events
    assert len(server.wait_for(events)) == events
    return asked


def test_a_claim_is_about_a_quarter_second_of_sending_at_the_pace_so_far() -> None:
    """BATCH rows until a pace is known; then CLAIM_SECONDS of sending, between BATCH and MAX_BATCH."""
    assert sender.claim_size(None) == sender.BATCH
    for pace, rows in ((0.01, 25), (0.001, sender.MAX_BATCH), (0.04, sender.BATCH), (0.0, sender.MAX_BATCH)):
        assert sender.claim_size(pace) == rows, pace


def test_a_flush_to_a_quick_server_claims_many_rows_at_once(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each claim is a durable commit: once the pace is known, a quick server gets more than
    ten rows a claim (at most MAX_BATCH). A claim of ten seconds of sending makes "quick" any
    pace under 0.1 s a message, so the count holds on a loaded machine too."""
    monkeypatch.setattr(sender, "CLAIM_SECONDS", 10.0)
    server = SmtpServer().start()
    try:
        asked = _claims_of_a_flush(tmp_path, server, 40)
    finally:
        server.stop()
    assert asked[0] == sender.BATCH
    assert max(asked) > sender.BATCH
    assert max(asked) <= sender.MAX_BATCH
    assert len(asked) == 2  # ten, then the thirty left in one claim


def test_a_flush_to_a_slow_server_keeps_its_claims_small(tmp_path: Path) -> None:
    """A server that takes 40 ms a message: ten rows a claim, the rest left for other instances."""
    server = SmtpServer().start()
    server.faults.delay = 0.04
    try:
        asked = _claims_of_a_flush(tmp_path, server, 25)
    finally:
        server.stop()
    assert asked == [sender.BATCH] * 3


def test_the_python_api_takes_the_outbox_as_a_path_as_it_takes_the_bundle(tmp_path: Path) -> None:
    """An order system's code passes pathlib.Path for every file; the outbox had to be a str
    ('PosixPath' object has no attribute 'recover')."""
    server = SmtpServer().start()
    try:
        bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
        box = tmp_path / "box.sqlite"
        with Dispatcher.load(bundle, outbox=box, attachments_root=SAMPLES / "files") as d:
            m = d.handle(sample_event(trigger="order_received", event_id="as-path")).to_json()["messages"][0]
            assert m["status"] == "sent"
        assert box.is_file()  # the file named, not the default one in the working folder
    finally:
        server.stop()
