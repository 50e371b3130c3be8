"""The print room's `timezone` on the machines that send: one without the system's zone files
still shows the print room's times (the `tzdata` dependency), and `serve` refuses to start with
a zone its machine does not know, where every email would have shown UTC instead."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops import bundle
from mailgitops.errors import MailgitopsError
from support.dispatchrepo import ROOT

RENDER = ("from mailgitops.render.jinja_env import render_tokens; "
          "print(render_tokens('de', '{{ t | datetime }}', {'t': '2026-07-01T10:30:00Z', "
          "'printroom': {'timezone': 'Europe/Berlin'}}).fill())")


def _render(tmp_path: Path, *, block_tzdata: bool = False) -> str:
    code = ("import sys; sys.modules['tzdata'] = None; " if block_tzdata else "") + RENDER
    env = {"PYTHONTZPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}  # no zone files where zoneinfo looks
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return proc.stdout.strip()


def test_a_machine_without_zone_files_still_shows_the_print_rooms_time(tmp_path: Path) -> None:
    """A slim container has no /usr/share/zoneinfo: the times came out in UTC."""
    assert _render(tmp_path) == "01.07.2026, 12:30 MESZ"
    # what it would be without the dependency: the check above is not true by accident
    assert _render(tmp_path, block_tzdata=True) == "01.07.2026, 10:30 UTC"


def test_serve_refuses_to_start_with_a_zone_its_machine_does_not_know(tmp_path: Path) -> None:
    from mailgitops.serve.service import Service

    doc = json.loads((ROOT / bundle.DEFAULT_PATH).read_bytes())
    doc["content"]["settings"]["workflow"]["timezone"] = "Europe/Atlantis"  # a newer zone than the machine's
    doc["hash"] = bundle.content_hash(doc["content"])
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MailgitopsError, match=r"the time zone `Europe/Atlantis` \(config/workflow.yaml "
                                              r"`timezone`\) is not in this machine's time zone database"):
        Service(odd, outbox=str(tmp_path / "o.sqlite"), attachments_root=None, token="t" * 32,
                delivery="production")
