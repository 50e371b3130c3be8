"""Suite-wide: a real SMTP server per test module (`smtp_server`, `sink`), one real Postfix per
run (`postfix`, `mta`; one per xdist worker), the shipped repository
(`shipped_repo`, `compiled`, a writable `repo_copy`), the dispatcher's
per-user cache (render/diskcache.py) in a folder of this run, so tests neither read a
developer's cache nor leave entries in their home, and the hooks of support/honest.py
(no skips, browser tests need Chromium, slow tests first)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates, compile_repo
from mailgitops.repo import load_repo
from support.honest import (  # noqa: F401  (hooks: pytest finds them by name in this module)
    pytest_collection_modifyitems,
    pytest_make_collect_report,
    pytest_runtest_makereport,
    pytest_runtest_setup,
)
from support.pgcluster import PgCluster
from support.postfix import Postfix, missing_tools, start_postfix
from support.smtpd import SmtpServer

# Each pytest-xdist worker imports this file itself, so each has a cache folder of its own.
_CACHE = tempfile.mkdtemp(prefix="mailgitops-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    os.environ["XDG_CACHE_HOME"] = _CACHE  # subprocesses (the real CLI) inherit it
    # Sending needs a delivery mode (there is no default). The tests send to local SMTP servers
    # with the recipients of their events: production, set here for every test and subprocess;
    # the tests of redirect mode and of a missing mode change it themselves.
    os.environ["MAILGITOPS_DELIVERY"] = "production"
    # a signing key of the developer's shell would refuse every unsigned bundle the tests build;
    # the tests of signed bundles give theirs to the command they run
    os.environ.pop("MAILGITOPS_BUNDLE_KEY", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    """A real aiosmtpd server on 127.0.0.1, shared by the tests of one module."""
    srv = SmtpServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def sink(smtp_server: SmtpServer) -> SmtpServer:
    """The module's server with no messages and no faults left over from an earlier test."""
    smtp_server.messages.clear()
    smtp_server.faults.clear()
    return smtp_server


@pytest.fixture(scope="session")
def shipped_repo() -> Repo:
    """The repository this project ships (config/, templates/), loaded once per run."""
    return load_repo(Path(__file__).resolve().parents[1]).repo


@pytest.fixture(scope="session")
def compiled(shipped_repo: Repo) -> CompiledTemplates:
    return compile_repo(shipped_repo)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped repository, in tmp_path/repo (so tmp_path/x is outside it)."""
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(Path(__file__).resolve().parents[1] / part, root / part)
    return root


@pytest.fixture(scope="session")
def postfix() -> Iterator[Postfix]:
    """This run's own Postfix on 127.0.0.1 (see support/postfix.py). Missing: the run fails."""
    why = missing_tools()
    if why:
        pytest.fail(why)
    pf = start_postfix()
    yield pf
    pf.stop()


@pytest.fixture
def mta(postfix: Postfix) -> Postfix:
    """The run's Postfix with empty mailboxes."""
    postfix.clear()
    return postfix


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for this run (per worker); missing PostgreSQL fails."""
    try:
        cluster = PgCluster().start()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        detail = e.stderr.decode(errors="replace") if isinstance(e, subprocess.CalledProcessError) else str(e)
        pytest.fail(f"the PostgreSQL test cluster could not start: {detail}; run scripts/setup --test")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The outbox a test runs on, once per backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "o.sqlite")
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
