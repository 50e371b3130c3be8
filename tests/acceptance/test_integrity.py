"""Stored message bytes carry a SHA-256 checked before sending: bytes overwritten inside the
SQLite file are quarantined as `corrupt`, never sent, reported, and `flush` exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("integrity") / "repo", port=smtp_server.port))


def test_bytes_overwritten_in_the_file_are_never_sent(sink: SmtpServer, bundle: Path, tmp_path: Path) -> None:
    ob = tmp_path / "o.sqlite"
    for n in (1, 2):
        path = write_event(tmp_path, sample_event(trigger="order_received", event_id=f"bits-{n}"))
        outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", str(ob),
                    "--queue-only"))
    assert not (tmp_path / "o.sqlite-wal").exists()  # the last connection checkpointed it: all in the file
    data = bytearray(ob.read_bytes())
    at = data.find(b"MIME-Version: 1.0")  # inside the first message's stored bytes, nowhere else
    assert at > 0
    data[at:at + 4] = b"MIXE"  # one flipped header, as a bad disk sector would leave it
    ob.write_bytes(bytes(data))
    flushed = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(ob))
    summary = json.loads(flushed.stdout)
    assert flushed.returncode == 1, flushed.stderr
    assert (summary["corrupt"], summary["sent"], summary["corrupt_total"]) == (1, 1, 1)
    assert "corrupt 1" in flushed.stderr
    received = sink.wait_for(1)
    assert len(received) == 1
    assert b"MIXE" not in received[0].data  # the intact one only
    corrupt = outcome(cli("outbox", "list", "--status", "corrupt", "--outbox", str(ob)))["messages"]
    assert len(corrupt) == 1
    assert "SHA-256" in corrupt[0]["last_error"]
    again = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(ob))
    assert again.returncode == 0
    assert len(sink.messages) == 1  # quarantined: never tried again
    retried = cli("outbox", "retry", str(corrupt[0]["id"]), "--outbox", str(ob))
    assert retried.returncode == 1
    assert "corrupt" in retried.stderr
    ok = open_outbox(str(ob))
    assert ok.counts()["corrupt"] == 1
    ok.close()
