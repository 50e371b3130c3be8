"""Retention and storage: `outbox prune --older-than` drops the bodies of finished messages and
keeps the delivery record; a large attachment shared by an event's messages is stored once, and
the bytes sent are exactly those checked by the message's SHA-256."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox import NewMessage, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox
from mailgitops.dispatch.sending import RetryPolicy
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("retention") / "repo", port=smtp_server.port))


def _mail(to: str, pdf: bytes) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "p@example.com", to, f"Proof for {to}"
    msg.set_content(f"Hello {to}")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="proof.pdf")
    return msg.as_bytes()


def test_an_attachment_shared_by_an_events_messages_is_stored_once(tmp_path: Path) -> None:
    pdf = b"%PDF-1.4\n" + os.urandom(400_000)
    raws = [_mail(a, pdf) for a in ("ada@example.org", "op@example.com", "budget@example.com")]
    ob = SqliteOutbox(tmp_path / "o.sqlite")
    msgs = [NewMessage("customer", "en", "t", f"<m{i}@x>", "p@example.com", (f"r{i}@x.org",), (), raw)
            for i, raw in enumerate(raws)]
    ids = ob.record_event(StoredEvent("e", "h", "b", [{"row": i} for i in range(3)]), msgs)
    assert [got.raw for got in map(ob.get, ids) if got is not None] == raws  # byte for byte
    [(blobs, size)] = ob.db.execute("SELECT count(*), sum(length(data)) FROM blobs").fetchall()
    ob.close()
    assert blobs == 1
    assert size >= 400_000
    assert (tmp_path / "o.sqlite").stat().st_size < 2 * len(raws[0])  # not three copies


def test_the_dispatcher_stores_a_large_attachment_once_without_parsing_its_message_again(
        sink: SmtpServer, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher wrote the message and knows where its attachment's bytes are: the outbox
    takes them from there (parsing back a message with a 1 MB attachment costs ~25 ms)."""
    from mailgitops.dispatch import blobs

    def no_parsing(raw: bytes) -> None:
        raise AssertionError("the outbox parsed the dispatcher's own message again")

    monkeypatch.setattr(blobs, "_leaf_bodies", no_parsing)
    files = tmp_path / "files"
    shutil.copytree(SAMPLES / "files", files)
    (files / "jobs/PO-1001/final.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(300_000))
    ob = str(tmp_path / "o.sqlite")
    with Dispatcher.load(bundle, outbox=ob, attachments_root=files) as d:
        for n in range(2):
            got = d.handle(sample_event(trigger="proof_ready", event_id=f"proof-{n}")).to_json()["messages"]
            assert [m["status"] for m in got] == ["sent"]
    received = sink.wait_for(2)
    stored = SqliteOutbox(ob)
    rows = stored.rows()
    [(blobs_kept, size)] = stored.db.execute("SELECT count(*), sum(length(data)) FROM blobs").fetchall()
    stored.close()
    assert [r.raw for r in rows] == [m.data for m in received]  # joined again byte for byte
    assert blobs_kept == 1  # the same PDF in both events' messages: stored once
    assert size >= 400_000  # base64 of the 300 KB
    assert all(len(r.raw or b"") > 400_000 for r in rows)


def test_a_pruned_body_and_attachment_are_gone_from_the_file_not_only_from_the_table(tmp_path: Path) -> None:
    """A backup or a copy of the file after prune must not hold the customer's message: SQLite
    leaves deleted content in free pages (and in the -wal) unless told to overwrite it."""
    path = tmp_path / "o.sqlite"
    letter = "Dear Ada Lovelace, 12 Crescent Road: your proof is ready. " * 40  # body in the row
    pdf = b"%PDF-1.4\n" + b"CONFIDENTIAL-PROOF " * 4000  # stored once as a blob
    raw = _mail("ada@example.org", pdf).replace(b"Hello ada@example.org", letter.encode())
    ob = SqliteOutbox(path)
    (row_id,) = ob.record_event(StoredEvent("e", "h", "b", [{"row": 0}]),
                                [NewMessage("customer", "en", "t", "<m@x>", "p@example.com",
                                            ("ada@example.org",), (), raw)])
    assert ob.update(row_id, None, status="sent")
    # as an SQLite built without SECURE_DELETE runs (python.org's, Homebrew's; Debian's has it)
    ob.db.execute("PRAGMA secure_delete=OFF")
    assert ob.prune(time.time() + 1)["pruned"] == 1
    ob.close()
    copies = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("o.sqlite"))
    assert b"Crescent Road" not in copies
    assert b"CONFIDENTIAL-PROOF" not in copies and base64.b64encode(pdf[:3000])[:40] not in copies
    assert open_outbox(str(path)).get(row_id).message_id == "<m@x>"  # the delivery record stays


