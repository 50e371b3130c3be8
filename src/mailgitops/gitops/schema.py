"""`mailgitops schema`: rewrite the repository's generated schema/ folder (schema_dir.py)."""

from __future__ import annotations

from pathlib import Path

from mailgitops import schema_dir
from mailgitops.diagnostics import Severity
from mailgitops.errors import MailgitopsError
from mailgitops.repo import load_repo
from mailgitops.repo_catalog import FILE


def write_schema(root: Path) -> list[str]:
    """The files rewritten; refuses (writing nothing) while config/catalog.yaml has errors, which
    would leave schema/ describing a catalog that validate does not accept."""
    loaded = load_repo(root)
    bad = [d for d in loaded.diagnostics if d.file == FILE and d.severity is Severity.ERROR]
    if bad:
        raise MailgitopsError(f"{FILE} has {len(bad)} problem(s); schema/ was not rewritten",
                              diagnostics=bad, hint=f"fix {FILE} (`mailgitops validate` lists them)")
    try:
        return schema_dir.write(loaded.repo.root, loaded.repo.catalog)
    except OSError as e:
        raise MailgitopsError(f"cannot write schema/: {e.strerror or e}",
                              hint="check that the repository's folder is writable") from e
