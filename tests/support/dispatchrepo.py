"""Config repositories and bundles for dispatcher tests: the shipped repository, pointed at a
local test SMTP server, with settings changed per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from support.incli import run_in_process

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples"
MAILGITOPS = [sys.executable, "-m", "mailgitops"]


def make_repo(dest: Path, *, port: int, security: str = "none", pin: str | None = None,
              ca_pem: Path | None = None, auth: Mapping[str, Any] | None = None,
              allow_operator_cc: bool = True, allow_operator_attachments: bool = True,
              triggers: Mapping[str, Mapping[str, Any]] | None = None, cc: Any = "archive@example.com",
              timeout: float = 5) -> Path:
    """A copy of the shipped config repository that sends to 127.0.0.1:`port`."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, dest / part, dirs_exist_ok=True)
    server: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": security,
                              "timeout_seconds": timeout}
    if pin or ca_pem:
        server["allow_self_signed"] = True
    if pin:
        server["pin_sha256"] = pin
    if ca_pem:
        (dest / "certs").mkdir(exist_ok=True)
        shutil.copy(ca_pem, dest / "certs" / "smtp.pem")
        server["ca_file"] = "certs/smtp.pem"
    smtp = {"sender": {"address": "printroom@example.com", "name": "Print Room"}, "cc": cc,
            "allow_operator_cc": allow_operator_cc, "server": server,
            "auth": dict(auth) if auth else {"mode": "anonymous"}}
    (dest / "config" / "smtp.yaml").write_text(yaml.safe_dump(smtp, sort_keys=False), encoding="utf-8")
    wf_path = dest / "config" / "workflow.yaml"
    wf = yaml.safe_load(wf_path.read_text(encoding="utf-8"))
    wf["allow_operator_attachments"] = allow_operator_attachments
    for tid, patch in (triggers or {}).items():
        wf["triggers"][tid] = {**wf["triggers"].get(tid, {}), **patch}
    wf_path.write_text(yaml.safe_dump(wf, sort_keys=False), encoding="utf-8")
    return dest


def build_bundle(repo: Path, out: Path | None = None) -> Path:
    from mailgitops import bundle_build

    out = out or repo / "bundle.json"
    bundle_build.write(repo, out)
    return out


def sample_event(name: str = "flyers", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def write_event(folder: Path, event: Mapping[str, Any], name: str | None = None) -> Path:
    path = folder / f"{name or event['event_id']}.json"
    path.write_text(json.dumps(event, ensure_ascii=False), encoding="utf-8")
    return path


def cli(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        stdin: str | None = None, process: bool = False) -> subprocess.CompletedProcess[str]:
    """The real `mailgitops` command: its entry point run in this process (support/incli.py), or
    with `process=True` (and from any thread but the main one) in a subprocess of its own."""
    full_env = {**os.environ, "MAILGITOPS_RETRY_BACKOFF_SECONDS": "0.001", **(env or {})}
    if not process and threading.current_thread() is threading.main_thread():
        return run_in_process(list(args), cwd=cwd, env=full_env, stdin=stdin)
    return subprocess.run([*MAILGITOPS, *args], cwd=cwd, env=full_env, input=stdin, capture_output=True,
                          text=True, timeout=60, check=False)


def outcome(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    loaded: dict[str, Any] = json.loads(proc.stdout)
    return loaded
