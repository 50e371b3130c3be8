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
    _refuse_a_link(root)
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


def _refuse_a_link(root: Path) -> None:
    """schema/ as a link: mailgitops' own source checkout links it to the package's built-in
    catalogs. Regenerating those from the package alone is fine; writing a print room's additions
    there would make them built-in (validate then refuses config/catalog.yaml's own names), and a
    copied link that leads nowhere would fail with a bare "File exists"."""
    link = root / schema_dir.DIR
    if not link.is_symlink():
        return
    target = link.resolve()
    plain = f"make {schema_dir.DIR}/ a plain folder: `rm {link} && mailgitops schema`"
    if not target.is_dir():
        raise MailgitopsError(f"{schema_dir.DIR}/ is a link to {target}, which is no folder; nothing "
                              "was written", hint=plain)
    if (root / FILE).exists():
        raise MailgitopsError(
            f"{schema_dir.DIR}/ is a link to {target}, mailgitops' own built-in catalogs: {FILE}'s "
            "values written there would become built-in ones; nothing was written",
            hint=f"{plain}; or keep {FILE} in a print room's repository made by `mailgitops init DIR`")
