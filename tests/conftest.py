"""Suite-wide: the dispatcher's per-user cache (render/diskcache.py) goes to a folder of this run,
so tests neither read a developer's cache nor leave entries in their home."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CACHE = tempfile.mkdtemp(prefix="mailgitops-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    os.environ["XDG_CACHE_HOME"] = _CACHE  # subprocesses (the real CLI) inherit it


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)
