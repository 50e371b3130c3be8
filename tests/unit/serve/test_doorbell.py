"""The sender pool's doorbell: an accepted event makes one sender pass, not one per sender, and
a ring is never lost (a sender busy when it came makes the pass afterwards)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from mailgitops.serve.doorbell import Doorbell
from mailgitops.serve.loop import SenderPool
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer


def test_a_ring_with_nobody_waiting_is_kept_for_the_next_sender() -> None:
    bell = Doorbell(limit=4)
    bell.set()
    assert bell.is_set()
    assert bell.wait(0) is True  # taken at once, no waiting
    assert bell.wait(0) is False  # one ring, one pass
    assert not bell.is_set()


def test_what_is_owed_never_exceeds_one_pass_per_sender() -> None:
    bell = Doorbell(limit=2)
    for _ in range(50):  # fifty events accepted while both senders were busy
        bell.set()
    assert [bell.wait(0) for _ in range(3)] == [True, True, False]


def test_a_ring_wakes_one_waiting_sender_and_ring_all_wakes_every_one() -> None:
    bell = Doorbell(limit=3)
    woke: list[bool] = []
    lock = threading.Lock()

    def sender() -> None:
        got = bell.wait(2.0)
        with lock:
            woke.append(got)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.1)  # all three waiting
    bell.set()
    deadline = time.monotonic() + 1.0
    while not woke and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
    assert woke == [True]  # one sender for one ring; the other two still wait
    bell.ring_all()
    for t in threads:
        t.join(2.0)
    assert woke == [True, True, True]


def _passes(pool: SenderPool) -> int:
    return sum(w.passes for w in pool.workers)


def test_an_event_accepted_makes_one_sender_pass_not_four(tmp_path: Path, sink: SmtpServer) -> None:
    """Each pass reads the outbox; four of them for every event accepted, three finding nothing,
    took the CPU the accepting thread and the sending one needed."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    service = Service(bundle, outbox=str(tmp_path / "box.sqlite"), attachments_root=SAMPLES / "files",
                      token=None)
    pool = SenderPool(service, 4, interval=60.0).start()  # no timer pass during the test
    try:
        assert pool.wait_for_a_full_pass(10)
        time.sleep(0.2)
        before = _passes(pool)
        service.dispatcher().handle(sample_event(trigger="order_received", event_id="bell-1"), deliver=False)
        service.wake.set()  # what POST /events does
        deadline = time.monotonic() + 10
        while service.dispatcher().outbox.counts()["sent"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert service.dispatcher().outbox.counts()["sent"] == 1
        time.sleep(0.3)
        assert _passes(pool) - before == 1
    finally:
        assert pool.shutdown(time.monotonic() + 10) == []
        service.close()


def test_a_burst_rung_once_is_shared_by_several_senders(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """Forty messages queued and one ring (a retry of many, another instance's notice): the sender
    that finds a full batch rings for another, so they go out over several sessions at once rather
    than one after another on one session while the other senders sleep."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=smtp_server.port))
    service = Service(bundle, outbox=str(tmp_path / "box.sqlite"), attachments_root=SAMPLES / "files",
                      token=None)
    pool = SenderPool(service, 4, interval=60.0).start()
    smtp_server.faults.delay = 0.02  # a server that takes its time over each message
    try:
        deadline = time.monotonic() + 10
        while any(w.passes < 1 for w in pool.workers) and time.monotonic() < deadline:
            time.sleep(0.01)  # each sender's first pass, at its start, found nothing
        before, had = smtp_server.handler.ehlos, len(smtp_server.messages)
        for i in range(40):
            service.dispatcher().handle(sample_event(trigger="order_received", event_id=f"burst-{i}"),
                                        deliver=False)
        service.wake.set()  # one ring for all forty
        assert len(smtp_server.wait_for(had + 40, timeout=30)) == had + 40
        assert smtp_server.handler.ehlos - before >= 2  # more than one session took a share
    finally:
        smtp_server.faults.delay = 0.0
        assert pool.shutdown(time.monotonic() + 10) == []
        service.close()
