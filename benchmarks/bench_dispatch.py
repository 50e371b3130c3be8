"""scripts/bench's dispatch rows: the dispatcher in one process against a bare smtplib loop
resending the same bytes to the same server, for each event from the event to the delivered
mail, and for delivery alone (`outbox flush` of the same messages queued: the claim, the
checksum, the per-recipient record); benchmarks/fastsink.py (a minimal threaded
responder, which shows the client's own cost), aiosmtpd (the suite's fault-injecting server) and
the suite's Postfix (a real mail server that queues every message to disk); against the fast
sink also the loop with a durable commit per message; serve's own arrangement (events answered
`queued`, its sender pool delivering: benchmarks/dispatch_senders.py); and the cold `dispatch`
command against the bare imports.

Run on its own, it prints those rows (what `scripts/bench --only dispatch,cold` prints; the same
options, e.g. `--rounds 7`, `--dispatch-servers fast,aiosmtpd`):

    .venv/bin/python benchmarks/bench_dispatch.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchlib import MG, ROOT, Row, cold_env, interleaved, start_fastsink
from benchlib import run_timed as timed_cmd

DISPATCH_WORKER = r"""
import json, os, sys, time
from pathlib import Path
os.environ.setdefault("MAILGITOPS_DELIVERY", "production")
from mailgitops.dispatch.api import Dispatcher
bundle, outbox, files = sys.argv[1], sys.argv[2], sys.argv[4]
events = json.loads(Path(sys.argv[3]).read_text())
start = time.perf_counter()
statuses = []
with Dispatcher.load(bundle, outbox=outbox, attachments_root=Path(files)) as d:
    for ev in events:
        statuses += [m["status"] for m in d.handle(ev).to_json()["messages"]]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "not_sent": [s for s in statuses if s not in ("sent", "draft")]}))
"""
# Delivery alone, timed as DISPATCH_WORKER is (after the imports): open the outbox, load the
# bundle's server settings, send every due message and record each recipient's result.
FLUSH_WORKER = r"""
import json, os, sys, time
os.environ.setdefault("MAILGITOPS_DELIVERY", "production")
from mailgitops.dispatch.api import Dispatcher
start = time.perf_counter()
with Dispatcher.load(sys.argv[1], outbox=sys.argv[2]) as d:
    report = d.flush(force=True)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "report": report.to_json()}))
"""
# Queue the events without sending them (what `mailgitops dispatch --queue-only` does), untimed.
QUEUE_WORKER = r"""
import json, os, sys
os.environ.setdefault("MAILGITOPS_DELIVERY", "production")
from pathlib import Path
from mailgitops.dispatch.api import Dispatcher
with Dispatcher.load(sys.argv[1], outbox=sys.argv[2], attachments_root=Path(sys.argv[4])) as d:
    for ev in json.loads(Path(sys.argv[3]).read_text()):
        d.handle(ev, deliver=False)
"""
BARE_WORKER = r"""
import json, smtplib, sqlite3, sys, time
rows = sqlite3.connect(sys.argv[2]).execute(
    "select envelope_from, raw, rcpts_json from bench_raw order by id").fetchall()
start = time.perf_counter()
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    for sender, raw, rcpts in rows:
        s.sendmail(sender, json.loads(rcpts), raw)
print(json.dumps({"seconds": time.perf_counter() - start, "n": len(rows)}))
"""

# The same loop with what a durable outbox must do per message at the least: commit it to disk
# (SQLite WAL, synchronous=FULL, one fsync) before sending, record the result after (NORMAL, as
# the dispatcher's own record of an attempt). Not a goal: it shows how much of the gap to the
# bare loop is the durability promise itself rather than rendering or bookkeeping.
BARE_DURABLE_WORKER = r"""
import json, smtplib, sqlite3, sys, time
rows = sqlite3.connect(sys.argv[2]).execute(
    "select envelope_from, raw, rcpts_json from bench_raw order by id").fetchall()
