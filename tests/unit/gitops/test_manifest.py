"""The manifest entry has one home (gitops/manifest.py): what `render --out` writes is what
`diff` reads back, field for field."""

from __future__ import annotations

from pathlib import Path

from mailgitops.gitops.manifest import load_output
from mailgitops.gitops.previews import write_previews
from mailgitops.render.compiled import compile_repo
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parents[3]


def test_what_render_writes_diff_reads_back_unchanged(tmp_path: Path) -> None:
    repo = load_repo(ROOT).repo
    written = write_previews(repo, compile_repo(repo), tmp_path, templates=["order-accepted"],
                             langs=["en", "de"])
    read = load_output(tmp_path)
    assert len(written.entries) == 2
    assert {e.key: e for e in written.entries} == read.emails
    for e in written.entries:
        assert read.read(e.eml).startswith(b"From:") or b"\r\nFrom:" in read.read(e.eml)
        assert e.eml_bytes == len(read.read(e.eml))
