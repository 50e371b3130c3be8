"""The console entry: `dispatch` with plain options skips click; everything else goes to click."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.cli.entry import parse_dispatch


def test_plain_dispatch_options_are_parsed_like_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGITOPS_OUTBOX", "/var/lib/outbox.sqlite")
    monkeypatch.delenv("MAILGITOPS_ATTACHMENTS_ROOT", raising=False)
    monkeypatch.delenv("MAILGITOPS_BUNDLE", raising=False)
    opts = parse_dispatch(["--event", "-", "--bundle=b.json", "--attachments-root", "/srv/jobs",
                           "--queue-only"])
    assert opts == {"bundle": "b.json", "event": "-", "outbox": "/var/lib/outbox.sqlite",
                    "attachments_root": "/srv/jobs", "queue_only": True, "delivery": None}
    opts = parse_dispatch(["--event", "e.json", "--delivery", "redirect:qa@example.com"])
    assert opts is not None
    assert opts["delivery"] == "redirect:qa@example.com"


@pytest.mark.parametrize("argv", [
    [],                                   # --event is required: click says so
    ["--help"],
    ["--event"],                          # missing value
    ["--event", "--outbox", "x"],         # an option where a value belongs
    ["--evnt", "e.json"],                 # a typo: click suggests --event
    ["--event", "a.json", "--event", "b.json"],
    ["--queue-only=yes", "--event", "e.json"],
])
def test_anything_unusual_is_left_to_click(argv: list[str]) -> None:
    assert parse_dispatch(argv) is None


def test_dispatch_through_the_entry_does_not_import_click(tmp_path: Path) -> None:
    """`mailgitops dispatch` runs once per status event: its cold start must not pay for click."""
    code = ("import sys, atexit\n"
            "atexit.register(lambda: sys.stderr.write('CLICK=' + str('click' in sys.modules)))\n"
            "sys.argv = ['mailgitops', 'dispatch', '--event', sys.argv[1], '--bundle', sys.argv[2]]\n"
            "from mailgitops.cli.entry import main\nmain()\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "missing.json"),
                           str(tmp_path / "b.json")], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "cannot read the event" in proc.stderr
    assert "CLICK=False" in proc.stderr
    assert "Traceback" not in proc.stderr
