"""What serve's sender pool does besides sending, as `outbox flush` does it and the docs promise:
an authentication pause ends by itself once the password file holds a new password, the retention
setting drops old bodies, and rows a dead process on this machine left `sending` are sent at once
by a `serve` that is already running (not after their 15-minute lease). On both outbox backends."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch import lease, sender
from mailgitops.serve.loop import SenderPool, SenderWorker
from mailgitops.serve.service import Service
from support.clock import ShiftedClock
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer

PASSWORD = "the-new-password-0123"


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    srv = SmtpServer(users={"printroom": PASSWORD}, auth_require_tls=False).start()
    yield srv
    srv.stop()


def _service(tmp_path: Path, port: int, outbox: str, auth: dict[str, Any] | None = None,
             events: int = 3) -> Service:
    svc = Service(build_bundle(make_repo(tmp_path / "repo", port=port, auth=auth)), outbox=outbox,
                  attachments_root=SAMPLES / "files", token=None)
    for i in range(events):
        svc.dispatcher().handle(sample_event(trigger="order_received", event_id=f"upkeep-{i}"), deliver=False)
    return svc


def test_a_rotated_password_file_ends_the_pause_without_an_event_or_a_restart(
        auth_server: SmtpServer, tmp_path: Path, outbox_location: str) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("the-old-password\n", encoding="utf-8")
    svc = _service(tmp_path, auth_server.port, outbox_location,
                   auth={"mode": "custom", "username": "printroom", "password_file": str(secret)})
    w = SenderWorker(svc, "sender-t", threading.Event())
    try:
        first = w.flush_once()  # the server refuses the old password: paused until it changes
        assert first.paused and "password" in first.paused
        tried = auth_server.logins
        assert w.flush_once().paused  # the same password: not tried again
        assert auth_server.logins == tried
        secret.write_text(PASSWORD + "\n", encoding="utf-8")  # the operator rotates the secret
        report = w.flush_once()
    finally:
        w.close()
        counts = svc.dispatcher().outbox.counts()
        paused = svc.dispatcher().sender.current_pause()
        svc.close()
    assert report.paused is None
    assert report.sent == 3
    assert len(auth_server.wait_for(3)) == 3
    assert counts["sent"] == 3
    assert paused is None  # /health and /metrics no longer say paused


def test_the_senders_apply_the_retention(sink: SmtpServer, tmp_path: Path, outbox_location: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _service(tmp_path, sink.port, outbox_location)
    clock = ShiftedClock().install(monkeypatch, sender)  # the sender's idea of now, not the outbox's
    w = SenderWorker(svc, "sender-t", threading.Event())
    try:
        assert w.flush_once().sent == 3
        clock.advance(91 * 86400.0)  # past the default retention (90 days) and the hourly limit
        w.flush_once()
        rows = svc.dispatcher().outbox.rows("sent")
    finally:
        w.close()
        svc.close()
    assert len(rows) == 3
    assert all(r.pruned_at is not None for r in rows)
    assert all(r.raw is None for r in rows)


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def test_rows_a_dead_process_on_this_machine_held_are_sent_by_the_running_pool(
        sink: SmtpServer, tmp_path: Path, outbox_location: str, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """The other `serve` on this machine was killed (-9) holding three rows: this one, already
    running, sends them now, the first counted ambiguous, and says so in its log."""
    svc = _service(tmp_path, sink.port, outbox_location)
    ob = svc.dispatcher().outbox
    dead = _dead_pid()
    with monkeypatch.context() as m:
        m.setattr(lease, "me", lambda: (lease.host(), dead, None))
        held = ob.claim(worker=f"{dead}-dead", lease_seconds=900, limit=8)
    assert len(held) == 3
    pool = SenderPool(svc, 2, interval=0.05).start()
    try:
        got = sink.wait_for(3, timeout=20)
        assert pool.wait_for_a_full_pass(10)
        counts = ob.counts()
    finally:
        pool.shutdown(time.monotonic() + 5)
        svc.close()
    assert sorted(m.message_id for m in got) == sorted(r.message_id for r in held)
    assert counts["sent"] == 3
    assert counts["ambiguous_redeliveries"] == 1  # only the one it may have been sending
    said = [line for line in capfd.readouterr().err.splitlines() if "recovered" in line]
    assert len(said) == 1 and "recovered 3 message(s)" in said[0], said


def test_a_password_rotated_on_one_machine_first_is_not_tried_again_from_the_other(
        tmp_path: Path, outbox_location: str) -> None:
    """Two machines on one outbox; the password is changed on the server and in machine A's file
    first, machine B's file a minute later. A sends; B, still with the old password, tries it
    once and then waits for its own file to change. (A lifted the shared pause at each pass, and
    B logged in with the old password again each time: a server that locks an account after a
    few failed logins locked the print room out.)"""
    srv = SmtpServer(users={"printroom": PASSWORD}, auth_require_tls=False).start()
    files = {name: tmp_path / f"{name}-password" for name in ("a", "b")}
    files["a"].write_text(PASSWORD, encoding="utf-8")
    files["b"].write_text("the-old-password", encoding="utf-8")
    svcs = {name: Service(build_bundle(make_repo(tmp_path / name, port=srv.port, auth={
        "mode": "custom", "username": "printroom", "password_file": str(f)})), outbox=outbox_location,
        attachments_root=SAMPLES / "files", token=None) for name, f in files.items()}
    workers = {name: SenderWorker(svc, f"sender-{name}", threading.Event()) for name, svc in svcs.items()}
    try:
        for i in range(6):
            for name in ("b", "a"):  # an event for each machine, then each machine's pass, B first
                event = sample_event(trigger="order_received", event_id=f"rot-{name}-{i}")
                svcs[name].dispatcher().handle(event, deliver=False)
            reports = {name: workers[name].flush_once() for name in ("b", "a")}
        refused = srv.refused_logins
        sent = len(srv.wait_for(12))
    finally:
        for w in workers.values():
            w.close()
        for svc in svcs.values():
            svc.close()
        srv.stop()
    assert refused == 1  # B's first try with the old password, and never again
    assert sent == 12  # A sent every message, B's included
    assert reports["b"].paused and reports["a"].paused is None


def test_an_outcome_the_outbox_could_not_take_is_recorded_once_it_is_back_and_not_sent_again(
        sink: SmtpServer, tmp_path: Path, outbox_location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox goes down (PostgreSQL stopped) right after the server said 250 for a message:
    the sender keeps the answer and records it when the outbox is back, and queues again the rows
    it had claimed and not tried. They stayed `sending` under the live process's lease, nothing
    was recorded, and 15 minutes later the message went out a second time."""
    from mailgitops.errors import ExitCode, MailgitopsError

    svc = _service(tmp_path, sink.port, outbox_location)
    ob = svc.dispatcher().outbox
    real = ob.update
    down = True

    def update(row_id: int, worker: str | None, **fields: Any) -> bool:
        if down:
            raise MailgitopsError("cannot use the outbox: no connection to the PostgreSQL server within 15 s",
                                  exit_code=ExitCode.TEMPORARY)
        return real(row_id, worker, **fields)

    monkeypatch.setattr(ob, "update", update)
    w = SenderWorker(svc, "sender-t", threading.Event())
    try:
        with pytest.raises(MailgitopsError):
            w.flush_once()  # the first message is accepted by the server, its record fails
        assert len(sink.messages) == 1
        with contextlib.suppress(MailgitopsError):
            w.flush_once()  # still down: nothing more is sent
        assert len(sink.messages) == 1
        down = False  # the outbox is back
        report = w.flush_once()
        counts = ob.counts()
    finally:
        w.close()
        svc.close()
    ids = [m.message_id for m in sink.messages]
    assert len(ids) == 3 and len(set(ids)) == 3  # every message once
    assert report.sent == 3
    assert counts["sent"] == 3 and counts["sending"] == 0
    assert counts["ambiguous_redeliveries"] == 0


