"""The outbox's large-part storage gives the same skeleton and parts whether it parses the message
or is handed the bodies by the code that wrote it, and joins back to the exact bytes."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from mailgitops.dispatch import blobs
from mailgitops.model import Mailbox
from mailgitops.render.email import RenderedEmail
from mailgitops.render.mime import FileAttachment, build_message
from mailgitops.render.mime_bytes import serialise

DATE = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("sizes", [(), (100,), (12_000,), (13_000, 200_000), (200_000, 200_000), (900_000,)])
def test_written_bodies_split_as_parsing_would(sizes: tuple[int, ...]) -> None:
    same = os.urandom(max(sizes, default=0))
    # cut from one random run: two equal ones are found twice, so both ways leave them inline
    atts = [FileAttachment(f"f{i}.pdf", "application/pdf", same[:n]) for i, n in enumerate(sizes)]
    html = "<p>" + "long paragraph " * 2000 + "</p>"  # a quoted-printable part over the threshold
    email = RenderedEmail("t", "en", "Proof", "", html, "x\n", (), ())
    msg = build_message(email, sender=Mailbox("p@example.com"), to=[("Ada", "ada@example.org")], cc=[],
                        message_id="<m1@example.com>", date=DATE, attachments=atts)
    raw, bodies = serialise(msg)
    assert bodies is not None
    got = blobs.split(raw, bodies)
    assert got == blobs.split(raw)
    skeleton, parts = got
    assert blobs.join(skeleton, lambda hashes: {h: parts[h] for h in hashes}) == raw
    assert len(skeleton) < len(raw) or not parts


def test_bodies_that_are_not_in_the_message_change_nothing() -> None:
    raw = b"Content-Type: text/plain\r\n\r\n" + b"A" * 40_000 + b"\r\n"
    assert blobs.split(raw, [b"B" * 40_000]) == (raw, {})