def test_prune_keeps_the_delivery_record_and_drops_the_body(sink: SmtpServer, bundle: Path,
                                                            tmp_path: Path) -> None:
    files = tmp_path / "files"
    shutil.copytree(SAMPLES / "files", files)
    (files / "jobs/PO-1001/final.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(300_000))
    ob = str(tmp_path / "o.sqlite")
    with Dispatcher.load(bundle, outbox=ob, attachments_root=files,
                         policy=RetryPolicy(backoff_seconds=0, retention_seconds=None)) as d:
        sent = d.handle(sample_event(trigger="proof_ready", event_id="proof-1")).to_json()["messages"][0]
        sink.faults.add("MAIL", "451 4.3.0 later")
        waiting = d.handle(sample_event(trigger="proof_ready", event_id="proof-2")).to_json()["messages"][0]
    assert sent["status"] == "sent"
    assert waiting["status"] == "queued"
    row = open_outbox(ob).get(sent["outbox_id"])
    assert row is not None
    assert row.raw is not None
    [received] = sink.wait_for(1)
    assert hashlib.sha256(received.data).hexdigest() == row.sha256  # joined again exactly
    before = Path(ob).stat().st_size
    pruned = outcome(cli("outbox", "prune", "--older-than", "0s", "--outbox", ob))
    assert pruned["pruned"] == 1
    assert 0 < pruned["bytes_freed"] < 300_000
    assert pruned["attachments_dropped"] == 0  # the queued message still needs the same PDF
    listed = outcome(cli("outbox", "list", "--outbox", ob))["messages"]
    done = next(m for m in listed if m["id"] == sent["outbox_id"])
    assert done["message_id"] == sent["message_id"]
    assert done["status"] == "sent"
    assert done["pruned_at"] is not None
    assert done["sent_at"] is not None
    assert done["to"] == ["ada@example.org"]
    assert {r["result"] for r in done["recipients"]} == {"accepted"}
    still = open_outbox(ob).get(waiting["outbox_id"])
    assert still is not None
    assert still.raw is not None
    assert still.pruned_at is None  # queued: untouched
    assert open_outbox(ob).get(sent["outbox_id"]).raw is None  # type: ignore[union-attr]
    assert Path(ob).stat().st_size <= before  # freed pages are reused by SQLite
    retried = cli("outbox", "retry", str(sent["outbox_id"]), "--outbox", ob)
    assert retried.returncode == 1
    assert "pruned" in retried.stderr
    # what to do instead (an operations walk: the hint pointed at `outbox list`, which cannot help)
    assert "have the order system send event proof-1 again under a new event_id" in retried.stderr
    assert cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob).returncode == 0
    assert len(sink.wait_for(2)) == 2
    last = outcome(cli("outbox", "prune", "--older-than", "0s", "--outbox", ob))
    assert last["attachments_dropped"] == 1
    assert last["bytes_freed"] > 300_000  # nobody needs it now


def test_prune_names_a_bad_duration(tmp_path: Path) -> None:
    proc = cli("outbox", "prune", "--older-than", "soon", "--outbox", str(tmp_path / "o.sqlite"))
    assert proc.returncode == 2
    assert "90d" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_retention_setting_names_off_as_the_way_to_keep_everything(
        bundle: Path, tmp_path: Path) -> None:
    proc = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(tmp_path / "o.sqlite"),
               env={"MAILGITOPS_RETENTION": "never"})
    assert proc.returncode == 2, proc.stderr
    assert "MAILGITOPS_RETENTION 'never' is not a duration" in proc.stderr
    assert "or off, to keep every message's body" in proc.stderr


