"""An event file that cannot be read as JSON says why in words a developer acts on: empty, not
UTF-8 (with the byte and where), or the JSON error itself; a UTF-8 byte order mark is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.dispatch.event import load_json
from mailgitops.errors import MailgitopsError
from support.dispatchrepo import cli


@pytest.mark.parametrize(("raw", "said"), [
    (b"", "event.json: the event is empty; nothing was queued"),
    (b"  \n\t\n", "event.json: the event is empty; nothing was queued"),
    # \xff\xfe read as a UTF-16 byte order mark: "Expecting value: line 1 column 1 (char 0)"
    (b'\xff\xfe{"event_id": "x"}', "event.json: not UTF-8 text (byte 0xff at offset 0); nothing was queued"),
    ('{"customer": {"name": "Zoë"}}'.encode("latin-1"),
     "event.json: not UTF-8 text (byte 0xeb at offset 25); nothing was queued"),
    (b'{"event_id": ', "event.json: not valid JSON (Expecting value: line 1 column 14 (char 13))"),
])
def test_unreadable_event_text_is_named(raw: bytes, said: str) -> None:
    with pytest.raises(MailgitopsError) as caught:
        load_json(raw, "event.json")
    assert caught.value.message.startswith(said), caught.value.message


def test_a_byte_order_mark_and_text_both_read() -> None:
    assert load_json(b'\xef\xbb\xbf{"event_id": "bom"}', "e") == {"event_id": "bom"}
    assert load_json('{"name": "Zoë"}', "e") == {"name": "Zoë"}


def test_dispatch_of_an_empty_file_exits_1_saying_so(tmp_path: Path) -> None:
    empty = tmp_path / "event.json"
    empty.write_bytes(b"")
    got = cli("dispatch", "--event", str(empty), "--outbox", str(tmp_path / "o.sqlite"),
              env={"MAILGITOPS_DELIVERY": "production"})
    assert got.returncode == 1, got.stderr
    assert f"error: {empty}: the event is empty; nothing was queued" in got.stderr
    assert "Traceback" not in got.stderr
    assert got.stdout == ""


def test_a_yaml_event_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A sample order saved as Latin-1 was read with U+FFFD for each odd byte and sent: 'Zo\ufffd'."""
    event = tmp_path / "order.yaml"
    event.write_bytes("event_id: latin-1\ncustomer: {name: Zoë}\n".encode("latin-1"))
    got = cli("dispatch", "--event", str(event), "--outbox", str(tmp_path / "o.sqlite"),
              env={"MAILGITOPS_DELIVERY": "production"})
    assert got.returncode == 1, got.stderr
    assert f"{event}: not UTF-8 text (byte 0xeb at offset 37); nothing was queued" in got.stderr
    assert not (tmp_path / "o.sqlite").exists()


def test_an_event_on_stdin_is_named_stdin_in_every_message(tmp_path: Path) -> None:
    """Not JSON and refused values alike say `stdin:`; a JSON error said `-:`."""
    env = {"MAILGITOPS_DELIVERY": "production"}
    box = str(tmp_path / "o.sqlite")
    got = cli("dispatch", "--event", "-", "--outbox", box, env=env, stdin="{bad")
    assert got.returncode == 1, got.stderr
    assert got.stderr.startswith("error: stdin: not valid JSON ("), got.stderr
    got = cli("dispatch", "--event", "-", "--outbox", box, env=env, stdin='{"event_id": 7}')
    assert got.returncode == 1, got.stderr
    assert "error: stdin: the event was refused" in got.stderr and "-:" not in got.stderr
