"""Every repository path the README and docs/ name exists: a reader who opens `docs/x.md` or
`schema/event.schema.json` finds it. Links are resolved from the document's folder; code spans
that start with a folder of this repository are resolved from its root. Paths with a placeholder
(`<id>`, `*`, `{...}`) name a pattern, not a file, and are left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
TOP = ("config/", "templates/", "docs/", "schema/", "scripts/", "src/", "tests/", "bundle/",
       "benchmarks/", ".github/", ".ci/")
LINK = re.compile(r"\]\(([^)\s]+)\)")
SPAN = re.compile(r"`([^`\s]+)`")
ANY_SPAN = re.compile(r"`[^`]*`")
# Files a walkthrough has the reader create: named on purpose, not in the repository.
CREATED_BY_THE_READER = {
    "config/webshops/library.yaml",  # docs/admin-guide.md, "A new webshop"
    "config/catalog.yaml",  # docs/admin-guide.md, "Add values and triggers of your own"
}
# Folders a command writes (git ignores them): named as where to look afterwards.
WRITTEN_BY_A_RUN = {("test-output",)}  # the browser tests' screenshots


def named_paths(doc: Path) -> list[tuple[int, str, Path]]:
    out = []
    for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        for target in LINK.findall(ANY_SPAN.sub("", line)):  # `![Map](map.png)` is an example
            if re.match(r"[a-z]+:|#", target):
                continue  # a web address or an anchor in the same page
            path = (doc.parent / target.split("#")[0]).resolve()
            written = path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[:1] in WRITTEN_BY_A_RUN
            if not written:
                out.append((n, target, path))
        for span in SPAN.findall(line):
            path = span.rstrip(".,:;")
            named = path.startswith(TOP) or path in {"README.md", "pyproject.toml", "LICENSE"}
            pattern = re.search(r"[<>*{}$]|\.\.\.", path)
            if named and not pattern and path not in CREATED_BY_THE_READER:
                out.append((n, span, ROOT / path.split(":")[0]))
    return out


@pytest.mark.parametrize("doc", DOCS, ids=[d.relative_to(ROOT).as_posix() for d in DOCS])
def test_every_named_path_exists(doc: Path) -> None:
    missing = [f"{doc.relative_to(ROOT)}:{n}: {text}" for n, text, path in named_paths(doc)
               if not path.exists() or not path.resolve().is_relative_to(ROOT)]
    assert not missing, "named but not in the repository:\n" + "\n".join(missing)


def test_the_check_finds_paths() -> None:
    """The pattern is not blind: the README names at least the docs and the scripts it relies on."""
    named = {text for _, text, _ in named_paths(ROOT / "README.md")}
    assert {"docs/templates.md", "scripts/test", "scripts/setup"} <= named, named


def test_the_variable_tables_of_the_template_guide_are_current() -> None:
    """docs/templates.md lists the catalogs' variables and triggers as they are now; after a
    catalog change, `.venv/bin/python scripts/template_docs.py` rewrites the tables."""
    import runpy

    tool = runpy.run_path(str(ROOT / "scripts" / "template_docs.py"))
    doc = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    assert tool["generated"](doc) == doc, "run .venv/bin/python scripts/template_docs.py"
    for name in ("order.number", "job.product.name", "customer.email"):
        assert f"| `{name}`" in doc


@pytest.mark.parametrize("doc", DOCS, ids=[d.relative_to(ROOT).as_posix() for d in DOCS])
def test_no_document_points_at_one_machine(doc: Path) -> None:
    """An absolute path of a developer's machine (/work/..., /home/...) means nothing to a reader."""
    found = [f"{doc.relative_to(ROOT)}:{n}: {m[0]}"
             for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
             for m in re.finditer(r"(?<![\w.~])/(?:work|home|root|Users)/[^\s`)]*", line)]
    assert not found, "\n".join(found)
