"""Where the shipped default repository files (config/ and templates/) live at run time."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mailgitops.errors import ExitCode, MailgitopsError

# An installed wheel carries the defaults here (pyproject.toml: force-include).
_PACKAGED = "_defaults"


def _is_defaults(root: Traversable) -> bool:
    return root.is_dir() and (root / "config").is_dir() and (root / "templates").is_dir()


def defaults_root() -> Traversable:
    """The folder holding the shipped `config/` and `templates/`.

    Inside an installed wheel that is `mailgitops/_defaults/`; in a source checkout
    (editable install) the defaults are the repository's own top-level folders."""
    packaged = resources.files("mailgitops") / _PACKAGED
    if _is_defaults(packaged):
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if _is_defaults(checkout):
        return checkout
    raise MailgitopsError(
        "the shipped default config/ and templates/ are missing from this installation",
        exit_code=ExitCode.UNEXPECTED,
        hint="reinstall mailgitops (pip install --force-reinstall mailgitops)",
    )


def schemas_root() -> Traversable:
    """The packaged JSON Schemas and catalogs (the repository's `schema/`)."""
    return resources.files("mailgitops") / "schemas"
