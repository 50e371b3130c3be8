"""`serve` that cannot listen names what to change: the port when it is taken, the host when it is
not an address of this machine (the hint said "pick a free port" for both)."""

from __future__ import annotations

import socket

import pytest

from mailgitops.errors import MailgitopsError
from mailgitops.serve.server import _listen


def test_an_address_of_another_machine_names_the_host() -> None:
    with pytest.raises(MailgitopsError) as caught:
        _listen("192.0.2.1", 0)  # TEST-NET-1: never an address of this machine, no DNS asked
    assert str(caught.value).startswith("cannot listen on 192.0.2.1:0: ")
    assert caught.value.hint is not None and caught.value.hint.startswith("give --host an address")


def test_a_port_in_use_names_the_port() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        port = taken.getsockname()[1]
        with pytest.raises(MailgitopsError) as caught:
            _listen("127.0.0.1", port)
        assert caught.value.hint == "pick a free port with --port, or stop what is using it"
    finally:
        taken.close()


def test_the_help_example_keeps_its_line_continuation() -> None:
    """The docstring's backslash joined the curl example into one line padded with spaces; the
    help shows it as written, ready to paste into a shell."""
    from click.testing import CliRunner

    from mailgitops.cli.main import cli

    lines = CliRunner().invoke(cli, ["serve", "--help"]).output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("curl "))
    assert lines[at].endswith("-H 'Content-Type: application/json' \\")
    assert lines[at + 1].split() == ["--data-binary", "@event.json", "http://127.0.0.1:8025/events"]
