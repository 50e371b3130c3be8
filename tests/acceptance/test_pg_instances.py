"""Several instances on one PostgreSQL outbox: claims never overlap and never wait (SKIP LOCKED),
event_id is unique across instances, a draft is sent once whichever instance sends it, NOTIFY
wakes an idle sender, and three dispatchers with one SIGKILLed at random points several times
deliver every accepted email once per Message-ID."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.draft_shape import Draft
from mailgitops.dispatch.outbox import NewMessage, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.errors import EventConflict, MailgitopsError
from support.dispatchrepo import MAILGITOPS, SAMPLES, build_bundle, make_repo, sample_event
from support.pgcluster import PgCluster
from support.smtpd import SmtpServer


def _msg(n: int, status: str = "queued") -> NewMessage:
    to = f"a{n}@example.org"
    draft = Draft("s", "m", ("p@example.com", None), ((None, to),)) if status == "draft" else None
    return NewMessage("customer", "en", "t", f"<m{n}@x>", "p@example.com", (to,), (),
                      None if draft else b"raw", draft, status)  # type: ignore[arg-type]


def test_instances_never_claim_the_same_row(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    first = open_outbox(url)
    for i in range(40):
        first.record_event(StoredEvent(f"e{i}", "h", "b", [{"row": 0}]), [_msg(i)])
    instances = [open_outbox(url) for _ in range(4)]
    claimed: list[list[int]] = [[] for _ in instances]

    def work(k: int) -> None:
        while rows := instances[k].claim(worker=f"w{k}", lease_seconds=60, limit=3):
            claimed[k].extend(r.id for r in rows)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [i for ids in claimed for i in ids]
    assert len(every) == 40
    assert len(set(every)) == 40  # each row once, none twice
    for ob in (first, *instances):
        ob.close()


def test_an_event_id_is_unique_across_instances(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    instances = [open_outbox(url) for _ in range(4)]
    results: list[str] = []
    start = threading.Barrier(4)

    def record(k: int) -> None:
        start.wait()
        try:
            instances[k].record_event(StoredEvent("same", "h", "b", [{"row": 0}]), [_msg(k)])
            results.append("stored")
        except EventConflict:
            results.append("conflict")

    threads = [threading.Thread(target=record, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["conflict"] * 3 + ["stored"]
    assert len(instances[0].rows()) == 1
    for ob in instances:
        ob.close()


def test_a_draft_is_queued_once_from_any_instance(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    a, b = open_outbox(url), open_outbox(url)
    [row_id] = a.record_event(StoredEvent("d", "h", "b", [{"row": 0}]), [_msg(1, "draft")])
    start = threading.Barrier(2)
    won: list[bool] = []

    def send(ob: object) -> None:
        start.wait()
        won.append(ob.queue_draft(row_id, b"final", ["a1@example.org"], []))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=send, args=(ob,)) for ob in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(won) == [False, True]
    a.close()
    b.close()


def test_new_work_wakes_an_idle_sender_on_another_instance(pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    idle, busy = open_outbox(url), open_outbox(url)
    woken = threading.Event()
    idle.on_work(woken.set)  # type: ignore[attr-defined]
    assert idle.listening.wait(10)  # type: ignore[attr-defined]
    woken.clear()
    busy.record_event(StoredEvent("wake", "h", "b", [{"row": 0}]), [_msg(1)])
    assert woken.wait(10), "the idle instance was not woken by NOTIFY"
    idle.close()
    busy.close()


def test_close_stops_the_listener_at_once_not_at_its_next_poll(pg_cluster: PgCluster,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` stopping (and every test) must not wait out the listener's poll for notifications."""
    from mailgitops.dispatch import outbox_pg

    monkeypatch.setattr(outbox_pg, "POLL_SECONDS", 60.0)
    box = open_outbox(pg_cluster.new_database())
    box.on_work(lambda: None)  # type: ignore[attr-defined]
    assert box.listening.wait(10)  # type: ignore[attr-defined]
    started = time.monotonic()
    box.close()
    assert time.monotonic() - started < 10, "close() waited for the listener's 60 s poll"
    assert not any(t.name == "mailgitops-pg-listen" and t.is_alive() for t in threading.enumerate())


def test_a_newer_schema_is_refused(pg_cluster: PgCluster) -> None:
    import psycopg

    url = pg_cluster.new_database()
    open_outbox(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE mailgitops_schema SET version = version + 1")
    with pytest.raises(MailgitopsError, match="newer mailgitops") as got:
        open_outbox(url)
    # a machine rolled back while the database runs a newer schema: the order system keeps the
    # event (75) until the machine runs the version that made it
    assert got.value.exit_code == 75


@pytest.mark.slow
def test_three_dispatchers_one_killed_at_random_points_lose_nothing(
        pg_cluster: PgCluster, sink: SmtpServer, tmp_path: Path) -> None:
    url = pg_cluster.new_database()
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    with Dispatcher.load(bundle, outbox=url, attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=0)) as d:
        for i in range(45):
            d.handle(sample_event(trigger="order_received", event_id=f"multi-{i}"), deliver=False)
    sink.faults.delay = 0.05  # SMTP latency dominates, as in real life
    rnd = random.Random(3)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([*MAILGITOPS, "outbox", "flush", "--bundle", str(bundle), "--outbox", url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    procs = [start() for _ in range(3)]
    kills = 0
    for _ in range(3):
        target = len(sink.messages) + rnd.randint(2, 8)
        end = time.monotonic() + 60
        while len(sink.messages) < target and procs[0].poll() is None and time.monotonic() < end:
            time.sleep(0.005)
        procs[0].kill()  # SIGKILL, mid-batch
        procs[0].wait()
        kills += 1
        procs[0] = start()
    for p in procs:
        p.wait(180)
    for _ in range(3):  # whatever the kills left: the next run recovers it at once (same host)
        if subprocess.run([*MAILGITOPS, "outbox", "flush", "--bundle", str(bundle), "--outbox", url],
                          capture_output=True, timeout=180, check=False).returncode == 0:
            break
    sink.faults.delay = 0.0
    ob = open_outbox(url)
    rows = ob.rows(limit=1000)
    ambiguous = ob.counts()["ambiguous_redeliveries"]
    ob.close()
    copies = Counter((m.message_id, r) for m in sink.messages for r in m.rcpts)
    assert kills == 3
    assert len(rows) == 45
    assert all(r.status == "sent" for r in rows)
    assert all(copies[(r.message_id, a)] >= 1 for r in rows for a in (*r.to, *r.cc))  # every one delivered
    assert {m.message_id for m in sink.messages} == {r.message_id for r in rows}  # no new Message-ID
    again = sum(n - 1 for n in copies.values() if n > 1)
    assert again <= 2 * ambiguous
    assert ambiguous <= kills  # a second copy only where counted ambiguous


def test_outbox_migrate_and_a_password_in_the_url_through_the_cli(pg_cluster: PgCluster) -> None:
    from support.dispatchrepo import cli, outcome

    url = pg_cluster.new_database()
    made = outcome(cli("outbox", "migrate", "--outbox", url))
    assert made["found_version"] == 0
    assert made["changed"] is True
    again = outcome(cli("outbox", "migrate", "--outbox", url))
    assert again["changed"] is False
    secret = url.replace("postgres@", "postgres:not-in-logs-42@")
    refused = cli("outbox", "list", "--outbox", secret)
    assert refused.returncode == 1
    assert "PGPASSWORD" in refused.stderr
    assert "not-in-logs-42" not in refused.stderr + refused.stdout
