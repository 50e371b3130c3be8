"""The sender pool: it delivers until shut down, on reused SMTP sessions, several senders never
send the same row, a pause is honoured, and a stop claims nothing more (no lease left behind)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.sender import FlushReport
from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.serve.loop import SenderPool, SenderWorker
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer


@pytest.fixture
def service(sink: SmtpServer, tmp_path: Path, outbox_location: str) -> Iterator[Service]:
    """Three queued messages on each backend (a SQLite file, a fresh PostgreSQL database)."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files", token=None)
    for i in range(3):
        svc.dispatcher().handle(sample_event(trigger="order_received", event_id=f"loop-{i}"), deliver=False)
    yield svc
    svc.close()


def worker(service: Service, stop: threading.Event | None = None, batch: int = 8) -> SenderWorker:
    return SenderWorker(service, "sender-t", stop or threading.Event(), batch=batch)


def test_a_pass_sends_what_is_due_on_one_session(service: Service, smtp_server: SmtpServer) -> None:
    w = worker(service)
    sender = w._sender()
    opened: list[object] = []

    def connect(server: ServerConfig) -> Connection:
        opened.append(server)
        return Connection(server)

    sender.connect = connect
    try:
        report = w.flush_once()
        assert report.sent == 3
        assert len(smtp_server.wait_for(3)) == 3
        assert service.dispatcher().outbox.counts()["sent"] == 3
        assert len(opened) == 1  # one SMTP session for all three
    finally:
        w.close()


def test_a_pause_is_honoured(service: Service, smtp_server: SmtpServer) -> None:
    service.dispatcher().outbox.pause(time.time() + 60, "authentication failed")
    w = worker(service)
    try:
        report = w.flush_once()
    finally:
        w.close()
    assert report.paused == "authentication failed"
    assert report.sent == 0
    assert service.dispatcher().outbox.counts()["queued"] == 3
    assert smtp_server.messages == []


def test_a_stop_claims_nothing_more(service: Service, smtp_server: SmtpServer) -> None:
    stop = threading.Event()
    stop.set()
    w = worker(service, stop)
    try:
        assert w.flush_once().sent == 0
    finally:
        w.close()
    counts = service.dispatcher().outbox.counts()
    assert counts["queued"] == 3
    assert counts["sending"] == 0
    assert smtp_server.messages == []


def test_claimed_rows_not_started_at_a_stop_go_back_untouched(service: Service,
                                                              smtp_server: SmtpServer) -> None:
    stop = threading.Event()
    w = worker(service, stop)
    sender = w._sender()
    rows = sender.outbox.claim(worker=sender.worker, lease_seconds=60, limit=8)
    assert len(rows) == 3
    stop.set()
    try:
        assert w._deliver(sender, rows, FlushReport()) is False
    finally:
        w.close()
    back = service.dispatcher().outbox.rows("queued")
    assert [r.attempts for r in back] == [0, 0, 0]
    assert smtp_server.messages == []


def test_the_pool_delivers_each_message_once_and_stops_cleanly(service: Service,
                                                              smtp_server: SmtpServer) -> None:
    for i in range(3, 40):
        service.dispatcher().handle(sample_event(trigger="order_received", event_id=f"loop-{i}"),
                                    deliver=False)
    pool = SenderPool(service, 4, interval=0.01, batch=4).start()
    try:
        got = smtp_server.wait_for(40)
    finally:
        left = pool.shutdown(time.monotonic() + 10)
    assert left == []
    assert not any(w.thread.is_alive() for w in pool.workers)
    assert len({m.message_id for m in got}) == 40
    assert len(smtp_server.messages) == 40
    counts = service.dispatcher().outbox.counts()
    assert counts["sent"] == 40
    assert counts["sending"] == 0
    assert counts["ambiguous_redeliveries"] == 0
    assert all(w.sender is None for w in pool.workers)  # every session was closed at the stop