def test_the_retention_setting_prunes_when_flushing(sink: SmtpServer, bundle: Path, tmp_path: Path) -> None:
    ob = str(tmp_path / "o.sqlite")
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id="keep"))
    outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob))
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob,
                  env={"MAILGITOPS_RETENTION": "90d"})
    assert flushed.returncode == 0
    db = sqlite3.connect(ob)
    assert db.execute("SELECT count(*) FROM raws").fetchone()[0] == 1  # recent: its bytes are kept
    db.execute("UPDATE messages SET updated_at = updated_at - 91 * 86400")
    db.commit()
    db.close()
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob,
                  env={"MAILGITOPS_RETENTION": "90d"})
    assert flushed.returncode == 0
    [row] = open_outbox(ob).rows()
    assert row.raw is None
    assert sqlite3.connect(ob).execute("SELECT count(*) FROM raws").fetchone()[0] == 0  # gone from the file
    assert row.status == "sent"
    assert row.message_id


def _sent(outbox: str, bundle: Path, files: Path, event_id: str, email: str, name: str) -> int:
    event = sample_event(trigger="order_received", event_id=event_id)
    event["customer"] = {**event["customer"], "email": email, "name": name}
    with Dispatcher.load(bundle, outbox=outbox, attachments_root=files,
                         policy=RetryPolicy(backoff_seconds=0, retention_seconds=None)) as d:
        (message,) = d.handle(event).to_json()["messages"]
    assert message["status"] == "sent"
    return int(message["outbox_id"])


def test_forget_drops_who_old_messages_went_to_and_keeps_the_record(
        sink: SmtpServer, bundle: Path, tmp_path: Path, outbox_location: str) -> None:
    files = tmp_path / "files"
    shutil.copytree(SAMPLES / "files", files)
    old = _sent(outbox_location, bundle, files, "old-1", "grace.hopper@example.org", "Grace Hopper")
    new = _sent(outbox_location, bundle, files, "new-1", "ada@example.org", "Ada Lovelace")
    upload = files / "console-uploads" / str(old) / "0123456789abcdef" / "proof.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 Grace's proof")
    three_years_ago = time.time() - 3 * 365 * 86400
    ob = open_outbox(outbox_location)
    ob.update(old, None, last_error="550 5.1.1 <grace.hopper@example.org>: over quota")  # quotes her
    if outbox_location.endswith(".sqlite"):
        ob.db.execute("UPDATE messages SET created_at=?, updated_at=? WHERE id=?",
                      (three_years_ago, three_years_ago, old))
    else:
        with ob._conn() as conn:  # type: ignore[attr-defined]
            conn.execute("UPDATE messages SET created_at=%s, updated_at=%s WHERE id=%s",
                         (three_years_ago, three_years_ago, old))
    ob.close()
    got = outcome(cli("outbox", "forget", "--older-than", "730d", "--outbox", outbox_location,
                      "--attachments-root", str(files)))
    assert (got["forgotten"], got["pruned"], got["upload_folders_removed"]) == (1, 1, 1)
    assert not upload.parent.parent.exists()
    ob = open_outbox(outbox_location)
    gone, kept = ob.get(old), ob.get(new)
    ob.close()
    assert gone is not None and kept is not None
    assert (gone.to, gone.cc, gone.rcpts, gone.delivered) == ((), (), (), ())
    assert (gone.last_error, gone.raw) == ("(forgotten)", None)
    assert [(r["address"], r["kind"], r["result"]) for r in gone.recipients] == [
        ("(forgotten)", "to", "accepted"), ("(forgotten)", "cc", "accepted")]
    assert gone.message_id.startswith("<") and gone.status == "sent"  # the record stays
    assert kept.to == ("ada@example.org",) and kept.raw is not None  # a recent one is untouched
    listed = cli("outbox", "list", "--outbox", outbox_location)
    assert "grace" not in listed.stdout.lower() and "ada@example.org" in listed.stdout
    if outbox_location.endswith(".sqlite"):  # not in the file's free pages either
        copies = b"".join(p.read_bytes() for p in tmp_path.glob("o.sqlite*"))
        assert b"grace.hopper" not in copies.lower() and b"Grace Hopper" not in copies
    again = outcome(cli("outbox", "forget", "--older-than", "730d", "--outbox", outbox_location))
    assert again["forgotten"] == 0
    before = len(sink.messages)
    event = sample_event(trigger="order_received", event_id="old-1")
    event["customer"] = {**event["customer"], "email": "grace.hopper@example.org", "name": "Grace Hopper"}
    with Dispatcher.load(bundle, outbox=outbox_location, attachments_root=files,
                         policy=RetryPolicy(backoff_seconds=0, retention_seconds=None)) as d:
        assert d.handle(event).to_json()["duplicate"] is True  # still known: never sent twice
    assert len(sink.messages) == before
