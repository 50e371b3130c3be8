"""The machine's clock stepped back (NTP correcting a clock that ran ahead, a real-time clock kept
in local time): the outbox's waits are wall-clock moments, shared by processes and machines, so
each wait is bounded by what the policy makes, never stretched by the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.dispatch import outbox_sqlite, outbox_sqlite_upkeep, sender, sending
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
    return ShiftedClock().install(monkeypatch, sender, sending, outbox_sqlite, outbox_sqlite_upkeep)


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


def test_each_backend_starts_again_from_now_the_waits_a_set_back_clock_made(outbox_location: str) -> None:
    """On SQLite and PostgreSQL alike: a retry time and a pause end beyond anything the policy
    makes become one backoff and one pause from now; a wait within the policy is kept."""
    import time

    from mailgitops.dispatch.outbox import NewMessage, StoredEvent
    from mailgitops.dispatch.outbox_backends import open_outbox
    from mailgitops.dispatch.sending import clock_set_back

    def msg(n: int) -> NewMessage:
        return NewMessage("customer", "en", "order-received", f"<c{n}@example.com>", "p@example.com",
                          ("a@example.org",), (), b"raw", None, "queued")

    ob = open_outbox(outbox_location)
    try:
        policy = RetryPolicy(backoff_seconds=60, max_backoff_seconds=3600, pause_seconds=300)
        far, kept = ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}, {"row": 1}]), [msg(1), msg(2)])
        now = time.time()
        ob.update(far, None, next_attempt_at=now + TWO_HOURS + 60, attempts=1)
        ob.update(kept, None, next_attempt_at=now + 600, attempts=3)
        ob.pause(now + TWO_HOURS + 300, "the server's certificate could not be checked")
        # the earliest wait (10 minutes) is one the policy makes, and both were accepted before now:
        # nothing in the outbox shows a step
        assert clock_set_back(ob, policy, now) == 0
        assert clock_set_back(ob, policy, now, seen=True) == 1  # a process saw its clock go back
        moved, same = ob.get(far), ob.get(kept)
        assert moved is not None and moved.next_attempt_at == pytest.approx(now + 60)
        assert same is not None and same.next_attempt_at == pytest.approx(now + 600)
        pause = ob.paused()
        assert pause is not None and pause.until == pytest.approx(now + 300)
        assert pause.reason == "the server's certificate could not be checked"
        assert clock_set_back(ob, policy, now, seen=True) == 0  # nothing more to move
    finally:
        ob.close()


def test_a_process_sees_its_clock_set_back_but_not_time_going_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgitops.dispatch.sending import WallWatch

    clock = ShiftedClock().install(monkeypatch, sending)
    watch = WallWatch()
    clock.advance(3600)  # an hour goes by: both clocks move
    assert not watch.set_back()
    clock.step_wall(30)  # set forward: waits end early, nothing to correct
    assert not watch.set_back()
    clock.step_wall(-TWO_HOURS)
    assert watch.set_back()
    assert not watch.set_back()  # seen once


def test_a_flush_after_the_clock_was_set_back_sees_it_from_the_newest_message(outbox_location: str) -> None:
    """A `flush` run from cron did not see the step happen: the newest message, accepted "later"
    than now, shows it, and every wait the old clock made too long starts again from now."""
    import time

    from mailgitops.dispatch.outbox import NewMessage, StoredEvent
    from mailgitops.dispatch.outbox_backends import open_outbox
    from mailgitops.dispatch.sending import clock_set_back

    ob = open_outbox(outbox_location)
    try:
        policy = RetryPolicy(backoff_seconds=60, max_backoff_seconds=3600)
        made = [NewMessage("customer", "en", "order-received", f"<n{n}@example.com>", "p@example.com",
                           ("a@example.org",), (), b"raw", None, "queued") for n in (1, 2)]
        far, kept = ob.record_event(StoredEvent("e2", "h2", "b", [{"row": 0}, {"row": 1}]), made)
        then = time.time()  # the clock when they were accepted; now it reads two hours less
        now = then - TWO_HOURS
        ob.update(far, None, next_attempt_at=then + 3000, attempts=5)  # 50 minutes + two hours away
        ob.update(kept, None, next_attempt_at=now + 600, attempts=1)  # made after the step
        assert clock_set_back(ob, policy, now) == 1
        moved = ob.get(far)
        assert moved is not None and moved.next_attempt_at == pytest.approx(now + policy.delay(5))
    finally:
        ob.close()
