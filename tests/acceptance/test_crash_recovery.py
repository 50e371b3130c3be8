"""kill -9 during delivery: the row the dead process left `sending` is recovered by the next
dispatcher, serve or flush at once (not after the 15-minute lease), sent again with the same
Message-ID, and counted as an ambiguous redelivery in the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox
from support.dispatchrepo import MAILGITOPS, build_bundle, cli, make_repo, sample_event, write_event
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("crash") / "repo", port=smtp_server.port))


def test_a_dispatcher_killed_after_its_final_dot_is_recovered_by_the_next_flush(
        sink: SmtpServer, bundle: Path, tmp_path: Path) -> None:
    sink.faults.add("DATA_END", "stall")  # the server holds its reply: the client is mid-delivery
    ob = str(tmp_path / "o.sqlite")
    event = write_event(tmp_path, sample_event(trigger="order_received", event_id="killed"))
    proc = subprocess.Popen([*MAILGITOPS, "dispatch", "--bundle", str(bundle), "--event", str(event),
                             "--outbox", ob], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert sink.faults.stalled.wait(60), "the dispatcher never reached the final dot"
    finally:
        proc.kill()  # SIGKILL: no clean-up of any kind
        proc.wait()
    sink.faults.release.set()
    left = SqliteOutbox(ob)
    [row] = left.rows()
    left.close()
    assert row.status == "sending"  # under a 15-minute lease held by a process that is gone
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob)
    summary = json.loads(flushed.stdout)
    assert flushed.returncode == 0, flushed.stderr
    assert (summary["recovered"], summary["sent"], summary["ambiguous_redeliveries"]) == (1, 1, 1)
    assert "ambiguous redeliveries 1" in flushed.stderr
    assert [m.message_id for m in sink.wait_for(1)] == [row.message_id]  # same Message-ID
    after = open_outbox(ob)
    [done] = after.rows()
    after.close()
    assert done.status == "sent"
    assert done.ambiguous == 1


def test_a_lease_held_by_a_running_process_is_left_alone(tmp_path: Path) -> None:
    from mailgitops.dispatch.outbox import NewMessage, StoredEvent

    ob = SqliteOutbox(tmp_path / "o.sqlite")
    msg = NewMessage("customer", "en", "t", "<m@x>", "p@x", ("a@x.org",), (), b"raw")
    [row_id] = ob.record_event(StoredEvent("e", "h", "b", [{"row": 0}]), [msg], claim_for=("w", 900.0))
    other = SqliteOutbox(tmp_path / "o.sqlite")
    assert other.recover() == 0  # this test process holds it and is alive
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(done.stdout)
    assert dead_pid != os.getpid()
    ob.db.execute("UPDATE messages SET lease_pid=?, lease_started=NULL WHERE id=?", (dead_pid, row_id))
    assert other.recover() == 1
    got = other.get(row_id)
    assert got is not None
    assert got.status == "ambiguous"
    assert got.ambiguous == 1
    ob.close()
    other.close()


def test_of_a_dead_processs_rows_only_the_one_in_flight_counts_ambiguous(tmp_path: Path) -> None:
    """A sender works through its claim in id order: the rows after the first were never tried."""
    from mailgitops.dispatch.outbox import NewMessage, StoredEvent

    ob = SqliteOutbox(tmp_path / "o.sqlite")
    msgs = [NewMessage("customer", "en", "t", f"<m{i}@x>", "p@x", (f"a{i}@x.org",), (), b"raw")
            for i in range(3)]
    ids = ob.record_event(StoredEvent("e", "h", "b", [{"row": i} for i in range(3)]), msgs,
                          claim_for=("dead-worker", 900.0))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    ob.db.execute("UPDATE messages SET lease_pid=?, lease_started=NULL", (int(done.stdout),))
    assert ob.recover() == 3
    rows = [ob.get(i) for i in ids]
    assert [(r.status, r.ambiguous, r.attempts) for r in rows if r is not None] == [
        ("ambiguous", 1, 1), ("queued", 0, 0), ("queued", 0, 0)]
    ob.close()


def _dead_workers_rows(tmp_path: Path, worker: str) -> list[tuple[str, int, int]]:
    """(status, ambiguous, attempts) of three rows a dead `worker` held, after recovery."""
    from mailgitops.dispatch.outbox import NewMessage, StoredEvent

    ob = SqliteOutbox(tmp_path / "o.sqlite")
    msgs = [NewMessage("customer", "en", "t", f"<m{i}@x>", "p@x", (f"a{i}@x.org",), (), b"raw")
            for i in range(3)]
    ids = ob.record_event(StoredEvent("e", "h", "b", [{"row": i} for i in range(3)]), msgs,
                          claim_for=(worker, 900.0))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    ob.db.execute("UPDATE messages SET lease_pid=?, lease_started=NULL", (int(done.stdout),))
    assert ob.recover() == 3
    rows = [ob.get(i) for i in ids]
    ob.close()
    return [(r.status, r.ambiguous, r.attempts) for r in rows if r is not None]


def test_after_a_restart_of_the_machine_every_row_a_dead_sender_held_counts_ambiguous(tmp_path: Path) -> None:
    """SQLite records a result without waiting for the disk: a power cut may have lost the
    records of rows that went out, so after a restart none of them is taken as never tried."""
    from mailgitops.dispatch import lease

    other_boot = "0" * 8 if lease.boot() != "0" * 8 else "1" * 8
    assert _dead_workers_rows(tmp_path, f"4242-cafe@{other_boot}") == [("ambiguous", 1, 1)] * 3


def test_in_the_same_boot_only_the_first_row_a_dead_sender_held_counts_ambiguous(tmp_path: Path) -> None:
    from mailgitops.dispatch import lease

    assert lease.boot(), "Linux names its boot in /proc/sys/kernel/random/boot_id"
    assert _dead_workers_rows(tmp_path, lease.worker_id()) == [
        ("ambiguous", 1, 1), ("queued", 0, 0), ("queued", 0, 0)]


def test_a_postgresql_outbox_keeps_the_precise_count_after_a_restart() -> None:
    """Its records are committed transactions: a restart of the dispatcher's machine loses none."""
    from mailgitops.dispatch import lease

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    worker, pid = "4242-cafe@" + ("0" * 8 if lease.boot() != "0" * 8 else "1" * 8), int(done.stdout)
    held = [(1, worker, pid, None), (2, worker, pid, None)]
    assert lease.orphans(held, durable_records=True) == ([(1, worker)], [(2, worker)])
    assert lease.orphans(held) == ([(1, worker), (2, worker)], [])
