"""One `serve` under load, as the serve benchmarks run it: a source tree of mailgitops with its
own fast SMTP sink and bundle (Kind), the clients (serve_load.py, a process of its own), and a
clean stop. bench_serve.py, serve_keepup.py and scripts/bench's serve rows all start servers here.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from benchlib import start_fastsink  # noqa: E402 -- benchmarks/, next to this module

from support.dispatchrepo import SAMPLES, make_repo  # noqa: E402 -- after sys.path gains tests/
from support.smtpd import free_port  # noqa: E402 -- after sys.path gains tests/

LOAD = str(ROOT / "benchmarks" / "serve_load.py")
TOKEN = secrets.token_hex(24)  # 48 characters, made at each run: no token sits in git
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Kind:
    """One server implementation: its source tree, its sink and its bundle."""

    def __init__(self, name: str, src: Path, work: Path, *, fast_sink: bool = False) -> None:
        self.name, self.src, self.work = name, src, work / name
        self.work.mkdir()
        self.sink_port = free_port()
        self.ids = self.work / "sink-ids.txt"
        self.ids.touch()
        if fast_sink:  # stores nothing: what was delivered is read from the outbox
            self.sink = start_fastsink(self.sink_port)
        else:
            self.sink = subprocess.Popen([sys.executable, LOAD, "sink", str(self.sink_port), str(self.ids)],
                                         stdout=subprocess.PIPE, text=True)
            assert self.sink.stdout is not None and self.sink.stdout.readline().strip() == "ready"
        repo = make_repo(self.work / "repo", port=self.sink_port)
        self.bundle = self.work / "bundle.json"
        self.py(["-c", "from pathlib import Path\ntry:\n from mailgitops.bundle_build import write\n"
                       "except ImportError:  # the previous server's tree\n"
                       " from mailgitops.bundle import write\n"
                       f"write(Path({str(repo)!r}), Path({str(self.bundle)!r}))"])
        self.runs = 0

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.src), "MAILGITOPS_API_TOKEN": TOKEN,
                "MAILGITOPS_MAX_BACKLOG": "100000", "MAILGITOPS_DELIVERY": "production"}

    def py(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], env=self.env(), check=True, capture_output=True,
                              text=True, cwd=self.work)

    def start(self) -> tuple[subprocess.Popen[str], int, Path]:
        self.runs += 1
        port, outbox = free_port(), self.work / f"outbox-{self.runs}.sqlite"
        proc = subprocess.Popen([sys.executable, "-m", "mailgitops", "serve", "--bundle", str(self.bundle),
                                 "--outbox", str(outbox), "--port", str(port), "--attachments-root",
                                 str(SAMPLES / "files")], env=self.env(), cwd=self.work,
                                stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with OPENER.open(f"http://127.0.0.1:{port}/health", timeout=5):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, f"{self.name} did not start"
                time.sleep(0.1)
        return proc, port, outbox

    @staticmethod
    def stop(proc: subprocess.Popen[str]) -> float:
        return stop(proc)

    def sent_ids(self) -> list[str]:
        return [m.strip("<>") for m in self.ids.read_text(encoding="utf-8").split()]


def load(port: int, clients: int, seconds: float, prefix: str, work: Path) -> dict[str, Any]:
    out = work / f"load-{prefix}.json"
    subprocess.run([sys.executable, LOAD, "load", str(port), TOKEN, str(clients), str(seconds), prefix,
                    str(out)], check=True)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    lat = sorted(result["latencies"]) or [0.0]
    result["p50"] = statistics.median(lat)
    result["p99"] = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    result["accepted_per_s"] = result["statuses"].get("202", 0) / result["seconds"]
    return result


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> float:
    start = time.monotonic()
    proc.send_signal(sig)
    proc.wait(120)
    return time.monotonic() - start

