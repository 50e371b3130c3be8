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
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# every message goes to the local SMTP server started here, to the event's own recipients
os.environ["MAILGITOPS_DELIVERY"] = "production"

from mailgitops.dispatch.api import Dispatcher  # noqa: E402 -- after sys.path gains tests/
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox  # noqa: E402 -- after sys.path gains tests/
from mailgitops.dispatch.sender import RetryPolicy  # noqa: E402 -- after sys.path gains tests/
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event  # noqa: E402 -- after sys.path gains tests/
from support.smtpd import free_port  # noqa: E402 -- after sys.path gains tests/

Envelope = tuple[str, list[str]]


def _events(n: int, tag: str) -> list[dict[str, object]]:
    return [sample_event("flyers", trigger="order_received", event_id=f"bench-{tag}-{i}") for i in range(n)]


def dispatcher_run(bundle: Path, work: Path, n: int, tag: str, *, pipelined: bool) -> float:
    """Sequential: each event is checked, rendered, committed and delivered before the next
    (what one `mailgitops dispatch` does). Pipelined: events are committed by the caller while
    the sender loop delivers on its own thread (what `serve` does)."""
    outbox = SqliteOutbox(work / f"bench-{tag}.sqlite")
    events = _events(n, tag)
    with Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files",
                         policy=RetryPolicy()) as d:
        start = time.perf_counter()
        if not pipelined:
            for ev in events:
                d.handle(ev)
        else:
            done = threading.Event()

            def loop() -> None:
                while True:
                    finished = done.is_set()
                    report = d.sender.flush()
                    if finished and not report.sent:
                        return
                    if not report.sent:
                        time.sleep(0.0005)

            sender = threading.Thread(target=loop)
            sender.start()
            for ev in events:
                d.handle(ev, deliver=False)
            done.set()
            sender.join()
        elapsed = time.perf_counter() - start
    counts = outbox.counts()
    outbox.close()
    assert counts["sent"] == n, counts
    return elapsed


SENDER_WORKER = """
import sys, time
from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.sender import RetryPolicy
bundle, outbox, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Dispatcher.load(bundle, outbox=outbox, policy=RetryPolicy()) as d:
    while d.outbox.counts()["sent"] < n:
        if not d.sender.flush().sent:
            time.sleep(0.0005)
"""


def two_process_run(bundle: Path, work: Path, n: int, tag: str) -> float:
    """The caller commits events while a second worker process delivers from the same outbox
    (leases keep them apart): what `serve` with a sender worker does, on two cores."""
    path = work / f"bench-{tag}.sqlite"
    outbox = SqliteOutbox(path)
    events = _events(n, tag)
    with Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files",
                         policy=RetryPolicy()) as d:
        worker = subprocess.Popen([sys.executable, "-c", SENDER_WORKER, str(bundle), str(path), str(n)])
        time.sleep(0.3)  # the worker's own start-up is not part of the steady state
        start = time.perf_counter()
        for ev in events:
            d.handle(ev, deliver=False)
        worker.wait(120)
        elapsed = time.perf_counter() - start
    outbox.close()
    return elapsed


def finished_messages(work: Path, tag: str) -> tuple[list[bytes], list[Envelope]]:
    outbox = SqliteOutbox(work / f"bench-{tag}.sqlite")
    rows = outbox.rows()
    outbox.close()
    return [r.raw or b"" for r in rows], [(r.envelope_from, [*r.to, *r.cc]) for r in rows]


def bare_run(port: int, raws: list[bytes], envelopes: list[Envelope]) -> float:
    msgs = [message_from_bytes(raw, policy=policy.SMTP) for raw in raws]
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for msg, (sender, rcpts) in zip(msgs, envelopes, strict=True):
            s.send_message(msg, from_addr=sender, to_addrs=rcpts)
    return time.perf_counter() - start


def wait_for_port(port: int) -> None:
    import socket

    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP sink did not start")


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
    # the sink runs in its own process, as a real relay would: it does not share our GIL
    sink = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "devsink.py"), "--port", str(port),
                             "--discard"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            bundle = build_bundle(make_repo(work / "repo", port=port))
            n = args.events
            dispatcher_run(bundle, work, 20, "warmup", pipelined=False)
            seq = min(dispatcher_run(bundle, work, n, f"seq{r}", pipelined=False) for r in range(2))
            pipe = min(dispatcher_run(bundle, work, n, f"pipe{r}", pipelined=True) for r in range(2))
            two = min(two_process_run(bundle, work, n, f"two{r}") for r in range(2))
            raws, envs = finished_messages(work, "seq0")
            bare = min(bare_run(port, raws, envs) for _ in range(3))
            print(f"bare smtplib send_message, one connection:        {n / bare:8.1f} messages/s")
            print(f"dispatcher, one event after another (dispatch):   {n / seq:8.1f} events/s"
                  f"  ratio {bare / seq:.2f}")
            print(f"dispatcher, sender loop on its own thread (serve): {n / pipe:8.1f} events/s"
                  f"  ratio {bare / pipe:.2f}")
            print(f"dispatcher + a sender worker process (2 cores):   {n / two:8.1f} events/s"
                  f"  ratio {bare / two:.2f}  (target >= 0.7)")
            print("  (each event: checked, planned, rendered to MIME, committed with fsync, delivered,"
                  " outcome recorded)")

            for i in range(args.cold_runs):
                ev = sample_event("flyers", trigger="order_received", event_id=f"cold-{i}")
                (work / f"cold-{i}.json").write_text(json.dumps(ev), encoding="utf-8")
            py = sys.executable
            # An installed wheel carries compiled bytecode; a checkout run with PYTHONDONTWRITEBYTECODE
            # would compile every module on each start, so compile them once first.
            subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "src" / "mailgitops")], check=True,
                           capture_output=True)
            base = cold([py, "-c", "import smtplib, sqlite3, jinja2"], args.cold_runs)
            ours_cold = cold([py, "-m", "mailgitops", "dispatch", "--bundle", str(bundle), "--event",
                              str(work / "cold-{i}.json"), "--outbox", str(work / "cold.sqlite"),
                              "--attachments-root", str(SAMPLES / "files")], args.cold_runs)
            print(f"cold python -c 'import smtplib, sqlite3, jinja2': {base * 1000:6.0f} ms")
            print(f"cold mailgitops dispatch (one event, sent):       {ours_cold * 1000:6.0f} ms")
            print(f"ratio: {ours_cold / base:.2f} (target <= 2)")
    finally:
        sink.terminate()
        sink.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
