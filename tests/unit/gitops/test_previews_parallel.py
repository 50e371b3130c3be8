"""`render` on every core writes exactly what one process writes, in the same order."""

from __future__ import annotations

from pathlib import Path

from mailgitops.gitops.previews import write_previews
from mailgitops.render.compiled import compile_repo
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parents[3]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_workers_write_the_same_previews_as_one(tmp_path: Path) -> None:
    repo = load_repo(ROOT).repo
    compiled = compile_repo(repo)
    seen: list[int] = []
    one = write_previews(repo, compiled, tmp_path / "one", langs=["en", "de"])
    two = write_previews(repo, compiled, tmp_path / "two", langs=["en", "de"], workers=2,
                         progress=seen.append)
    assert [(e.template, e.lang) for e in two.entries] == [(e.template, e.lang) for e in one.entries]
    assert len(two.entries) == 2 * len(repo.templates)
    assert sum(seen) == len(two.entries), "the progress bar must reach every email"
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
