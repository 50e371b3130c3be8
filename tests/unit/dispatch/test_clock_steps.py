"""The machine's clock stepped back (NTP correcting a clock that ran ahead, a real-time clock kept
in local time): the outbox's waits are wall-clock moments, shared by processes and machines, so
each wait is bounded by what the policy makes, never stretched by the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.dispatch import outbox_sqlite, outbox_sqlite_upkeep, sender
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.sending import RetryPolicy
from support.clock import ShiftedClock
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer

TWO_HOURS = 2 * 3600.0


@pytest.fixture
def server() -> SmtpServer:
    srv = SmtpServer().start()
    yield srv  # type: ignore[misc]
    srv.stop()


def _clock(monkeypatch: pytest.MonkeyPatch) -> ShiftedClock:
    return ShiftedClock().install(monkeypatch, sender, outbox_sqlite, outbox_sqlite_upkeep)


def test_a_backoff_is_not_stretched_by_a_clock_set_back(tmp_path: Path, server: SmtpServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 60 s backoff, then the clock set back two hours: it went out two hours late."""
    clock = _clock(monkeypatch)
    server.faults.add("MAIL", "451 4.3.0 try later")
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=60)) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="step-back")).to_json()["messages"][0]
        assert m["status"] == "queued"
        clock.step_wall(-TWO_HOURS)
        assert d.flush().sent == 0  # a backoff is still honoured: one whole backoff from now
        clock.advance(65)
        assert d.flush().sent == 1
    assert [r.message_id for r in server.wait_for(1)] == [m["message_id"]]


def test_a_pause_is_not_stretched_by_a_clock_set_back(tmp_path: Path, server: SmtpServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _clock(monkeypatch)
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    policy = RetryPolicy(pause_seconds=300)
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=policy) as d:
        d.handle(sample_event(trigger="order_received", event_id="paused"), deliver=False)
        d.outbox.pause(clock.time() + 300, "the server's certificate could not be checked")
        clock.step_wall(-TWO_HOURS)
        report = d.flush()
        assert (report.sent, report.paused) == (0, "the server's certificate could not be checked")
        clock.advance(305)
        assert d.flush().sent == 1


def test_a_clock_set_forward_keeps_every_wait(tmp_path: Path, server: SmtpServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is rescheduled when the times ahead are ones the policy makes."""
    clock = _clock(monkeypatch)
    server.faults.add("MAIL", "451 4.3.0 try later")
    bundle = build_bundle(make_repo(tmp_path / "repo", port=server.port))
    with Dispatcher.load(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=600)) as d:
        m = d.handle(sample_event(trigger="order_received", event_id="kept")).to_json()["messages"][0]
        row = d.outbox.get(m["outbox_id"])
        assert row is not None and row.next_attempt_at is not None
        clock.step_wall(30)
        assert d.flush().sent == 0
        after = d.outbox.get(m["outbox_id"])
        assert after is not None and after.next_attempt_at == row.next_attempt_at
