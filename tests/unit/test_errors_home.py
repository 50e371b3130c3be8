"""errors.py is the one home of exception types: a reader looks in one place for what can go wrong."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mailgitops"
# private control-flow helpers (a leading underscore) never leave their module
PENDING: set[str] = set()


def _exception_bases(node: ast.ClassDef) -> list[str]:
    names = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
             for b in node.bases]
    return [n for n in names if n.endswith(("Error", "Exception", "Conflict")) or n == "NotATemplate"]


def test_every_exception_type_is_defined_in_errors_py() -> None:
    elsewhere = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and _exception_bases(node)
                    and not node.name.startswith("_") and f"{rel}:{node.name}" not in PENDING):
                elsewhere.append(f"{rel}:{node.name}")
    assert elsewhere == [], f"exception types outside errors.py: {elsewhere}"
