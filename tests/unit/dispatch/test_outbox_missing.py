"""A mistyped --outbox for a command that reads what is stored: named, exit 1, and no empty file
made in its place (`outbox list` used to create one and show zero messages of every kind)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import cli, outcome
from support.pgcluster import PgCluster


@pytest.mark.parametrize("args", [
    ["outbox", "list"], ["outbox", "retry", "1"], ["outbox", "resume"],
    ["outbox", "prune", "--older-than", "90d"], ["drafts", "list"], ["drafts", "show", "1"],
    ["drafts", "discard", "1"], ["outbox", "migrate"],
])
def test_a_missing_outbox_is_named_not_made(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "outbx.sqlite"
    got = cli(*args, "--outbox", str(typo))
    assert got.returncode == 1, got.stderr
    assert f"error: there is no outbox at {typo}; nothing was read or changed" in got.stderr
    assert "MAILGITOPS_OUTBOX" in got.stderr
    assert not typo.exists()
    assert not list(tmp_path.iterdir())  # no -wal or -shm either


def test_the_default_outbox_is_looked_for_in_the_current_folder(tmp_path: Path) -> None:
    got = cli("outbox", "list", cwd=tmp_path, env={"MAILGITOPS_OUTBOX": ""})
    assert got.returncode == 1
    assert "there is no outbox at mailgitops-outbox.sqlite" in got.stderr
    open_outbox(str(tmp_path / "mailgitops-outbox.sqlite")).close()  # what dispatch makes
    listed = outcome(cli("outbox", "list", cwd=tmp_path, env={"MAILGITOPS_OUTBOX": ""}))
    assert listed["messages"] == []


@pytest.mark.parametrize("args", [
    ["outbox", "list"], ["outbox", "retry", "1"], ["outbox", "resume"],
    ["outbox", "prune", "--older-than", "90d"], ["drafts", "list"], ["drafts", "discard", "1"],
])
def test_a_postgresql_database_without_an_outbox_is_named_not_given_one(pg_cluster: PgCluster,
                                                                       args: list[str]) -> None:
    """`outbox list` pointed at the wrong database (an operations walk: /postgres, or one made for
    something else) quietly made the outbox's five tables there and showed an empty outbox."""
    url = pg_cluster.new_database()
    got = cli(*args, "--outbox", url)
    assert got.returncode == 1, got.stderr
    assert "there is no outbox in postgresql://" in got.stderr
    assert "nothing was read or changed" in got.stderr
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'").fetchone()
    assert tables == (0,)
    made = outcome(cli("outbox", "migrate", "--outbox", url))  # what makes them, as scaling.md says
    assert made["version"] >= 3
    assert outcome(cli("outbox", "list", "--outbox", url))["messages"] == []