db = sqlite3.connect(sys.argv[3], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("create table m (id integer primary key, raw blob, status text)")
start = time.perf_counter()
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    for sender, raw, rcpts in rows:
        db.execute("PRAGMA synchronous=FULL")
        row_id = db.execute("insert into m (raw, status) values (?, 'queued')", (raw,)).lastrowid
        s.sendmail(sender, json.loads(rcpts), raw)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("update m set status='sent' where id=?", (row_id,))
print(json.dumps({"seconds": time.perf_counter() - start, "n": len(rows)}))
"""


def _sink(delay_ms: float = 0.0) -> tuple[subprocess.Popen[str], int]:
    sys.path.insert(0, str(ROOT / "tests"))
    from support.smtpd import free_port

    port = free_port()
    return start_fastsink(port, delay_ms), port


def _events(n: int, tag: str) -> list[dict[str, object]]:
    """Events that differ as real traffic does: trigger (template) and customer language vary."""
    from support.dispatchrepo import sample_event

    triggers = ["order_accepted", "order_received", "order_ready", "order_dispatched", "order_rejected"]
    langs = ["en", "de", "fr", "nl", "zh"]
    out = []
    for i in range(n):
        ev = sample_event("flyers", trigger=triggers[i % len(triggers)], event_id=f"bench-{tag}-{i}")
        ev["customer"] = {**ev["customer"], "language": langs[(i // len(triggers)) % len(langs)]}
        out.append(ev)
    return out


SERVERS = {"fast": "fast threaded sink", "aiosmtpd": "aiosmtpd", "postfix": "Postfix",
           "relay": "a relay a few ms away"}
# A hosted relay or the provider's server is not on the dispatcher's machine: the fast sink behind
# benchmarks/latencyproxy.py with this round trip. Its rows carry no goal (the goal is set on
# the servers on this machine, where the client's own cost shows); they show what a round trip
# costs each side. The round trip measured through the proxy (its timers add a little) is
# printed in the rows' note.
RELAY_RTT_MS = 5.0
_measured_rtt: list[float] = []


def check_servers(names: list[str]) -> str | None:
    """Why a dispatch server asked for cannot run here, or None."""
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        return f"unknown --dispatch-servers {', '.join(unknown)}: choose from {', '.join(SERVERS)}"
    if "postfix" in names:
        sys.path.insert(0, str(ROOT / "tests"))
        from support.postfix import missing_tools

        why = missing_tools()
        if why:
            return (f"the Postfix rows cannot run: {why}; or leave them out: "
                    "--dispatch-servers fast,aiosmtpd,relay")
    return None


@contextmanager
def _server(kind: str) -> Iterator[int]:
    """The port of a running SMTP server of that kind, on 127.0.0.1, stopped afterwards."""
    if kind == "fast":
        sink, port = _sink()
        try:
            yield port
        finally:
            sink.terminate()
            sink.wait(5)
    elif kind == "relay":
        from support.smtpd import free_port

        sink, sink_port = _sink()
        port = free_port()
        cmd = [sys.executable, str(ROOT / "benchmarks/latencyproxy.py"), "--port", str(port),
               "--to", str(sink_port), "--rtt-ms", str(RELAY_RTT_MS)]
        proxy = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            assert proxy.stdout is not None and proxy.stdout.readline().strip() == "ready"
            _measured_rtt[:] = [_round_trip(port)]
            yield port
        finally:
            for proc in (proxy, sink):
                proc.terminate()
                proc.wait(5)
    elif kind == "aiosmtpd":
        from support.smtpd import SmtpServer

        srv = SmtpServer().start()  # a thread of this process; the measured sides are processes
        try:
            yield srv.port
        finally:
            srv.stop()
    else:
        from support.postfix import start_postfix

        pf = start_postfix(size_limit=50_000_000)  # the events' proofs and tickets stay under it
        try:
            yield pf.port
        finally:
            pf.stop()


def _round_trip(port: int) -> float:
    """The median seconds of an SMTP NOOP through the proxy (20 of them)."""
    import smtplib
    import statistics
    import time

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        times = []
        for _ in range(20):
            start = time.perf_counter()
            smtp.noop()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _goal(kind: str) -> float | None:
    return None if kind == "relay" else 0.7


def _where(kind: str) -> str:
    if kind == "relay":
        rtt = f"{_measured_rtt[0] * 1000:.1f} ms" if _measured_rtt else "a few ms"
        return (f"no goal: the fast sink behind benchmarks/latencyproxy.py, a round trip of {rtt} "
                "(measured with NOOP); the bare loop waits for each command's reply, the dispatcher "
                "pipelines the envelope")
    return f"{SERVERS[kind]} on 127.0.0.1"


def dispatch_rows(rounds: int, work: Path, n: int, servers: list[str]) -> list[Row]:
    rows: list[Row] = []
    for kind in servers:
        with _server(kind) as port:
            rows += _rows_against(kind, port, rounds, work / f"d-{kind}", n)
    return rows


def _rows_against(kind: str, port: int, rounds: int, work: Path, n: int) -> list[Row]:
    from support.dispatchrepo import SAMPLES, build_bundle, make_repo

    work.mkdir(parents=True, exist_ok=True)
    bundle = build_bundle(make_repo(work / "drepo", port=port))
    env = dict(os.environ, MAILGITOPS_DELIVERY="production")
    counter = iter(range(10_000))
    last: dict[str, Path] = {}

    def ours() -> float:
        tag = f"r{next(counter)}"
        ev_file = work / f"events-{tag}.json"
        ev_file.write_text(json.dumps(_events(n, tag)), encoding="utf-8")
        box = work / f"box-{tag}.sqlite"
        proc = subprocess.run([sys.executable, "-c", DISPATCH_WORKER, str(bundle), str(box), str(ev_file),
                               str(SAMPLES / "files")], capture_output=True, text=True, check=True,
                              env={**cold_env(), **{"MAILGITOPS_DELIVERY": "production"}})
        last["box"] = box
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if got["not_sent"]:  # a figure for mail that was not delivered would flatter
            raise SystemExit(f"{SERVERS[kind]}: {len(got['not_sent'])} messages not sent "
                             f"({sorted(set(got['not_sent']))}); the dispatch figure would be wrong")
        return float(got["seconds"])

    def bare() -> float:
        if "box" not in last:
            ours()
        raw_db = work / f"raw-{next(counter)}.sqlite"
        _export_raws(last["box"], raw_db)
        proc = subprocess.run([sys.executable, "-c", BARE_WORKER, str(port), str(raw_db)],
                              capture_output=True, text=True, check=True, env=env)
        return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])

    def durable() -> float:
        if "box" not in last:
            ours()
        i = next(counter)
        raw_db, box = work / f"raw-{i}.sqlite", work / f"durable-{i}.sqlite"
        _export_raws(last["box"], raw_db)
        cmd = [sys.executable, "-c", BARE_DURABLE_WORKER, str(port), str(raw_db), str(box)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])

    a, b = interleaved(ours, bare, rounds, f"dispatch vs smtplib, {SERVERS[kind]}")
    figure = f"dispatch {n} events, one process" + ("" if kind == "fast" else f", {SERVERS[kind]}")
    rows = [Row(figure, "bare smtplib loop, same bytes, same server", a, b, _goal(kind), speed=True,
                note=f"{_where(kind)}; events vary in trigger and language; ours includes "
                     "loading the bundle, checking, rendering, committing and recording each event")]
    if kind == "fast":
        c, d = interleaved(ours, durable, rounds, "dispatch vs smtplib with a durable commit")
        rows.append(Row(f"dispatch {n} events vs the durable floor", "same loop + fsynced commit per message",
                        c, d, None, speed=True,
                        note="no goal: the bare loop with only the outbox's durable commit before each "
                             "send and its record after; the gap left is rendering and bookkeeping"))
    from dispatch_senders import senders_rows

    rows += senders_rows(kind, SERVERS[kind], _where(kind), rounds, work, bundle, lambda tag: _events(n, tag),
                         SAMPLES / "files", bare)
    return rows + _flush_rows(kind, port, rounds, work, bundle, n)


def _flush_rows(kind: str, port: int, rounds: int, work: Path, bundle: Path, n: int) -> list[Row]:
    """`outbox flush` of the messages of n events, queued beforehand, against the bare loop
    resending the same bytes: each round flushes a fresh copy of the same queued outbox."""
    import shutil
    import sqlite3

    from support.dispatchrepo import SAMPLES

    env = {**cold_env(), "MAILGITOPS_DELIVERY": "production"}
    queued, raw_db = work / "queued.sqlite", work / "queued-raw.sqlite"
    ev_file = work / "queued-events.json"
    ev_file.write_text(json.dumps(_events(n, "queued")), encoding="utf-8")
    subprocess.run([sys.executable, "-c", QUEUE_WORKER, str(bundle), str(queued), str(ev_file),
                    str(SAMPLES / "files")], capture_output=True, text=True, check=True, env=env)
    with sqlite3.connect(queued) as con:  # one file: the copies below need no -wal beside them
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _export_raws(queued, raw_db)
    due = sqlite3.connect(raw_db).execute("select count(*) from bench_raw").fetchone()[0]
    counter = iter(range(10_000))

    def ours() -> float:
        box = work / f"flush-{next(counter)}.sqlite"
        shutil.copyfile(queued, box)
        cold = {**cold_env(), "MAILGITOPS_DELIVERY": "production"}  # each round's cache empty, as its own
        proc = subprocess.run([sys.executable, "-c", FLUSH_WORKER, str(bundle), str(box)],
                              capture_output=True, text=True, check=True, env=cold)
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        if got["report"]["sent"] != due:  # a figure for mail that was not delivered would flatter
            raise SystemExit(f"{SERVERS[kind]}: outbox flush sent {got['report']['sent']} of {due} "
                             f"messages ({got['report']}); the delivery figure would be wrong")
        return float(got["seconds"])

    def bare() -> float:
        proc = subprocess.run([sys.executable, "-c", BARE_WORKER, str(port), str(raw_db)],
                              capture_output=True, text=True, check=True, env=env)
        return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])

    a, b = interleaved(ours, bare, rounds, f"outbox flush vs smtplib, {SERVERS[kind]}")
    where = "" if kind == "fast" else f", {SERVERS[kind]}"
    figure = f"deliver {due} queued messages (outbox flush){where}"
    return [Row(figure, "bare smtplib loop, same bytes, same server", a, b, _goal(kind), speed=True,
                note=f"{_where(kind)}; ours opens the outbox, claims the due messages "
                     "(a durable commit per claim), checks each one's SHA-256, sends it and records "
                     "each recipient's result")]


def _export_raws(box: Path, dest: Path) -> None:
    """The messages the dispatcher sent, as bytes and envelopes, for the bare loop to resend."""
    import sqlite3

    from mailgitops.dispatch.outbox_sqlite import SqliteOutbox

    outbox = SqliteOutbox(box)
    rows = [r for r in outbox.rows(limit=100_000) if r.raw]
    outbox.close()
    con = sqlite3.connect(dest)
    con.execute("create table bench_raw (id integer primary key, envelope_from text, raw blob, "
                "rcpts_json text)")
    con.executemany("insert into bench_raw (envelope_from, raw, rcpts_json) values (?, ?, ?)",
                    [(r.envelope_from, r.raw, json.dumps([*r.to, *r.cc, *r.bcc])) for r in rows])
    con.commit()
    con.close()


def cold_rows(rounds: int, work: Path) -> list[Row]:
    from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event

    sink, port = _sink()
    try:
        bundle = build_bundle(make_repo(work / "crepo", port=port))
        counter = iter(range(10_000))
        warm_env = {**cold_env(), "MAILGITOPS_DELIVERY": "production"}

        def dispatch(env: dict[str, str]) -> float:
            i = next(counter)
            ev = sample_event("flyers", trigger="order_received", event_id=f"cold-{i}")
            path = work / f"cold-{i}.json"
            path.write_text(json.dumps(ev), encoding="utf-8")
            return timed_cmd([*MG, "dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox",
                              str(work / "cold.sqlite"), "--attachments-root", str(SAMPLES / "files")],
                             env=env)

        def base() -> float:
            return timed_cmd([sys.executable, "-c", "import smtplib, sqlite3, jinja2"])

        dispatch(warm_env)  # the warm cache holds what one dispatch stores
        a, b = interleaved(lambda: dispatch({**cold_env(), "MAILGITOPS_DELIVERY": "production"}), base,
                           rounds, "cold dispatch")
        c, d = interleaved(lambda: dispatch(warm_env), base, rounds, "warm-cache dispatch")
    finally:
        sink.terminate()
        sink.wait(5)
    anchor = "python -c 'import smtplib, sqlite3, jinja2'"
    return [Row("dispatch command, disk cache empty", anchor, a, b, 2.0, speed=False),
            Row("dispatch command, disk cache warm", anchor, c, d, 2.0, speed=False, cold=False)]


if __name__ == "__main__":  # the dispatch rows and the cold start alone, through bench.py's table
    import bench

    sys.argv = [sys.argv[0], "--only", "dispatch,cold", *sys.argv[1:]]
    sys.exit(bench.main())