def test_health_says_when_the_waiting_mail_is_tried_next(tmp_path: Path, outbox_location: str) -> None:
    """/health said how much waits and since when, not until when: after a failed try, the next
    one is after its backoff, and the person on call reads when."""
    from datetime import datetime

    from mailgitops.dispatch.sending import RetryPolicy
    from mailgitops.serve.monitor import _state
    from support.smtpd import free_port

    bundle = build_bundle(make_repo(tmp_path / "repo", port=free_port()))  # nothing listens: down
    svc = Service(bundle, outbox=outbox_location, attachments_root=SAMPLES / "files", token=None,
                  policy=RetryPolicy(backoff_seconds=600))
    svc.dispatcher().handle(sample_event(trigger="order_received", event_id="later-1"), deliver=False)
    w = SenderWorker(svc, "sender-t", threading.Event())
    try:
        assert _state(svc)["backlog"]["next_attempt_at"] is not None  # due now
        tried = time.time()
        assert w.flush_once().retry == 1
        backlog = _state(svc)["backlog"]
    finally:
        w.close()
        svc.close()
    assert backlog["depth"] == 1
    due = datetime.fromisoformat(backlog["next_attempt_at"]).timestamp()
    assert tried + 590 <= due <= time.time() + 610  # after the 600 s backoff, in UTC ISO 8601
