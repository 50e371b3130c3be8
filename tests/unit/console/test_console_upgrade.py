# Chinese punctuation (full-width parentheses) is right in the Chinese words tested here:
# ruff: noqa: RUF001
"""The console between installing a new mailgitops and `outbox migrate`: each page says what is
going on, in the operator's language (an upgrade; sending resumes once the administrator has run
`mailgitops outbox migrate`), where it said only "temporarily unavailable, try again in a minute",
which stays true for an hour if nobody runs the migration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from mailgitops.dispatch.outbox_schema import VERSION
from support.console import make_rig, sign_in

# an outbox made by the release of 2026-11-28 (schema version 1), as tests/unit/dispatch/test_upgrade.py uses
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "outbox-26a7483.sqlite"


@pytest.mark.parametrize(("language", "said"), [
    ("de", f"Der Postausgang wird gerade auf diese Version von mailgitops umgestellt (Schema 1 → {VERSION})"),
    ("zh", f"发件箱正在升级到此版本的 mailgitops（架构 1 → {VERSION}）"),
    ("en", f"has schema version 1; this mailgitops needs version {VERSION} (`mailgitops outbox migrate` "
           "brings it up to date)"),
])
def test_an_outbox_waiting_for_its_migration_is_named_in_the_operators_language(
        tmp_path: Path, bundle: Path, language: str, said: str) -> None:
    shutil.copy(FIXTURE, tmp_path / "outbox.sqlite")
    for page in _front_pages(tmp_path, bundle, language):
        assert page.status_code == 503
        assert said in page.text
        assert "mailgitops outbox migrate" in page.text
        assert "Try again in a minute" not in page.text


def _front_pages(tmp_path: Path, bundle: Path, language: str) -> list[Response]:
    """The console's first page after signing in, as an operator of `language`, on each rig."""
    pages = []
    for rig in make_rig(tmp_path, bundle):
        rig.add_operator("ada", language=language)
        with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as client:
            pages.append(sign_in(client).get("/"))
    return pages


@pytest.mark.parametrize(("language", "said", "not_said"), [
    ("de", "wurde für die Rückkehr zu einer älteren Version von mailgitops auf Schema 3 zurückgestellt",
     "wird gerade auf diese Version"),
    ("en", "was taken back to schema version 3 (`outbox migrate --to 3`) for a rollback",
     "brings it up to date"),
])
def test_an_outbox_taken_back_for_a_rollback_is_not_called_an_upgrade_in_progress(
        tmp_path: Path, bundle: Path, language: str, said: str, not_said: str) -> None:
    # the new serve left running while the administrator rolls back: telling operators that
    # `outbox migrate` brings sending back would undo the rollback
    from mailgitops.dispatch.outbox_backends import migrate

    shutil.copy(FIXTURE, tmp_path / "outbox.sqlite")
    migrate(str(tmp_path / "outbox.sqlite"))
    migrate(str(tmp_path / "outbox.sqlite"), 3)
    for page in _front_pages(tmp_path, bundle, language):
        assert page.status_code == 503
        assert said in page.text
        assert not_said not in page.text
