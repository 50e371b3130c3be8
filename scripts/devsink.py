"""A local SMTP sink on 127.0.0.1 for the demo and for trying things out.

`.venv/bin/python scripts/devsink.py --port 2525 --out DIR` keeps every message it receives as
DIR/<n>.eml. It needs aiosmtpd, from the test extra. It lives here, not in the package: a print
room's installation sends to its real mail server and never runs it, so the wheel neither ships
it nor depends on aiosmtpd."""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpts: list[str]
    data: bytes


@dataclass
class SinkHandler:
    out: Path | None = None
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # a sink restarted on the same folder (the demo's "server down, then up") adds, never overwrites
        self.first = len(list(self.out.glob("*.eml"))) if self.out is not None and self.out.is_dir() else 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        with self.lock:
            self.messages.append(msg)
            if self.out is not None:
                self.out.mkdir(parents=True, exist_ok=True)
                (self.out / f"{self.first + len(self.messages):04d}.eml").write_bytes(msg.data)
        return "250 OK: kept by the mailgitops dev sink"


class DevSink:
    """Start with start(), stop with stop(); `messages` holds what arrived."""

    def __init__(self, port: int = 2525, out: Path | None = None) -> None:
        self.handler = SinkHandler(out)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)
        self.port = port

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> DevSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525,
                        help="the port to listen on, on 127.0.0.1 (not 8025: serve listens there)")
    parser.add_argument("--out", type=Path, default=Path("demo-out/sink"))
    parser.add_argument("--discard", action="store_true", help="keep nothing on disk (benchmarks)")
    args = parser.parse_args()
    sink = DevSink(args.port, None if args.discard else args.out).start()
    where = "discarding messages" if args.discard else f"writing to {args.out}/"
    print(f"dev SMTP sink on 127.0.0.1:{args.port}, {where} (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
