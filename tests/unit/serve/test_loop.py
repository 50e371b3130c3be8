"""The sender pool: it delivers until shut down, on reused SMTP sessions, several senders never
send the same row, a pause is honoured, and a stop claims nothing more (no lease left behind)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.sending import FlushReport, RetryPolicy
from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.serve.loop import SenderPool, SenderWorker
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer, free_port


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


def test_each_sender_keeps_its_session_and_a_lost_reply_is_resent_under_the_same_message_id(
        sink: SmtpServer, tmp_path: Path, outbox_location: str) -> None:
    """Sessions are kept across messages (one per sender, a new one only after a drop); a 250
    lost after the final dot is sent again with the same Message-ID, counted, never as a new one
    (on both outbox backends)."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files", token=None,
                  policy=RetryPolicy(backoff_seconds=0.05))
    for i in range(30):
        svc.dispatcher().handle(sample_event(trigger="order_received", event_id=f"reuse-{i}"), deliver=False)
    sink.faults.add("DATA_END", "drop-accepted")  # kept by the server, the reply never arrives
    pool = SenderPool(svc, 3, interval=0.01, batch=4)
    opened: list[str] = []
    for w in pool.workers:
        def connect(server: ServerConfig, name: str = w.name) -> Connection:
            opened.append(name)
            return Connection(server)

        w._sender().connect = connect
    pool.start()
    try:
        got = sink.wait_for(31, timeout=60)
        assert pool.wait_for_a_full_pass(60)  # the last 250 is recorded too
        counts = svc.dispatcher().outbox.counts()
    finally:
        left = pool.shutdown(time.monotonic() + 10)
        svc.close()
    assert left == []
    ids = [m.message_id for m in got]
    assert len(ids) == 31 and len(set(ids)) == 30  # all 30, one of them twice, none under a new id
    assert counts["sent"] == 30 and counts["ambiguous_redeliveries"] == 1
    assert len(opened) <= len(pool.workers) + 1, opened  # not a session per message


def test_a_pause_is_logged_once_for_the_whole_pool(service: Service,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    """Every sender meets the same pause: the log said it once per sender (four lines)."""
    service.dispatcher().outbox.pause(time.time() + 60, "authentication failed")
    pool = SenderPool(service, 4, interval=0.05).start()
    try:
        assert pool.wait_for_a_full_pass(10)
        assert pool.wait_for_a_full_pass(10)  # every sender has met the pause at least once
    finally:
        pool.shutdown(time.monotonic() + 5)
    said = [line for line in capfd.readouterr().err.splitlines() if "authentication failed" in line]
    assert len(said) == 1, said


def test_the_log_never_says_running_while_a_sender_still_fails(capfd: pytest.CaptureFixture[str]) -> None:
    """Logged once per problem, the pool's log must not read "running" after one sender recovered
    while another still cannot reach the server."""
    from mailgitops.serve.loop import _Said

    said = _Said()
    said.changed("sender-1", "connection refused")
    said.changed("sender-2", "connection refused")  # the same problem: not said again
    said.changed("sender-1", None)  # sender-2 still fails: not "running" yet
    assert capfd.readouterr().err.splitlines() == ["mailgitops serve: sender-1: connection refused"]
    said.changed("sender-2", None)
    assert capfd.readouterr().err.splitlines() == ["mailgitops serve: senders: running"]


def test_a_server_that_cannot_be_reached_is_logged_until_it_is_reached_again(
        tmp_path: Path, outbox_location: str, capfd: pytest.CaptureFixture[str]) -> None:
    """The log said only "sent 0, retry 1", never why nor that it went on; now the reason once for
    the pool, never "running" while the message waits out its backoff, and "running" once sent."""
    port = free_port()  # nothing listens there yet: the server is down
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files", token=None,
                  policy=RetryPolicy(backoff_seconds=2))
    svc.dispatcher().handle(sample_event(trigger="order_received", event_id="down-1"), deliver=False)
    pool = SenderPool(svc, 2, interval=0.05).start()
    srv: SmtpServer | None = None
    try:
        for _ in range(4):  # the failed try, then passes with nothing due (the backoff)
            assert pool.wait_for_a_full_pass(20)
        down = [line for line in capfd.readouterr().err.splitlines() if "sent 0" not in line]
        srv = SmtpServer(port).start()
        assert len(srv.wait_for(1, timeout=20)) == 1
        assert pool.wait_for_a_full_pass(20)
        back = capfd.readouterr().err.splitlines()
    finally:
        pool.shutdown(time.monotonic() + 5)
        svc.close()
        if srv is not None:
            srv.stop()
    assert len(down) == 1, down
    assert "cannot reach the SMTP server" in down[0] and "refused the connection" in down[0]
    assert any(line.endswith(": running") for line in back), back
