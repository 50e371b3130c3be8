"""Issue 3 item 7: render lints in `validate` (warnings, located)."""

from __future__ import annotations

from pathlib import Path

from mailgitops.diagnostics import Severity
from mailgitops.validate import validate_repo


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_shipped_repository_has_no_render_warnings() -> None:
    root = Path(__file__).resolve().parents[3]
    codes = {d.code for d in validate_repo(root).diagnostics}
    assert not codes & {"html-too-large", "image-without-alt", "insecure-link", "translation-variables"}


def test_lints_are_located_warnings(repo_copy: Path) -> None:
    de = repo_copy / "templates/order-accepted/de.md"
    _append(de, "\n![](https://cdn.example.com/x.png)\n\n[alt](http://example.com/plain)\n\n"
                "{{ customer.company }}\n")
    fr = repo_copy / "templates/order-ready/fr.md"
    _append(fr, "\n" + "Un très long texte. " * 6000 + "\n")
    result = validate_repo(repo_copy)
    found = {(d.file, d.code): d for d in result.diagnostics}
    alt = found["templates/order-accepted/de.md", "image-without-alt"]
    assert alt.severity is Severity.WARNING
    assert de.read_text(encoding="utf-8").split("\n")[alt.line - 1].startswith("![](https://cdn")
    link = found["templates/order-accepted/de.md", "insecure-link"]
    assert "http://example.com/plain" in de.read_text(encoding="utf-8").split("\n")[link.line - 1]
    drift = found["templates/order-accepted/de.md", "translation-variables"]
    assert "customer.company" in drift.message
    assert found["templates/order-ready/fr.md", "html-too-large"].severity is Severity.WARNING
    assert result.exit_code() == 0 and result.exit_code(strict=True) == 1
