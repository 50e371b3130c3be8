"""Helpers for bench_serve.py, each run as its own process so that none shares a GIL with what
it measures:

    serve_load.py sink PORT IDS_FILE          a fast SMTP sink: threads, no parsing beyond the
                                              commands; appends each Message-ID to IDS_FILE
    serve_load.py load PORT TOKEN CLIENTS SECONDS PREFIX OUT
                                              CLIENTS clients POST events for SECONDS over
                                              keep-alive (reconnecting when the server closes);
                                              OUT gets statuses, latencies and acknowledged ids
    serve_load.py slow PORT COUNT SECONDS OUT  COUNT connections that send a request head one
                                              byte at a time, reopened when the server closes them
"""

from __future__ import annotations

import asyncio
import json
import socketserver
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


class _Smtp(socketserver.StreamRequestHandler):
    ids: Any = None

    def handle(self) -> None:
        w = self.wfile
        w.write(b"220 sink ESMTP\r\n")
        for line in self.rfile:
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                w.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif cmd == b"DATA":
                w.write(b"354 go\r\n")
                mid = b""
                for body in self.rfile:
                    if body == b".\r\n":
                        break
                    if not mid and body[:11].lower() == b"message-id:":
                        mid = body[11:].strip()
                self.ids.write(mid.decode() + "\n")
                self.ids.flush()
                w.write(b"250 queued\r\n")
            elif cmd == b"QUIT":
                w.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                w.write(b"250 ok\r\n")


def sink(port: int, ids_file: str) -> None:
    _Smtp.ids = open(ids_file, "a", encoding="utf-8")  # noqa: SIM115 -- open for the process's life
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), _Smtp) as srv:
        print("ready", flush=True)
        srv.serve_forever()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    version, status = lines[0].split(b" ")[0], int(lines[0].split(b" ")[1])
    length, close = 0, version == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    await reader.readexactly(length)
    return status, close


async def _client(port: int, token: str, until: float, prefix: str, out: dict[str, Any]) -> None:
    from support.dispatchrepo import sample_event

    template = sample_event("flyers", trigger="order_received", event_id="X")
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    n = 0
    while time.monotonic() < until:
        event_id = f"{prefix}-{n}"
        n += 1
        body = json.dumps({**template, "event_id": event_id}).encode()
        req = (f"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        start = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", port)
            conn[1].write(req)
            status, close = await _read_answer(conn[0])
        except (OSError, asyncio.IncompleteReadError, ValueError):
            out["errors"] += 1
            conn = None
            await asyncio.sleep(0.01)
            continue
        out["latencies"].append(1000 * (time.perf_counter() - start))
        out["statuses"][str(status)] = out["statuses"].get(str(status), 0) + 1
        if status in (200, 202):
            out["acked"].append(event_id)
        if close:
            conn[1].close()
            conn = None
    if conn is not None:
        conn[1].close()


def load(port: int, token: str, clients: int, seconds: float, prefix: str, out_file: str) -> None:
    out: dict[str, Any] = {"statuses": {}, "latencies": [], "acked": [], "errors": 0}
    until = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(*(_client(port, token, until, f"{prefix}-{i}", out) for i in range(clients)))

    start = time.monotonic()
    asyncio.run(main())
    out["seconds"] = time.monotonic() - start
    out["ended_at"] = time.time()  # the window's end on the clock the outbox's timestamps use
    Path(out_file).write_text(json.dumps(out), encoding="utf-8")


async def _slow_one(port: int, until: float, stats: dict[str, int]) -> None:
    head = b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["opened"] += 1
        try:
            for i in range(len(head)):
                if time.monotonic() >= until:
                    break
                writer.write(head[i:i + 1])
                await writer.drain()
                await asyncio.sleep(1.0)
                if reader.at_eof():
                    break
            stats["closed_by_server"] += int(time.monotonic() < until)
        except OSError:
            stats["closed_by_server"] += 1
        writer.close()


def slow(port: int, count: int, seconds: float, out_file: str) -> None:
    stats = {"opened": 0, "closed_by_server": 0, "refused": 0}
    until = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(*(_slow_one(port, until, stats) for _ in range(count)))

    asyncio.run(main())
    Path(out_file).write_text(json.dumps(stats), encoding="utf-8")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "sink":
        sink(int(args[0]), args[1])
    elif mode == "load":
        load(int(args[0]), args[1], int(args[2]), float(args[3]), args[4], args[5])
    else:
        slow(int(args[0]), int(args[1]), float(args[2]), args[3])
