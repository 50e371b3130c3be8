"""Who holds a lease: this host, this process id and the process's start time, so that a row
left `sending` by a process that has died (kill -9, a crash, a reboot) is known at once instead
of after the lease runs out. The start time tells a reused process id from the original."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from functools import cache


@cache
def host() -> str:
    return socket.gethostname() or "localhost"


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # the command name may hold spaces and parentheses


def process_start(pid: int) -> float | None:
    """The process's start time in clock ticks since boot (Linux); None where /proc is not there."""
    fields = _stat(pid)
    return float(fields[19]) if fields and len(fields) > 19 else None


@cache
def boot() -> str:
    """This boot of the machine: the start of Linux's boot id; "" where /proc does not say."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()[:8]
    except OSError:
        return ""


def worker_id() -> str:
    """A sender's name in the leases it takes: its process id, a random part (not uuid or
    secrets: cold start) and, after an @, the boot it runs in."""
    return f"{os.getpid()}-{os.urandom(4).hex()}" + (f"@{boot()}" if boot() else "")


def _other_boot(worker: str) -> bool:
    """Whether the machine has restarted since this worker took its lease."""
    _, at, booted = worker.rpartition("@")
    return bool(at) and booted != boot()


@cache
def me() -> tuple[str, int, float | None]:
    return host(), os.getpid(), process_start(os.getpid())


def alive(pid: int, started: float | None) -> bool:
    """Whether the process that took a lease on this host still runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    fields = _stat(pid)
    if fields is None:
        return True  # no /proc: the process id is all there is to go by
    if fields[0] in ("Z", "X"):
        return False
    return started is None or process_start(pid) == started


IN_FLIGHT = "the process sending it ended mid-delivery; sent again with the same Message-ID"
UNTRIED = "claimed by a process that ended before trying it; queued again"


Held = tuple[int, str]  # (row id, worker)


def orphans(held: Sequence[tuple[int, str, int | None, float | None]], *,
            durable_records: bool = False) -> tuple[list[Held], list[Held]]:
    """Rows (id, worker, pid, start) left `sending` by dead processes on this host, split into those
    that may have gone out and those never tried. A sender works through its claimed rows in id
    order and records each before the next, so of one dead worker's rows only the lowest id can
    have been in flight: it is ambiguous; the rest were never started and are simply queued again.
    Unless the machine restarted meanwhile and the outbox writes those records without waiting
    for the disk (SQLite's; `durable_records` False): then a record may be lost with the power,
    and every row the worker still holds may have gone out."""
    dead = sorted((r[0], r[1]) for r in held if r[2] is not None and not alive(r[2], r[3]))
    seen: set[str] = set()
    maybe: list[Held] = []
    untried: list[Held] = []
    for row_id, worker in dead:
        lost_records = not durable_records and _other_boot(worker)
        (untried if worker in seen and not lost_records else maybe).append((row_id, worker))
        seen.add(worker)
    return maybe, untried
