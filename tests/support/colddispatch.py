"""One cold `mailgitops dispatch` of the flyers sample, in a new interpreter with an empty disk
cache and a plain environment, with `probe` (Python) run before the command: what a test wants
to know about the process (modules loaded, files opened) an atexit hook writes to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event


def cold_dispatch(tmp_path: Path, port: int, probe: str, event_id: str) -> subprocess.CompletedProcess[str]:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))
    event = tmp_path / "event.json"
    event.write_text(json.dumps(sample_event("flyers", trigger="order_received", event_id=event_id)))
    code = ("import sys\nsys.argv = ['mailgitops', *sys.argv[1:]]\n" + probe +
            "\nfrom mailgitops.cli.entry import main\nmain()\n")
    env = {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "MAILGITOPS_DELIVERY": "production"}
    proc = subprocess.run([sys.executable, "-c", code, "dispatch", "--bundle", str(bundle), "--event",
                           str(event), "--outbox", str(tmp_path / "box.sqlite"), "--attachments-root",
                           str(SAMPLES / "files")], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["messages"][0]["status"] == "sent"
    return proc
