"""T8: `restore` puts the shipped default back."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.errors import MailgitopsError
from mailgitops.gitops.restore import restore, shipped


def test_restore_one_language(repo_copy: Path) -> None:
    de = repo_copy / "templates/quotation/de.md"
    original = shipped().read("quotation", "de.md")
    de.write_text("---\nsubject: changed\n---\nchanged\n", encoding="utf-8")
    (repo_copy / "templates/quotation/en.md").write_text("---\nsubject: mine\n---\nmine\n", encoding="utf-8")
    assert restore(repo_copy, "quotation", "de") == ["templates/quotation/de.md"]
    assert de.read_bytes() == original
    assert "mine" in (repo_copy / "templates/quotation/en.md").read_text(encoding="utf-8")


def test_restore_a_deleted_template(repo_copy: Path) -> None:
    for f in (repo_copy / "templates/quotation").iterdir():
        f.unlink()
    written = restore(repo_copy, "quotation")
    assert "templates/quotation/template.yaml" in written
    assert "templates/quotation/zh.md" in written


def test_unknown_template_or_language_names_the_fix(repo_copy: Path) -> None:
    with pytest.raises(MailgitopsError, match="not a shipped template") as info:
        restore(repo_copy, "quotaton")
    assert info.value.hint == "did you mean `quotation`?"
    with pytest.raises(MailgitopsError, match="no `xx` text"):
        restore(repo_copy, "quotation", "xx")
