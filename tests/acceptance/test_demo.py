"""The README's first command, `scripts/demo`, as a newcomer runs it (no MAILGITOPS_ settings,
not from a terminal): it ends with its summary, every step it names worked, and it leaves no
process behind."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_demo_runs_from_start_to_end_as_the_readme_says() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILGITOPS_") and k != "CI"}
    proc = subprocess.run([str(ROOT / "scripts" / "demo")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout
    assert proc.returncode == 0, (out[-3000:], proc.stderr[-3000:])
    assert "Traceback" not in out + proc.stderr
    # the steps the README lists, in its order
    steps = ["==> mailgitops validate", "==> mailgitops render", "==> mailgitops bundle --check",
             "==> the operator console", "==> done: previews in demo-out/previews"]
    found = [out.find(step) for step in steps]
    assert all(i >= 0 for i in found) and found == sorted(found), out
    assert '"duplicate": true' in out  # the same event again sends nothing
    assert "signed in; the inbox says: Drafts" in out
    assert "not run from a terminal: serve stops with the demo" in out
    demo = ROOT / "demo-out"
    assert (demo / "previews" / "index.html").is_file()
    outcome = json.loads((demo / "outcome.json").read_text(encoding="utf-8"))
    assert outcome["messages"] and outcome["messages"][0]["status"] == "sent"
    assert list((demo / "sink").iterdir())  # the sink received mail
    # this demo's own serve and sink (their arguments name its folder), not another one on the machine
    left = subprocess.run(["pgrep", "-f", f"serve --bundle {demo.name}/demo.bundle.json|devsink.py --port "
                           f"[0-9]+ --out {demo.name}/sink"],
                          capture_output=True, text=True, check=False)
    assert left.stdout.strip() == "", left.stdout  # serve and the sink were stopped
