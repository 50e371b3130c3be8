"""The wheel on its own: built from this checkout, installed in a clean virtual environment without
the test extra, and run the way a print room runs it (help, validate, render, bundle, dispatch to
a local SMTP sink). A module that imports a test-only package, or an imported package that
pyproject.toml does not declare, fails here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from support.dispatchrepo import SAMPLES, make_repo, sample_event, write_event
from support.smtpd import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
# every module of the installed package, imported one by one: a test-only import anywhere fails
IMPORT_ALL = """
import importlib, pkgutil, mailgitops
assert "site-packages" in mailgitops.__file__, mailgitops.__file__
names = [m.name for m in pkgutil.walk_packages(mailgitops.__path__, "mailgitops.")
         if m.name != "mailgitops.__main__"]  # that one runs the command line
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the clean environment's bin/, an environment for its commands)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", ROOT],
                 work, env)
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("mailgitops-*.whl")
    # no pip inside (ensurepip alone took ~3 s): this run's pip installs into it (--python)
    venv.create(work / "venv", with_pip=False)
    bin_dir = work / "venv" / "bin"
    # with the declared `postgresql` extra: the PostgreSQL outbox's module imports psycopg
    installed = _run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
                      f"{wheel}[postgresql]"], work, env)
    assert installed.returncode == 0, installed.stderr
    return bin_dir, env


@pytest.mark.slow
def test_the_wheel_ships_no_test_only_import(wheel_env: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    bin_dir, env = wheel_env
    imported = _run([bin_dir / "python", "-c", IMPORT_ALL], tmp_path, env)
    assert imported.returncode == 0, imported.stderr
    assert int(imported.stdout) > 50
    for test_only in ("aiosmtpd", "pytest", "hypothesis"):
        probe = _run([bin_dir / "python", "-c", f"import {test_only}"], tmp_path, env)
        assert probe.returncode != 0, f"{test_only} is installed with the wheel alone"


@pytest.mark.slow
def test_the_wheel_alone_validates_renders_and_dispatches(wheel_env: tuple[Path, dict[str, str]],
                                                          tmp_path: Path, sink: SmtpServer) -> None:
    bin_dir, env = wheel_env
    mg = bin_dir / "mailgitops"
    helped = _run([mg, "--help"], tmp_path, env)
    assert helped.returncode == 0, helped.stderr
    assert "validate" in helped.stdout
    repo = make_repo(tmp_path / "repo", port=sink.port)
    validated = _run([mg, "validate", "--root", repo], tmp_path, env)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    rendered = _run([mg, "render", "--root", repo, "--out", tmp_path / "previews"], tmp_path, env)
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "previews" / "order-accepted" / "en.html").is_file()
    bundled = _run([mg, "bundle", "--root", repo, "--out", tmp_path / "b.json"], tmp_path, env)
    assert bundled.returncode == 0, bundled.stderr
    event = write_event(tmp_path, sample_event("flyers", event_id="wheel-1"))
    sent = _run([mg, "dispatch", "--bundle", tmp_path / "b.json", "--outbox", tmp_path / "o.sqlite",
                 "--attachments-root", SAMPLES / "files", "--event", event], tmp_path, env)
    assert sent.returncode == 0, sent.stderr
    outcome = json.loads(sent.stdout)
    statuses = {m["status"] for m in outcome["messages"]}
    assert statuses == {"sent"}, outcome
    assert len(sink.messages) == len(outcome["messages"]) >= 1
