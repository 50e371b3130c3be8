"""The --root folder of the commands that read or write a config repository, checked first: run
from the wrong folder, validate would list every file as missing and schema would write schema/
into it."""

from __future__ import annotations

from pathlib import Path

from mailgitops.errors import UsageError


def repository(root: str) -> Path:
    """`root` when it is a config repository (it has config/ or templates/), else a usage error
    that says where the command looked and how to point it at the right place."""
    path = Path(root)
    if not path.is_dir():
        raise UsageError(f"--root {root}: no such folder",
                         hint="give the folder that holds config/ and templates/")
    if not (path / "config").is_dir() and not (path / "templates").is_dir():
        raise UsageError(f"{path.resolve()} is not a config repository (it has no config/ and no "
                         "templates/ folder)",
                         hint="run mailgitops in the repository's folder, or pass --root DIR; "
                              "`mailgitops init DIR` starts a new one")
    return path
