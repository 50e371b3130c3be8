"""The list of check families `validate` runs."""

from __future__ import annotations

from collections.abc import Callable

from mailgitops.diagnostics import Diagnostic
from mailgitops.repo import LoadedRepo

CHECKS: list[Callable[[LoadedRepo], list[Diagnostic]]] = []
