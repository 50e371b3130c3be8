"""scripts/bench's dispatch rows for serve's own arrangement, without HTTP: the events are handed
to serve's dispatcher one after another (each committed and answered `queued`, as POST /events
answers 202), while serve's sender pool (src/mailgitops/serve/loop.py, its default 4 sessions)
delivers them on its own threads. Timed from the service's start to the last message delivered,
against the same bare smtplib loop as the other dispatch rows.

Why this row exists: letting an event's answer come before its mail is sent would let rendering
overlap the server's time. This shows whether it does, on this machine (it carries no goal)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchlib import Row, cold_env, interleaved

SENDERS_WORKER = r"""
import json, sys, time
from pathlib import Path
from mailgitops.serve.loop import SenderPool
from mailgitops.serve.service import Service
bundle, box, files = sys.argv[1], sys.argv[2], sys.argv[4]
events = json.loads(Path(sys.argv[3]).read_text())
waiting = ("queued", "sending", "ambiguous")
start, wall = time.perf_counter(), time.time()
svc = Service(bundle, outbox=box, attachments_root=files, token=None, delivery="production")
pool = SenderPool(svc).start()
d = svc.dispatcher()
for ev in events:
    d.handle(ev, deliver=False, source="event")  # what POST /events does, then it rings for a sender
    svc.wake.set()
# what /health's backlog reads, looked at every 20 ms: each look is work in this process, which
# polling every 2 ms took from the senders; the end is when the last message was recorded sent
while any((counts := d.outbox.counts()).get(s) for s in waiting):
    time.sleep(0.02)
last = max(r.sent_at or 0.0 for r in d.outbox.rows(limit=100_000))
seconds = (time.perf_counter() - start) - (time.time() - last) if last else time.perf_counter() - start
pool.shutdown()
print(json.dumps({"seconds": seconds, "counts": counts}))
"""


def senders_rows(kind: str, server: str, where: str, rounds: int, work: Path, bundle: Path,
                 events: Callable[[str], list[dict[str, object]]], files: Path,
                 bare: Callable[[], float]) -> list[Row]:
    """The row of serve's arrangement against `bare` (the loop of the other rows, same server)."""
    counter = iter(range(10_000))
    expected: list[int] = []

    def ours() -> float:
        tag = f"s{next(counter)}"
        ev_file = work / f"senders-events-{tag}.json"
        batch = events(tag)
        ev_file.write_text(json.dumps(batch), encoding="utf-8")
        box = work / f"senders-{tag}.sqlite"
        env = {**cold_env(), "MAILGITOPS_DELIVERY": "production"}
        proc = subprocess.run([sys.executable, "-c", SENDERS_WORKER, str(bundle), str(box), str(ev_file),
                               str(files)], capture_output=True, text=True, check=True, env=env)
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        counts = got["counts"]
        if counts.get("failed") or counts.get("expired") or counts.get("corrupt") or not counts.get("sent"):
            raise SystemExit(f"{server}: serve's senders did not deliver everything ({counts}); "
                             "the figure would be wrong")
        expected.append(counts["sent"])
        return float(got["seconds"])

    a, b = interleaved(ours, bare, rounds, f"serve's senders vs smtplib, {server}")
    n = len(events("count"))
    return [Row(f"{n} events handed to serve's dispatcher, its 4 senders deliver"
                + ("" if kind == "fast" else f", {server}"),
                "bare smtplib loop, same bytes, same server", a, b, None, speed=True,
                note=f"no goal: {where.removeprefix('no goal: ')}; each event is answered `queued` once "
                     f"committed (as POST /events is, without HTTP) and serve's sender pool delivers "
                     f"{max(expected, default=0)} messages; timed until the last is sent")]
