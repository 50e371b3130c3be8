"""Debian's Chromium for the browser tests (Playwright, no browser download), and the console
served on 127.0.0.1 for them to visit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.smtpd import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched browser; a machine without Debian's Chromium fails the test (never a skip)."""
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's Chromium at /usr/bin/chromium (scripts/setup --test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` (the console's ASGI app) served by uvicorn on a free port; yields its base URL
    once it accepts connections, and stops it afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while True:  # the server is ready when it accepts a connection
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the console did not start"
            thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
