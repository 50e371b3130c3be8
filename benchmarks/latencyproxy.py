"""A TCP relay that adds a network round trip: each chunk is passed on half a round trip after
it arrived, in both directions, in order. Put in front of benchmarks/fastsink.py it stands for
a mail server that is not on the same machine (a hosted relay, the print room's provider).

    python benchmarks/latencyproxy.py --port N --to M [--rtt-ms 5]

Commands sent in one write (PIPELINING) cross together, so they cost one round trip, as on a
real network. Prints "ready" on stdout once it listens on 127.0.0.1:N.
"""

from __future__ import annotations

import argparse
import asyncio
import sys


async def _carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy `reader` to `writer`, each chunk `delay` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def take() -> None:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def give() -> None:
        while True:
            due, data = await queue.get()
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    await asyncio.gather(take(), give())


async def _serve(port: int, upstream: int, rtt: float) -> None:
    async def session(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream)
        try:
            await asyncio.gather(_carry(client_r, server_w, rtt / 2), _carry(server_r, client_w, rtt / 2))
        except (ConnectionError, OSError):
            pass
        finally:
            client_w.close()
            server_w.close()

    server = await asyncio.start_server(session, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True, help="where to listen, on 127.0.0.1")
    ap.add_argument("--to", type=int, required=True, help="the server's port on 127.0.0.1")
    ap.add_argument("--rtt-ms", type=float, default=5.0, help="the round trip to add (milliseconds)")
    args = ap.parse_args()
    asyncio.run(_serve(args.port, args.to, args.rtt_ms / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
