"""`serve` side by side with the previous server (the standard library's http.server, taken
from git history) in one run on this machine, against a fast SMTP sink:

    .venv/bin/python benchmarks/bench_serve.py [--seconds 10] [--old-ref 8683654] [--out FILE]

1. events/s accepted and p50/p99 latency at 1, 16 and 64 clients (levels interleaved: old, new,
   old, new...), with delivered/s over the same window;
2. 8 clients sustained: accepted/s vs delivered/s and the backlog left at the end;
3. 3,000 slow connections (request heads sent a byte a second) while 8 clients post events:
   their events/s and p99, the server's threads;
4. SIGTERM under load: time to exit, acknowledged events all in the outbox;
5. kill -9 under load, then `outbox flush` (leases expired by hand): nothing acknowledged is
   lost; messages delivered twice (ambiguous redeliveries) counted;
6. `--only keepup`: does sending keep up? This tree against `--before-ref` (both serve), against
   benchmarks/fastsink.py, 60 s at 1, 8 and 32 clients (benchmarks/serve_keepup.py).
Each server runs as its own process, so do the sink and the clients (benchmarks/serve_load.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import serve_keepup  # noqa: E402 -- benchmarks/, next to this script
from serve_run import LOAD, TOKEN, Kind, load, stop  # noqa: E402 -- benchmarks/, next to this script


def outbox_state(outbox: Path) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{outbox}?mode=ro", uri=True)
    events = {r[0] for r in db.execute("SELECT event_id FROM events")}
    statuses = dict(db.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall())
    ids = [r[0].strip("<>") for r in db.execute("SELECT message_id FROM messages")]
    ambiguous = db.execute("SELECT coalesce(sum(ambiguous), 0) FROM messages").fetchone()[0]
    db.close()
    return {"events": events, "statuses": statuses, "message_ids": ids, "ambiguous": ambiguous}


def throughput(kinds: list[Kind], seconds: float, work: Path) -> dict[str, Any]:
    servers = {k.name: k.start() for k in kinds}
    rows: dict[str, Any] = {}
    try:
        for clients in (1, 16, 64):
            for k in kinds:
                before = len(k.sent_ids())
                got = load(servers[k.name][1], clients, seconds, f"{k.name}-c{clients}", work)
                delivered = (len(k.sent_ids()) - before) / got["seconds"]
                rows[f"{k.name}/{clients}"] = {"accepted_per_s": got["accepted_per_s"], "p50": got["p50"],
                                               "p99": got["p99"], "delivered_per_s": delivered,
                                               "statuses": got["statuses"], "errors": got["errors"]}
                print(k.name, clients, json.dumps(rows[f"{k.name}/{clients}"]), flush=True)
    finally:
        for proc, _, _ in servers.values():
            stop(proc)
    return rows


def sustained(k: Kind, seconds: float, work: Path) -> dict[str, Any]:
    proc, port, outbox = k.start()
    try:
        before = len(k.sent_ids())
        got = load(port, 8, seconds, f"{k.name}-sustained", work)
        delivered = len(k.sent_ids()) - before
        backlog = sum(outbox_state(outbox)["statuses"].get(s, 0) for s in ("queued", "sending", "ambiguous"))
    finally:
        stop(proc)
    accepted = got["statuses"].get("202", 0)
    return {"accepted_per_s": accepted / got["seconds"], "delivered_per_s": delivered / got["seconds"],
            "ratio": delivered / max(1, accepted), "backlog_at_end": backlog, "p99": got["p99"]}


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def slow_connections(k: Kind, seconds: float, work: Path, count: int = 3000) -> dict[str, Any]:
    proc, port, _ = k.start()
    out = work / f"slow-{k.name}.json"
    try:
        slow = subprocess.Popen([sys.executable, LOAD, "slow", str(port), str(count), str(seconds + 8),
                                 str(out)])
        time.sleep(5)  # the slow connections are open before the measured clients start
        threads = threads_of(proc.pid)
        got = load(port, 8, seconds, f"{k.name}-slow", work)
        threads = max(threads, threads_of(proc.pid))
        slow.wait(120)
    finally:
        took = stop(proc)
    stats = json.loads(out.read_text(encoding="utf-8"))
    return {"accepted_per_s": got["accepted_per_s"], "p50": got["p50"], "p99": got["p99"],
            "errors": got["errors"], "statuses": got["statuses"], "server_threads": threads,
            "slow": stats, "exit_seconds": took}


def under_load(k: Kind, sig: int, work: Path) -> dict[str, Any]:
    proc, port, outbox = k.start()
    before = set(k.sent_ids())
    out = work / f"sig-{k.name}-{sig}.json"
    loader = subprocess.Popen([sys.executable, LOAD, "load", str(port), TOKEN, "16", "8",
                               f"{k.name}-sig{sig}", str(out)])
    time.sleep(4)
    took = stop(proc, sig)
    loader.wait(60)
    got = json.loads(out.read_text(encoding="utf-8"))
    state = outbox_state(outbox)
    lost = sorted(set(got["acked"]) - state["events"])
    result = {"exit_seconds": took, "acknowledged": len(got["acked"]),
              "acknowledged_not_in_outbox": len(lost), "left_sending": state["statuses"].get("sending", 0)}
    if sig == signal.SIGKILL:  # what a restart would do once the leases run out
        db = sqlite3.connect(outbox)
        db.execute("UPDATE messages SET lease_until=0 WHERE status='sending'")
        db.commit()
        db.close()
        k.py(["-m", "mailgitops", "outbox", "flush", "--bundle", str(k.bundle), "--outbox", str(outbox)])
        state = outbox_state(outbox)
    delivered = [m for m in k.sent_ids() if m not in before]
    wanted = set(state["message_ids"])
    counts = {m: delivered.count(m) for m in set(delivered)} if len(delivered) < 50_000 else {}
    result.update({"messages": len(wanted), "never_delivered": len(wanted - set(delivered)),
                   "delivered_twice": sum(1 for n in counts.values() if n > 1),
                   "ambiguous_in_outbox": state["ambiguous"], "statuses_after": state["statuses"]})
    return result


def table(f: dict[str, Any]) -> str:
    """The figures as the Markdown tables of docs/serve.md."""
    out = ["| clients | previous events/s | new events/s | ratio | previous p50 / p99 ms | new p50 / p99 ms |"
           " new delivered/s |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in (1, 16, 64):
        o, n = f.get("throughput", {}).get(f"old/{c}"), f.get("throughput", {}).get(f"new/{c}")
        if o and n:
            out.append(f"| {c} | {o['accepted_per_s']:.0f} | {n['accepted_per_s']:.0f} | "
                       f"{n['accepted_per_s'] / max(o['accepted_per_s'], 0.01):.2f}x | {o['p50']:.0f} / "
                       f"{o['p99']:.0f} | {n['p50']:.0f} / {n['p99']:.0f} | {n['delivered_per_s']:.0f} |")
    out += ["", "| scenario | previous | new |", "| --- | --- | --- |"]
    for key, label, fmt in (
            ("sustained", "8 clients: accepted/s, delivered/s, backlog at end",
             "{accepted_per_s:.0f}, {delivered_per_s:.0f} ({ratio:.2f}), {backlog_at_end}"),
            ("slow", "3,000 slow connections: 8 clients' events/s, p99 ms, server threads",
             "{accepted_per_s:.0f}, {p99:.0f}, {server_threads}"),
            ("SIGTERM", "SIGTERM under 16 clients: s to exit, acknowledged, lost, left sending",
             "{exit_seconds:.1f}, {acknowledged}, {acknowledged_not_in_outbox}, {left_sending}"),
            ("SIGKILL", "kill -9 under 16 clients, then flush: acknowledged, lost, never delivered, "
             "delivered twice, counted ambiguous",
             "{acknowledged}, {acknowledged_not_in_outbox}, {never_delivered}, {delivered_twice}, "
             "{ambiguous_in_outbox}")):
        o, n = f.get(f"{key}/old"), f.get(f"{key}/new")
        if o and n:
            out.append(f"| {label} | {fmt.format(**o)} | {fmt.format(**n)} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--old-ref", default="8683654", help="the commit whose serve is the previous server")
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    ap.add_argument("--table", default=None, help="print the tables of a JSON written by --out, and stop")
    ap.add_argument("--only", default="throughput,sustained,slow,signals",
                    help="a comma-separated subset of: throughput, sustained, slow, signals; or keepup")
    ap.add_argument("--before-ref", default="HEAD", help="keepup: the commit to compare this tree with")
    ap.add_argument("--levels", default="1,8,32", help="keepup: numbers of clients")
    args = ap.parse_args()
    if args.table:
        got = json.loads(Path(args.table).read_text(encoding="utf-8"))
        print(serve_keepup.table(got["keepup"]) if "keepup" in got else table(got))
        return
    if args.only == "keepup":
        return serve_keepup.run(args)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        kinds = [Kind("old", serve_keepup.tree_at(args.old_ref, work / "old-src"), work),
                 Kind("new", ROOT / "src", work)]
        figures: dict[str, Any] = {"machine": f"{os.cpu_count()} cores, {os.uname().release}"}
        try:
            only = args.only.split(",")
            if "throughput" in only:
                figures["throughput"] = throughput(kinds, args.seconds, work)
            for k in kinds if "sustained" in only else []:
                figures[f"sustained/{k.name}"] = sustained(k, 2 * args.seconds, work)
                print("sustained", k.name, figures[f"sustained/{k.name}"], flush=True)
            for k in kinds if "slow" in only else []:
                figures[f"slow/{k.name}"] = slow_connections(k, args.seconds, work)
                print("slow", k.name, figures[f"slow/{k.name}"], flush=True)
            for k in kinds if "signals" in only else []:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    figures[f"{sig.name}/{k.name}"] = under_load(k, sig, work)
                    print(sig.name, k.name, figures[f"{sig.name}/{k.name}"], flush=True)
        finally:
            for k in kinds:
                k.sink.terminate()
        text = json.dumps(figures, indent=1, default=str)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(text)
        print(table(figures))


if __name__ == "__main__":
    main()
