"""Dispatcher throughput and cold start, against a local aiosmtpd on 127.0.0.1.

    .venv/bin/python benchmarks/bench_dispatch.py [--events 300]

1. events/s from the dispatcher (validate the event, plan, render, commit to the durable SQLite
   outbox, deliver on a reused connection, record the outcome) vs a bare smtplib loop sending the
   same finished messages with `send_message` on one connection; target ratio >= 0.7.
2. a cold `mailgitops dispatch` of one event vs a cold `python -c "import smtplib, sqlite3, jinja2"`;
   target <= 2x.
"""

from __future__ import annotations

import argparse
import json
import logging
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mailgitops.devsink import DevSink  # noqa: E402
from mailgitops.dispatch.api import Dispatcher  # noqa: E402
from mailgitops.dispatch.outbox import SqliteOutbox  # noqa: E402
from mailgitops.dispatch.sender import RetryPolicy  # noqa: E402
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Envelope = tuple[str, list[str]]


def dispatcher_run(bundle: Path, work: Path, n: int, tag: str) -> tuple[float, list[bytes], list[Envelope]]:
    outbox = SqliteOutbox(work / f"bench-{tag}.sqlite")
    events = [sample_event("flyers", trigger="order_received", event_id=f"bench-{tag}-{i}")
              for i in range(n)]
    root = SAMPLES / "files"
    with Dispatcher.load(bundle, outbox=outbox, attachments_root=root, policy=RetryPolicy()) as d:
        start = time.perf_counter()
        for ev in events:
            got = d.handle(ev)
            assert got.messages[0]["status"] == "sent", got.messages
        elapsed = time.perf_counter() - start
    rows = outbox.rows()
    outbox.close()
    return elapsed, [r.raw or b"" for r in rows], [(r.envelope_from, [*r.to, *r.cc]) for r in rows]


def bare_run(port: int, raws: list[bytes], envelopes: list[Envelope]) -> float:
    msgs = [message_from_bytes(raw, policy=policy.SMTP) for raw in raws]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for msg, (sender, rcpts) in zip(msgs, envelopes, strict=True):
            s.send_message(msg, from_addr=sender, to_addrs=rcpts)
    return time.perf_counter() - start


def cold(cmd: list[str], runs: int) -> float:
    times = []
    for i in range(runs):
        argv = [a.replace("{i}", str(i)) for a in cmd]
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    port = free_port()
    sink = DevSink(port).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            bundle = build_bundle(make_repo(work / "repo", port=port))
            dispatcher_run(bundle, work, 20, "warmup")
            ours_t, raws, envs = dispatcher_run(bundle, work, args.events, "run")
            bare_t = min(bare_run(port, raws, envs) for _ in range(3))
            ours_t = min(ours_t, dispatcher_run(bundle, work, args.events, "run2")[0])
            ours, bare = args.events / ours_t, args.events / bare_t
            print(f"dispatcher (durable outbox, render, deliver): {ours:8.1f} events/s")
            print(f"bare smtplib send_message, one connection:   {bare:8.1f} messages/s")
            print(f"ratio: {ours / bare:.2f} (target >= 0.7)")

            for i in range(args.cold_runs):
                ev = sample_event("flyers", trigger="order_received", event_id=f"cold-{i}")
                (work / f"cold-{i}.json").write_text(json.dumps(ev), encoding="utf-8")
            py = sys.executable
            base = cold([py, "-c", "import smtplib, sqlite3, jinja2"], args.cold_runs)
            ours_cold = cold([py, "-m", "mailgitops", "dispatch", "--bundle", str(bundle), "--event",
                              str(work / "cold-{i}.json"), "--outbox", str(work / "cold.sqlite"),
                              "--attachments-root", str(SAMPLES / "files")], args.cold_runs)
            print(f"cold python -c 'import smtplib, sqlite3, jinja2': {base * 1000:6.0f} ms")
            print(f"cold mailgitops dispatch (one event, sent):       {ours_cold * 1000:6.0f} ms")
            print(f"ratio: {ours_cold / base:.2f} (target <= 2)")
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
