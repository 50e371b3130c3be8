"""The SIZE a server names in its EHLO reply (RFC 1870) limits what is sent to it; a value that is
no size (5,000 digits, `²`, `0`, words) is taken as no limit given. int() raised on the first two
for every message, each held as `queued` with a Python error as its reason until it expired."""

from __future__ import annotations

import pytest

from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.dispatch.smtp_session import Session


def size_of(said: str) -> int | None:
    cfg = ServerConfig("127.0.0.1", 25)
    c = Connection(cfg)
    c.smtp = Session(cfg, None)  # not connected: only its EHLO features are read
    c.smtp.esmtp_features = {"size": said}
    return c.size_limit


@pytest.mark.parametrize(("said", "limit"), [
    ("35882577", 35882577), (" 1000 ", 1000), ("0", None), ("", None), ("9" * 5000, None), ("²", None),
    ("10MB", None), ("-5", None)])
def test_the_servers_size_limit(said: str, limit: int | None) -> None:
    assert size_of(said) == limit
