"""kill -9 during batches (SQLite outbox): flush processes killed at random points while they
deliver; every accepted email is delivered, none lost, none under a second Message-ID, and every
second copy is one the outbox counted as an ambiguous redelivery."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.dispatchrepo import build_bundle, make_repo
from support.killrun import kill_run
from support.smtpd import SmtpServer


@pytest.mark.slow
def test_flush_killed_at_random_points_loses_nothing(sink: SmtpServer, tmp_path: Path) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    got = kill_run(sink, bundle, str(tmp_path / "o.sqlite"), events=12, kills=3, seed=7)
    assert got.kills == 3
    assert got.accepted == 12
    assert got.delivered == 12
    assert got.lost == 0
    assert got.new_id == 0
    assert got.duplicates == 0
    assert got.refused_sent == 0
    assert got.ambiguous <= got.kills  # only the row a killed process was sending is in doubt
    assert got.copies_again <= 2 * got.ambiguous  # To and CC each may get the ambiguous one again
    assert got.summaries[-1]["ambiguous_redeliveries"] == got.ambiguous
