"""Scaling out: 1, 2 and 3 dispatcher processes on one PostgreSQL outbox, and on one SQLite file,
against a local SMTP server that takes a fixed time per message (so SMTP latency dominates, as
it does with a real relay).

    .venv/bin/python benchmarks/bench_scale.py [--events 120] [--delay-ms 50] [--json]

For each backend and each number of processes N:
- accepted: N processes each store their share of the events (check, render, commit; no
  sending), events/s over the slowest process;
- delivered: N `mailgitops outbox flush` processes started together drain the queue, messages/s
  from their start to the last one's end (process start included, as in real life).
PostgreSQL runs in a throwaway cluster (tests/support/pgcluster.py); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ["MAILGITOPS_DELIVERY"] = "production"  # the events' own recipients, at the local server

from support.dispatchrepo import MAILGITOPS, SAMPLES, build_bundle, make_repo, sample_event  # noqa: E402 -- after sys.path gains tests/
from support.pgcluster import PgCluster  # noqa: E402 -- after sys.path gains tests/
from support.smtpd import SmtpServer  # noqa: E402 -- after sys.path gains tests/


def accept_worker(bundle: str, outbox: str, first: int, count: int, tag: str) -> None:
    """One process storing events [first, first+count): prints its elapsed seconds."""
    from mailgitops.dispatch.api import Dispatcher

    with Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files") as d:
        start = time.perf_counter()
        for i in range(first, first + count):
            d.handle(sample_event("flyers", trigger="order_received", event_id=f"scale-{tag}-{i}"),
                     deliver=False)
        print(time.perf_counter() - start)


def _accept(bundle: Path, outbox: str, events: int, n: int, tag: str) -> float:
    share = [events // n + (1 if k < events % n else 0) for k in range(n)]
    starts = [sum(share[:k]) for k in range(n)]
    procs = [subprocess.Popen([sys.executable, __file__, "--accept-worker", str(bundle), outbox, str(s),
                               str(c), tag], stdout=subprocess.PIPE, text=True)
             for s, c in zip(starts, share, strict=True)]
    times = [float(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    return events / max(times)


def _deliver(bundle: Path, outbox: str, server: SmtpServer, messages: int, n: int) -> float:
    env = {**os.environ, "MAILGITOPS_RETENTION": "off"}
    before = len(server.messages)
    start = time.perf_counter()
    flush = [*MAILGITOPS, "outbox", "flush", "--bundle", str(bundle), "--outbox", outbox]
    procs = [subprocess.Popen(flush, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n)]
    for p in procs:
        p.wait(timeout=900)
    elapsed = time.perf_counter() - start
    got = len(server.messages) - before
    if got != messages:
        raise SystemExit(f"{got} of {messages} messages arrived: the run is not valid")
    return messages / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=120)
    parser.add_argument("--delay-ms", type=float, default=50.0, help="the SMTP server's time per message")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    server = SmtpServer().start()
    server.faults.delay = args.delay_ms / 1000
    cluster = PgCluster().start()
    results: dict[str, dict[int, tuple[float, float]]] = {"sqlite": {}, "postgresql": {}}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            bundle = build_bundle(make_repo(work / "repo", port=server.port))
            for backend, figures in results.items():
                for n in (1, 2, 3):
                    outbox = str(work / f"{n}.sqlite") if backend == "sqlite" else cluster.new_database()
                    accepted = _accept(bundle, outbox, args.events, n, f"{backend}-{n}")
                    delivered = _deliver(bundle, outbox, server, args.events, n)
                    figures[n] = (accepted, delivered)
                    print(f"{backend:10} {n} dispatcher(s): accepted {accepted:7.1f} events/s, "
                          f"delivered {delivered:6.1f} messages/s", flush=True)
    finally:
        cluster.stop()
        server.stop()
    base = results["postgresql"][1][1]
    print(f"\n{args.events} events, {args.delay_ms:g} ms per message at the SMTP server\n")
    print("| outbox | dispatchers | events/s accepted | messages/s delivered | vs 1 dispatcher | vs SQLite |")
    print("| --- | --- | --- | --- | --- | --- |")
    for backend, rows in results.items():
        for n, (acc, dlv) in rows.items():
            ones = rows[1][1]
            print(f"| {backend} | {n} | {acc:.1f} | {dlv:.1f} | {dlv / ones:.2f}x "
                  f"| {dlv / results['sqlite'][n][1]:.2f}x |")
    print(f"\nPostgreSQL, 3 dispatchers vs 1: {results['postgresql'][3][1] / base:.2f}x (aim >= 2.5x)")
    if args.json:
        print(json.dumps({b: {str(n): {"accepted_per_s": a, "delivered_per_s": d} for n, (a, d) in r.items()}
                          for b, r in results.items()}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--accept-worker":
        accept_worker(*sys.argv[2:4], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
        sys.exit(0)
    sys.exit(main())
