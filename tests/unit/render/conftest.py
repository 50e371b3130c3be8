"""Shared fixtures: the shipped repository, compiled once, and throwaway copies to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates, compile_repo
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def shipped_repo() -> Repo:
    return load_repo(ROOT).repo


@pytest.fixture(scope="session")
def compiled(shipped_repo: Repo) -> CompiledTemplates:
    return compile_repo(shipped_repo)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the shipped config repository that a test may change."""
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path
