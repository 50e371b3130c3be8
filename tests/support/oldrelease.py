"""An earlier mailgitops, run as it was: its source taken from this repository's history
(`git archive COMMIT`) and run with this interpreter, whose packages it also needs. Upgrade tests
run the old code itself against an outbox the current version migrated, instead of imitating
its SQL. A checkout without that history (a shallow clone) fails the test, naming the fix."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RELEASE_2026_11_28 = "26a7483"  # schema version 1: no version check, no blobs, no lease owner
RELEASE_2026_11_30 = "c92a3b4"  # schema version 3 on both backends


def checkout(commit: str, dest: Path) -> Path:
    """`src/`, `config/` and `templates/` of `commit` under `dest` (made); returns `dest`."""
    got = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src", "config", "templates"],
                         capture_output=True, check=False)
    if got.returncode != 0:
        pytest.fail(f"commit {commit} is not in this checkout ({got.stderr.decode().strip()}): the "
                    "upgrade tests run that release's code; clone with its history (fetch-depth: 0)")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(got.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run(old: Path, *args: str, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`mailgitops ARGS` as the release in `old` runs it."""
    full = {**os.environ, "PYTHONPATH": str(old / "src"), "MAILGITOPS_DELIVERY": "production", **(env or {})}
    return subprocess.run([sys.executable, "-m", "mailgitops", *args], cwd=cwd or old, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


def bundle(old: Path, port: int) -> Path:
    """That release's shipped repository sending to 127.0.0.1:`port`, bundled by that release
    (the bundle format changed since)."""
    smtp_path = old / "config" / "smtp.yaml"
    smtp = yaml.safe_load(smtp_path.read_text(encoding="utf-8"))
    smtp["server"] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout_seconds": 5}
    smtp["auth"] = {"mode": "anonymous"}
    smtp_path.write_text(yaml.safe_dump(smtp, sort_keys=False), encoding="utf-8")
    out = old / "old-bundle.json"
    made = run(old, "bundle", "--out", str(out))
    assert made.returncode == 0, made.stderr
    return out
