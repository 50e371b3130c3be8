"""One log line per kind of refused connection, then at most one per QUIET_SECONDS with how many
more there were: a client opening a thousand idle connections wrote a thousand lines (one per
connection closed at the head deadline), burying the senders' lines and filling the journal."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field

QUIET_SECONDS = 10.0


@dataclass
class _Kind:
    until: float = 0.0  # the loop time before which lines of this kind are counted, not written
    held: int = 0
    hosts: set[str] = field(default_factory=set)
    timer: asyncio.TimerHandle | None = None


# per event loop: a test (or a second Server) runs its own, and a timer of a stopped loop never fires
_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Kind]] = weakref.WeakKeyDictionary()


def closed(loop: asyncio.AbstractEventLoop, host: str, why: str) -> None:
    """`closed a connection from HOST: WHY`, or counted toward the next summary line of `why`."""
    kind = _LOOPS.setdefault(loop, {}).setdefault(why, _Kind())
    now = loop.time()
    if now >= kind.until and kind.timer is None:
        _say(f"closed a connection from {host}: {why}")
        kind.until = now + QUIET_SECONDS
        return
    kind.held += 1
    kind.hosts.add(host)
    if kind.timer is None:
        kind.timer = loop.call_at(kind.until, _summary, loop, why)


def _summary(loop: asyncio.AbstractEventLoop, why: str) -> None:
    kind = _LOOPS[loop][why]
    hosts = ", ".join(sorted(kind.hosts)[:3]) + (" ..." if len(kind.hosts) > 3 else "")
    _say(f"closed {kind.held} more connection(s) in the last {QUIET_SECONDS:g} s from {hosts}: {why}")
    kind.held, kind.hosts, kind.timer = 0, set(), None
    kind.until = loop.time() + QUIET_SECONDS


def _say(line: str) -> None:
    logging.getLogger("uvicorn.error").warning("%s", line)
