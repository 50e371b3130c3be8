"""SQLite's locks belong to the process: a second look at an open outbox from the same process (a
serve trying again after a refusal, an order system opening a second Dispatcher) must not drop
the locks of the connections it has open. When it did, the next other process to close the file
took itself for the last user and deleted the -wal and -shm under the open ones: a serve started
before `outbox migrate` later left the outbox "not a database", or lost rows another process
had written (an upgrade walk, reproduced five times)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.errors import MailgitopsError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outbox-26a7483.sqlite"  # schema 1

# another process using the outbox and closing it, as a `dispatch` hook or a cron `flush` does
OTHER = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('select count(*) from messages');"
         " c.close()")


def _other_process_closes(path: Path) -> None:
    subprocess.run([sys.executable, "-c", OTHER, str(path)], check=True, timeout=60)


def test_a_second_open_of_the_same_outbox_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    first = open_outbox(str(path))
    first.counts()  # a reader connection open too
    second = open_outbox(str(path))
    second.close()
    _other_process_closes(path)
    assert (tmp_path / "o.sqlite-wal").exists()  # still ours: not deleted under the open connections
    assert (tmp_path / "o.sqlite-shm").exists()
    first.close()


def test_a_serve_waiting_for_the_migration_leaves_no_connection_and_drops_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    shutil.copy(FIXTURE, path)
    for _ in range(3):  # serve asks again while it waits for `outbox migrate`
        with pytest.raises(MailgitopsError, match="schema version 1"):
            open_outbox(str(path))
    subprocess.run([sys.executable, "-m", "mailgitops", "outbox", "migrate", "--outbox", str(path)],
                   check=True, capture_output=True, timeout=120)
    ob = open_outbox(str(path))  # migrated: serve serves
    ob.counts()
    again = open_outbox(str(path))  # and looks once more (any second open in this process)
    again.close()
    _other_process_closes(path)
    assert (tmp_path / "o.sqlite-wal").exists()
    ob.close()
    check = subprocess.run([sys.executable, "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
                            ".execute('pragma integrity_check').fetchone()[0])", str(path)],
                           capture_output=True, text=True, check=True)
    assert check.stdout.strip() == "ok"


def test_a_full_disk_met_anywhere_is_said_and_exits_75(capsys: pytest.CaptureFixture[str]) -> None:
    # after a migration that left the disk full, the next dispatch and flush said "This is a bug"
    # with exit 3, and an order system may not send the event again on that
    import sqlite3

    from mailgitops.cli.runner import run

    def full() -> int:
        e = sqlite3.OperationalError("database or disk is full")
        e.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
        raise e

    with pytest.raises(SystemExit) as ended:
        run(full)
    assert ended.value.code == 75
    err = capsys.readouterr().err
    assert "the disk is full" in err
    assert "bug" not in err


def test_a_flush_running_while_the_outbox_is_taken_back_is_refused_in_words(tmp_path: Path) -> None:
    from mailgitops.dispatch.outbox import NewMessage, StoredEvent
    from mailgitops.dispatch.outbox_backends import migrate

    path = str(tmp_path / "o.sqlite")
    ob = open_outbox(path)
    message = NewMessage("customer", "en", "order-received", "<m@example.com>", "p@example.com",
                         ("a@example.org",), (), b"raw", None, "queued")
    ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}]), [message])
    migrate(path, 3)  # the administrator rolls back while this flush runs
    with pytest.raises(MailgitopsError, match="was taken back to schema version 3") as got:
        ob.claim(worker="w", lease_seconds=60, limit=10)
    ob.close()
    assert got.value.exit_code == 75


def test_the_outbox_is_never_attached_through_a_link_named_like_a_pdf(tmp_path: Path) -> None:
    # the outbox kept inside the attachments root, and a link to it named .pdf: reading it to
    # attach would drop SQLite's locks on it, and would mail every customer's data
    from mailgitops.dispatch.attachments import FileRef, resolve_attachment

    ob = open_outbox(str(tmp_path / "o.sqlite"))
    (tmp_path / "ticket.pdf").symlink_to(tmp_path / "o.sqlite")
    got = resolve_attachment(tmp_path, "operator", "ticket.pdf", "$.operator_attachments[0]")
    ob.close()
    assert not isinstance(got, FileRef)
    assert "files of this type are not attached" in got.message
