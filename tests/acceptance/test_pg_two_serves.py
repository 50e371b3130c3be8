"""Two `serve` processes (two machines) on one PostgreSQL outbox, through the faults an operations
engineer meets: one instance killed with SIGKILL mid-batch and started again, PostgreSQL
restarted mid-batch, PostgreSQL stopped for 30 s mid-batch. The order system posts to either
instance and sends an event again after a 503, as it must. Every accepted event's email is sent,
a second copy only under the same Message-ID where the outbox counted it ambiguous, and /health
tells the truth on both instances meanwhile."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from support.childlog import ChildLog
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.pgcluster import PgCluster
from support.smtpd import SmtpServer

TOKEN = secrets.token_hex(24)  # made at each run: no token sits in git
DOWN_SECONDS = 30


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A cluster of its own: this test stops and restarts it, which the run's shared one must not see."""
    c = PgCluster().start()
    yield c
    c.stop()


def _pg_ctl(cluster: PgCluster, action: str) -> None:
    args = [str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-w", "-t", "60"]
    if action == "stop":
        args += ["-m", "fast", "stop"]
    else:
        options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {cluster.dir} -c fsync=off"
        args += ["-l", str(cluster.dir / "log"), "-o", options, "-m", "fast", action]
    cmd = ["runuser", "-u", "mailgitops-test", "--", *args] if os.geteuid() == 0 else args
    subprocess.run(cmd, check=True, capture_output=True, timeout=90)


class Instance:
    """One `serve` process, as a machine runs it."""

    def __init__(self, bundle: Path, url: str) -> None:
        env = {**os.environ, "MAILGITOPS_API_TOKEN": TOKEN, "MAILGITOPS_DELIVERY": "production"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mailgitops", "serve", "--bundle", str(bundle), "--port", "0",
             "--outbox", url, "--attachments-root", str(SAMPLES / "files")],
            env=env, stderr=subprocess.PIPE, text=True)
        self.log = ChildLog(self.proc)
        self.port = int(self.log.wait_for(r"listening on http://127\.0\.0\.1:(\d+)")[1])

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, object]]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def health(self) -> int:
        return self.request("GET", "/health")[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.log.finish(60)


def _post(instances: list[Instance], event_ids: list[str], accepted: set[str]) -> list[int]:
    """Each event to one instance in turn; the statuses answered. Accepted ones are remembered."""
    codes = []
    for n, event_id in enumerate(event_ids):
        body = json.dumps(sample_event(trigger="order_received", event_id=event_id)).encode()
        code, _ = instances[n % len(instances)].request("POST", "/events", body)
        assert code in (200, 202, 503), code  # never a 500, never an "accepted" that is not
        if code in (200, 202):
            accepted.add(event_id)
        codes.append(code)
    return codes


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)  # polling a process from outside: there is no event to wait on


@pytest.mark.slow
def test_two_serves_on_one_postgresql_outbox_through_kill_restart_and_a_30_s_stop(
        cluster: PgCluster, tmp_path: Path) -> None:
    smtp = SmtpServer().start()
    smtp.faults.delay = 0.3  # each message takes the server a while: batches are in flight
    url = cluster.new_database()
    bundle = build_bundle(make_repo(tmp_path / "repo", port=smtp.port))
    a, b = Instance(bundle, url), Instance(bundle, url)
    accepted: set[str] = set()
    try:
        # 1. one machine killed (SIGKILL) mid-batch, then started again
        assert _post([a, b], [f"kill-{n}" for n in range(30)], accepted) == [202] * 30
        smtp.wait_for(4, timeout=30)
        a.proc.kill()
        a.proc.wait()
        assert len(smtp.messages) < 30  # mid-batch
        a = Instance(bundle, url)
        smtp.wait_for(30, timeout=120)
        # 2. PostgreSQL restarted mid-batch; events posted meanwhile get 503 or are accepted
        _post([a, b], [f"restart-{n}" for n in range(20)], accepted)
        smtp.wait_for(33, timeout=30)
        _pg_ctl(cluster, "restart")
        assert len(smtp.messages) < 50  # mid-batch
        pending = [f"restart-{n}" for n in range(20, 30)]
        _post([a, b], pending, accepted)  # while the instances reconnect: 503 (sent again below) or 202
        # 3. PostgreSQL stopped for 30 s mid-batch
        _post([a, b], [f"stop-{n}" for n in range(20)], accepted)
        sent_before = len({m.message_id for m in smtp.messages})
        smtp.wait_for(len(smtp.messages) + 3, timeout=30)
        _pg_ctl(cluster, "stop")
        stopped = time.monotonic()
        assert len({m.message_id for m in smtp.messages}) < sent_before + 20  # mid-batch
        _until(lambda: a.health() == 503 and b.health() == 503, 10, "/health said 200 with the outbox down")
        during = [f"stop-{n}" for n in range(20, 30)]
        posting = time.monotonic()
        assert _post([a, b], during, accepted) == [503] * len(during)  # nothing accepted, nothing lost
        assert (time.monotonic() - posting) / len(during) < 4  # each 503 within seconds (was 15 s each)
        while time.monotonic() - stopped < DOWN_SECONDS:
            assert (a.health(), b.health()) == (503, 503)
            time.sleep(2)
        _pg_ctl(cluster, "start")
        _until(lambda: a.health() == 200 and b.health() == 200, 30, "/health still 503 with the outbox back")
        waiting = [e for e in [*pending, *during] if e not in accepted]
        for _ in range(30):  # the order system sends each 503'd event again
            waiting = [e for e in waiting if _post([a, b], [e], accepted) != [202]]
            if not waiting:
                break
            time.sleep(1)
        assert waiting == []
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT event_id, message_id, status, ambiguous FROM messages").fetchall()
        assert sorted({r[0] for r in rows}) == sorted(accepted)
        assert set(Counter(r[0] for r in rows).values()) == {1}  # one email per event, however often posted
        _until(lambda: {m.message_id for m in smtp.messages} >= {r[1] for r in rows}, 120,
               "an accepted event's email was never sent")
    finally:
        a.stop()
        b.stop()
        smtp.stop()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT event_id, message_id, status, ambiguous FROM messages").fetchall()
    assert {r[2] for r in rows} == {"sent"}
    got = Counter(m.message_id for m in smtp.messages)
    assert set(got) == {r[1] for r in rows}  # no email under a Message-ID the outbox does not know
    extra = sum(n - 1 for n in got.values())
    assert extra <= sum(r[3] for r in rows)  # a second copy only where counted ambiguous
    print(f"events {len(accepted)}, emails {sum(got.values())}, second copies {extra}")
