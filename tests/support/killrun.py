"""kill -9 during batches: events are queued, then `mailgitops outbox flush` processes are killed
with SIGKILL at random points while they deliver (the server takes `delay` per message), and a
last flush finishes the work. Counts what a print room would ask: every accepted email delivered,
none lost, none under a second Message-ID, ambiguous redeliveries (same Message-ID) counted.
Used by tests/acceptance/test_kill.py and scripts/reliability_report."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.sending import RetryPolicy
from support.dispatchrepo import MAILGITOPS, SAMPLES, sample_event
from support.smtpd import SmtpServer


@dataclass
class KillResult:
    events: int = 0
    accepted: int = 0  # messages the outbox accepted
    kills: int = 0
    delivered: int = 0  # messages every To recipient received
    lost: int = 0
    new_id: int = 0  # copies under a Message-ID the outbox never gave
    duplicates: int = 0  # a second copy not counted ambiguous
    ambiguous: int = 0  # the outbox's ambiguous redeliveries (same Message-ID)
    copies_again: int = 0  # second copies the server saw under the same Message-ID
    refused_sent: int = 0
    summaries: list[dict[str, object]] = field(default_factory=list)


def _flush(bundle: Path, outbox: str, env: dict[str, str], *, capture: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([*MAILGITOPS, "outbox", "flush", "--bundle", str(bundle), "--outbox", outbox],
                            env=env, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)


def kill_run(server: SmtpServer, bundle: Path, outbox: str, *, events: int = 20, kills: int = 3,
             delay: float = 0.03, seed: int = 1) -> KillResult:
    rnd = random.Random(seed)
    server.messages.clear()
    server.faults.clear()
    server.faults.delay = delay
    result = KillResult(events=events)
    with Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files",
                         policy=RetryPolicy(backoff_seconds=0)) as d:
        for i in range(events):
            d.handle(sample_event(trigger="order_received", event_id=f"kill-{seed}-{i}"), deliver=False)
    env = {**os.environ, "MAILGITOPS_RETRY_BACKOFF_SECONDS": "0", "MAILGITOPS_RETENTION": "off"}
    for _ in range(kills):
        before = len(server.messages)
        proc = _flush(bundle, outbox, env)
        # a random point once delivery is under way: 1 to 6 messages into the batch
        target = before + rnd.randint(1, 6)
        end = time.monotonic() + 30
        while len(server.messages) < target and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.005)
        time.sleep(rnd.uniform(0, delay))  # sometimes between the final dot and the reply
        proc.kill()
        proc.wait()
        result.kills += 1
    for _ in range(5):  # the last flush finishes what is left
        proc = _flush(bundle, outbox, env, capture=True)
        out, _ = proc.communicate(timeout=120)
        result.summaries.append(json.loads(out))
        if proc.returncode == 0:
            break
    server.faults.delay = 0.0
    ob = open_outbox(outbox)
    rows = ob.rows(limit=100_000)
    result.ambiguous = ob.counts()["ambiguous_redeliveries"]
    ob.close()
    copies = Counter((m.message_id, r) for m in server.messages for r in m.rcpts)
    known = {r.message_id for r in rows}
    result.accepted = len(rows)
    result.new_id = sum(1 for m in server.messages if m.message_id not in known)
    for r in rows:
        got = [copies.get((r.message_id, a), 0) for a in (*r.to, *r.cc)]
        if all(got) and r.status == "sent":
            result.delivered += 1
        else:
            result.lost += 1
        result.copies_again += sum(n - 1 for n in got if n > 1)
        if r.status == "sent" and any(x["kind"] == "to" and x["result"] == "refused" for x in r.recipients):
            result.refused_sent += 1
    # a second copy is allowed only for a row the outbox counted ambiguous
    result.duplicates = sum(sum(n - 1 for n in (copies.get((r.message_id, a), 0) for a in (*r.to, *r.cc))
                                if n > 1) for r in rows if not r.ambiguous)
    return result
