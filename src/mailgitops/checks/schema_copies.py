"""schema/ holds generated copies (schema_dir.py): one that differs from what `mailgitops schema`
writes is reported, so an edit there is never ignored without a word."""

from __future__ import annotations

from mailgitops import schema_dir
from mailgitops.diagnostics import Diagnostic
from mailgitops.repo import LoadedRepo


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    return schema_dir.problems(loaded.repo.root, loaded.repo.catalog)
