"""Does `serve` keep up? At each number of clients, a fresh server and outbox of one source
tree (serve_run.Kind) against its own benchmarks/fastsink.py; clients POST events for the whole
window, and at its end:

- accepted/s (202 answers), p50/p99 of the answers, 503s;
- delivered/s: messages the outbox records as `sent` by the window's end (the sink stores nothing);
- the backlog (queued, sending, ambiguous) sampled from /metrics every 2 s, and left at the end
  of the window.

The backlog limit is raised for the run, so the raw rates are measured: with the default limit a
sender that falls behind shows up as 503s instead. Two users: `bench_serve.py --only keepup`
(two source trees, before and after a change, levels interleaved) and scripts/bench's serve rows
(`bench_rows`: this tree only, one table row per level).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchlib import Row
from serve_run import TOKEN, Kind, load

HERE = Path(__file__).resolve().parent
SAMPLE_EVERY = 2.0


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return -1.0


class Sampler(threading.Thread):
    """Backlog depth and oldest age from /metrics, every SAMPLE_EVERY seconds until stopped."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = f"http://127.0.0.1:{port}/metrics", token
        self.samples: list[tuple[float, float, float]] = []
        self.done = threading.Event()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def run(self) -> None:
        start = time.monotonic()
        while not self.done.wait(SAMPLE_EVERY):
            req = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {self.token}"})
            try:
                with self.opener.open(req, timeout=10) as r:
                    text = r.read().decode()
            except OSError:
                continue
            self.samples.append((round(time.monotonic() - start, 1),
                                 _metric(text, "mailgitops_backlog_messages"),
                                 _metric(text, "mailgitops_backlog_oldest_age_seconds")))


def outbox_sent(outbox: Path, until: float) -> tuple[int, int]:
    """(sent, still waiting) as the outbox stood at `until` (epoch seconds, the clients' window's
    end): what the senders finish while the clients' process exits is not counted as in the window."""
    db = sqlite3.connect(f"file:{outbox}?mode=ro", uri=True, timeout=30)
    try:
        sent, waiting = db.execute(
            "SELECT coalesce(sum(status = 'sent' AND sent_at <= :u), 0), coalesce(sum(created_at <= :u AND "
            "(status IN ('queued', 'sending', 'ambiguous') OR (status = 'sent' AND sent_at > :u))), 0) "
            "FROM messages", {"u": until}).fetchone()
    finally:
        db.close()
    return int(sent), int(waiting)


def measure(k: Kind, clients: int, seconds: float, work: Path) -> dict[str, Any]:
    """One window of `clients` clients against a fresh server of `k`."""
    proc, port, outbox = k.start()
    sampler = Sampler(port, TOKEN)
    sampler.start()
    try:
        loadavg = os.getloadavg()[0]
        got = load(port, clients, seconds, f"{k.name}-k{clients}-{k.runs}", work)
        sent, waiting = outbox_sent(outbox, got["ended_at"])
    finally:
        sampler.done.set()
        sampler.join(15)  # its last request is answered before the server goes
        k.stop(proc)
    accepted = got["statuses"].get("202", 0)
    return {"accepted_per_s": accepted / got["seconds"], "delivered_per_s": sent / got["seconds"],
            "ratio": sent / max(1, accepted), "p50": got["p50"], "p99": got["p99"],
            "refused_503": got["statuses"].get("503", 0), "errors": got["errors"],
            "backlog_at_end": waiting, "max_backlog": max((s[1] for s in sampler.samples), default=0),
            "max_oldest_age_s": max((s[2] for s in sampler.samples), default=0),
            "backlog_samples": sampler.samples, "loadavg_1m_at_start": loadavg, "seconds": got["seconds"]}


def keepup(kinds: list[Kind], levels: list[int], seconds: float, work: Path) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for clients in levels:
        for k in kinds:
            row = measure(k, clients, seconds, work)
            rows[f"{k.name}/{clients}"] = row
            print("keepup", k.name, clients, {x: v for x, v in row.items() if x != "backlog_samples"},
                  flush=True)
    return rows


def bench_rows(levels: list[int], seconds: float, work: Path, goal_at: int = 8) -> list[Row]:
    """scripts/bench's serve rows: this tree, one window per level, delivered/s against accepted/s.
    Only `goal_at` clients carries the goal (delivered >= 0.9x accepted); the others are reported."""
    kind = Kind("this", HERE.parent / "src", work, fast_sink=True)
    try:
        got = {}
        for clients in levels:
            print(f"  serve: {clients} clients for {seconds:g} s", file=sys.stderr, flush=True)
            got[clients] = measure(kind, clients, seconds, work)
    finally:
        kind.sink.terminate()
        kind.sink.wait(5)
    rows = []
    for clients, r in got.items():
        depth = " ".join(f"{s[1]:.0f}" for s in r["backlog_samples"]) or "no sample (window under 2 s)"
        rows.append(Row(
            f"serve, {clients} client{'s' if clients > 1 else ''}, {r['seconds']:.0f} s: delivered/s",
            "accepted/s, same window", [r["delivered_per_s"]], [r["accepted_per_s"]],
            0.9 if clients == goal_at else None, speed=True, rate=True, unit="/s",
            note=f"backlog every {SAMPLE_EVERY:g} s from /metrics: {depth}"
                 + ("" if clients == goal_at else f"; no goal at {clients} (the goal is set at {goal_at})"),
            extra={"p50/p99": f"{r['p50']:.0f}/{r['p99']:.0f} ms",
                   "backlog max/end": f"{r['max_backlog']:.0f}/{r['backlog_at_end']}",
                   "oldest max": f"{r['max_oldest_age_s']:.1f} s", "503s": str(r["refused_503"]),
                   "errors": str(r["errors"])}))
    return rows


def tree_at(ref: str, dest: Path) -> Path:
    """The src/ of commit `ref`, unpacked under `dest`."""
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def run(args: argparse.Namespace) -> None:
    """bench_serve.py --only keepup: this tree against `--before-ref`, levels interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kinds: list[Kind] = []
        figures: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, {os.uname().release}",
                                   "before_ref": args.before_ref}
        try:  # each sink is stopped at the end, even when the run is interrupted while starting
            kinds.append(Kind("before", tree_at(args.before_ref, work / "before-src"), work, fast_sink=True))
            kinds.append(Kind("after", HERE.parent / "src", work, fast_sink=True))
            figures["keepup"] = keepup(kinds, [int(n) for n in args.levels.split(",")], args.seconds, work)
        finally:
            for k in kinds:
                k.sink.terminate()
        if args.out:
            Path(args.out).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        print(table(figures["keepup"]))


def table(rows: dict[str, Any], names: tuple[str, str] = ("before", "after")) -> str:
    out = ["| clients | tree | accepted/s | delivered/s | delivered / accepted | p50 / p99 ms | "
           "backlog max, at end | oldest waiting max s | load (1 min) |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    levels = sorted({int(key.split("/")[1]) for key in rows})
    for c in levels:
        for name in names:
            r = rows.get(f"{name}/{c}")
            if r:
                out.append(f"| {c} | {name} | {r['accepted_per_s']:.0f} | {r['delivered_per_s']:.0f} | "
                           f"{r['ratio']:.2f} | {r['p50']:.0f} / {r['p99']:.0f} | "
                           f"{r['max_backlog']:.0f}, {r['backlog_at_end']} | {r['max_oldest_age_s']:.1f} | "
                           f"{r['loadavg_1m_at_start']:.1f} |")
    return "\n".join(out)
