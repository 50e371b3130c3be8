"""The send path stays light: no jsonschema, mjml, yaml, validator or click outside cli/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event, write_event
from support.smtpd import SmtpServer

HEAVY = ("jsonschema", "mjml", "yaml", "referencing", "mailgitops.validate", "mailgitops.repo",
         "mailgitops.checks", "mailgitops.schemacheck", "mailgitops.catalog",
         # serve's web stack: dispatch never pays for it
         "starlette", "uvicorn", "httptools", "anyio", "mailgitops.serve",
         "email_validator",  # ~0.1 s: everyday addresses take addresses.py's fast path instead
         # the process pool only `render` and previews use: ~8 ms of a cold dispatch (its logging,
         # traceback, subprocess, pickle imports with it)
         "multiprocessing", "concurrent", "mailgitops.render.forkpool", "logging",
         # the draft records: loaded when a row holds a draft, not for an email sent at once
         "mailgitops.dispatch.draft_shape", "mailgitops.dispatch.drafts")

SCRIPT = """
import json, sys
from mailgitops.dispatch.api import Dispatcher
core = sorted(m for m in sys.modules)
with Dispatcher.load(sys.argv[1], outbox=sys.argv[2], attachments_root=sys.argv[3]) as d:
    d.handle(json.load(open(sys.argv[4])), deliver=False)
print(json.dumps({"core": core, "after": sorted(sys.modules)}))
"""


def test_dispatch_path_imports(tmp_path: Path) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=25))
    ev = write_event(tmp_path, sample_event(trigger="order_received", event_id="imports"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(bundle), str(tmp_path / "o.sqlite"),
                           str(SAMPLES / "files"), str(ev)], capture_output=True, text=True, check=True)
    mods = json.loads(proc.stdout)
    loaded = set(mods["after"])
    heavy = sorted(m for m in loaded if m.startswith(HEAVY))
    assert heavy == []
    # the core never imports click
    assert not any(m == "click" or m.startswith("click.") for m in mods["core"])


def test_cli_dispatch_command_module_is_light() -> None:
    code = ("import sys; from mailgitops.cli.main import cli; cli.get_command(None, 'dispatch'); "
            "print(' '.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = proc.stdout.split()
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_a_second_cold_dispatch_skips_markdown_and_diagnostics(tmp_path: Path) -> None:
    """The 2nd..nth process reads the body's parsed structure and the compiled Jinja from the
    per-user cache, so markdown-it is not even imported; a good event makes no diagnostics.
    Seven jobs: a shape no sample has, so the bundle does not carry its Markdown parsed and the
    first process parses it (a sample-shaped event needs no parser at all: test_preparsed.py)."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=25))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("MAILGITOPS_NO_CACHE", None)
    loaded = []
    for i in range(2):
        event = sample_event(trigger="order_received", event_id=f"imports-{i}")
        event["order"] = {**event["order"], "jobs": [event["order"]["jobs"][0]] * 7}
        ev = write_event(tmp_path, event)
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(bundle), str(tmp_path / "o.sqlite"),
                               str(SAMPLES / "files"), str(ev)], capture_output=True, text=True, check=True,
                              env=env)
        loaded.append(set(json.loads(proc.stdout)["after"]))
    assert "markdown_it" in loaded[0]
    assert not any(m.startswith(("markdown_it", "mdit_py_plugins")) for m in loaded[1])
    assert "mailgitops.diagnostics" not in loaded[1]
    assert list((tmp_path / "cache" / "mailgitops" / "jinja").iterdir())


def test_a_cold_dispatch_that_sends_loads_no_idna_codec(tmp_path: Path, sink: SmtpServer) -> None:
    """Host names travel to the resolver as bytes when ASCII: the IDNA codec's import (~1.5 ms,
    with stringprep and unicodedata) is not paid by every `mailgitops dispatch`."""
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    ev = write_event(tmp_path, sample_event(trigger="order_received", event_id="idna"))
    code = ("import sys, atexit\nsys.argv = ['mailgitops', *sys.argv[1:]]\n"
            "atexit.register(lambda: sys.stderr.write('IDNA=%s' % ('encodings.idna' in sys.modules)))\n"
            "from mailgitops.cli.entry import main\nmain()\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "MAILGITOPS_DELIVERY": "production"}
    args = ["dispatch", "--bundle", str(bundle), "--event", str(ev), "--outbox", str(tmp_path / "o.sqlite"),
            "--attachments-root", str(SAMPLES / "files")]
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["messages"][0]["status"] == "sent"
    assert len(sink.wait_for(1)) == 1
    assert "IDNA=False" in proc.stderr


def test_the_helo_name_is_getfqdns() -> None:
    import socket

    from mailgitops.dispatch.smtp_session import fqdn as _fqdn

    assert _fqdn() == socket.getfqdn()
