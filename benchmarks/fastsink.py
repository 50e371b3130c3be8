"""A minimal threaded SMTP responder for benchmarks: accepts everything, stores nothing.

    python benchmarks/fastsink.py --port N [--delay-ms D]

aiosmtpd spends ~8 ms on each message, which hides the cost of what sends to it. This answers
each command at once (one thread per connection, no parsing beyond the verb), so a benchmark
measures the client. `--delay-ms` holds each message that long before its 250, as a real relay
under load would. Prints "ready" on stdout once it listens.
"""

from __future__ import annotations

import argparse
import socketserver
import sys
import time


class _Session(socketserver.StreamRequestHandler):
    delay = 0.0
    # replies to pipelined commands go out as they are made: with Nagle's algorithm the second
    # small write would wait for the client's delayed ACK (~40 ms)
    disable_nagle_algorithm = True

    def handle(self) -> None:
        out = self.wfile
        out.write(b"220 fastsink ESMTP\r\n")
        out.flush()
        while line := self.rfile.readline(65536):
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                out.write(b"250-fastsink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
                          b"250 SIZE 52428800\r\n")
            elif verb == b"DATA":
                out.write(b"354 go ahead\r\n")
                out.flush()
                while (body := self.rfile.readline(1 << 20)) and body != b".\r\n":
                    pass
                if self.delay:
                    time.sleep(self.delay)
                out.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                out.write(b"221 bye\r\n")
                out.flush()
                return
            else:  # MAIL, RCPT, RSET, NOOP, AUTH...: all fine
                out.write(b"250 ok\r\n")
            out.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    args = ap.parse_args()
    _Session.delay = args.delay_ms / 1000
    with _Server(("127.0.0.1", args.port), _Session) as server:
        print("ready", flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
