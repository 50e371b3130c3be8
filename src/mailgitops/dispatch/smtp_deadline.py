"""One SMTP reply must arrive whole within the timeout, and be of a sane size.

A socket timeout bounds each read, not a reply: a server (or something between) that sends one
byte a second never trips a 30 s timeout, and `dispatch` (or a serve sender) waited forever, its
message held in `sending`. smtplib reads replies through `SMTP.file`; this reader takes its place
and gives every reply the socket's timeout as its budget, and at most MAX_REPLY_BYTES."""

from __future__ import annotations

import io
import smtplib
import time
from typing import Any

# SMTP replies are short (a long EHLO list is about 1 KB); a megabyte of `250-` lines is an attack
MAX_REPLY_BYTES = 64 * 1024


class ReplyReader(io.RawIOBase):
    """The raw stream under smtplib's reply reading, over whichever socket the session holds now
    (STARTTLS replaces it), with a deadline and a byte budget set by `start` for each reply."""

    def __init__(self, smtp: smtplib.SMTP) -> None:
        super().__init__()
        self.smtp = smtp
        self.budget: float | None = None
        self.deadline: float | None = None
        self.left = MAX_REPLY_BYTES

    def start(self) -> None:
        """A new reply: the socket's timeout (what `_data` set for the final dot's reply included)
        is the time the whole reply may take."""
        sock = self.smtp.sock
        self.budget = sock.gettimeout() if sock is not None else None
        self.deadline = time.monotonic() + self.budget if self.budget else None
        self.left = MAX_REPLY_BYTES

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        sock = self.smtp.sock
        if sock is None:
            raise OSError("the connection is closed")
        if self.left <= 0:
            raise OSError(f"the reply is longer than {MAX_REPLY_BYTES:,} bytes")
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out")  # the words smtp_errors knows a timeout by
            sock.settimeout(remaining)
        try:
            n: int = sock.recv_into(memoryview(buf)[: self.left])
        finally:
            if self.budget is not None:
                sock.settimeout(self.budget)
        self.left -= n
        return n


def read_reply(smtp: smtplib.SMTP) -> None:
    """Start a reply's budget, first putting a reader under smtplib's reply reading if the
    session has none (after connect and STARTTLS smtplib drops it). A new reader each time: the
    dropped one is closed when it is collected, and a shared raw stream would close with it."""
    file = smtp.file
    if file is None:
        file = smtp.file = io.BufferedReader(ReplyReader(smtp))
    raw = getattr(file, "raw", None)
    if isinstance(raw, ReplyReader):
        raw.start()
