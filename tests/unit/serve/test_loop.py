"""The sender loop: it delivers until shut down, a pause is honoured, and a stop claims nothing
more (no lease left behind)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.serve.loop import SenderLoop
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer


@pytest.fixture
def service(sink: SmtpServer, tmp_path: Path) -> Iterator[Service]:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    svc = Service(bundle, outbox=str(tmp_path / "o.sqlite"), attachments_root=SAMPLES / "files", token=None)
    for i in range(3):
        svc.dispatcher().handle(sample_event(trigger="order_received", event_id=f"loop-{i}"), deliver=False)
    yield svc
    svc.close()


def test_a_pass_sends_what_is_due(service: Service, smtp_server: SmtpServer) -> None:
    report = SenderLoop(service).flush_once()
    assert report.sent == 3
    assert len(smtp_server.wait_for(3)) == 3
    assert service.dispatcher().outbox.counts()["sent"] == 3


def test_a_pause_is_honoured(service: Service, smtp_server: SmtpServer) -> None:
    service.dispatcher().outbox.pause(time.time() + 60, "authentication failed")
    report = SenderLoop(service).flush_once()
    assert report.paused == "authentication failed"
    assert report.sent == 0
    assert service.dispatcher().outbox.counts()["queued"] == 3
    assert smtp_server.messages == []


def test_a_stop_claims_nothing_more(service: Service, smtp_server: SmtpServer) -> None:
    loop = SenderLoop(service)
    loop.stop.set()
    assert loop.flush_once().sent == 0
    counts = service.dispatcher().outbox.counts()
    assert counts["queued"] == 3
    assert counts["sending"] == 0
    assert smtp_server.messages == []


def test_the_thread_delivers_what_is_queued_and_stops_cleanly(service: Service,
                                                              smtp_server: SmtpServer) -> None:
    loop = SenderLoop(service, interval=0.01).start()
    try:
        assert len(smtp_server.wait_for(3)) == 3
    finally:
        loop.shutdown()
    assert not loop.thread.is_alive()
    counts = service.dispatcher().outbox.counts()
    assert counts["sent"] == 3
    assert counts["sending"] == 0
    assert service.dispatcher().sender.conn is None  # the connection was closed at the stop
