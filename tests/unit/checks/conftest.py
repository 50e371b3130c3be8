"""A writable copy of the shipped repository for check tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, root / part)
    return root
