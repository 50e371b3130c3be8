"""Attachment confinement (RELIABILITY 18), language fallback, and the one address rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.diagnostics import Diagnostic
from mailgitops.dispatch.attachments import FileRef, resolve_attachment
from mailgitops.dispatch.rules import resolve_language, single_address


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "jobs").mkdir(parents=True)
    (r / "jobs" / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.pdf").write_bytes(b"%PDF secret")
    (r / "link.pdf").symlink_to(tmp_path / "secret.pdf")
    (r / "inner.pdf").symlink_to(r / "jobs" / "a.pdf")
    return r


@pytest.mark.parametrize(("rel", "code"), [
    ("../secret.pdf", "attachment-outside-root"),
    ("/etc/passwd", "attachment-outside-root"),
    ("jobs/../../secret.pdf", "attachment-outside-root"),
    ("link.pdf", "attachment-outside-root"),
    ("C:\\windows\\x.pdf", "attachment-outside-root"),
    ("jobs\\..\\..\\secret.pdf", "attachment-outside-root"),
    ("nul\x00.pdf", "attachment-outside-root"),
    ("jobs", "attachment-not-a-file"),
    ("jobs/missing.pdf", "attachment-missing"),
])
def test_paths_are_confined(root: Path, rel: str, code: str) -> None:
    got = resolve_attachment(root, "document", rel, "$.attachments.document")
    assert isinstance(got, Diagnostic)
    assert got.code == code


def test_a_symlink_inside_the_root_is_fine(root: Path) -> None:
    got = resolve_attachment(root, "document", "inner.pdf", "x")
    assert isinstance(got, FileRef)
    assert got.filename == "inner.pdf"
    assert got.mime_type == "application/pdf"


def test_no_root_configured(root: Path) -> None:
    got = resolve_attachment(None, "document", "jobs/a.pdf", "x")
    assert isinstance(got, Diagnostic)
    assert "MAILGITOPS_ATTACHMENTS_ROOT" in (got.hint or "")


@pytest.mark.parametrize(("asked", "used"), [
    ("de", "de"), ("de-CH", "de"), ("DE", "de"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("pt", "en"), (None, "en"),
])
def test_language_fallback(asked: str | None, used: str) -> None:
    assert resolve_language(asked, ["en", "de", "fr", "nl", "zh"], "en") == used


@pytest.mark.parametrize(("value", "ok"), [
    ("ada@example.org", True), ("a.b+c@mail.example.co.uk", True),
    ("a@b", False), ("Eve <eve@example.org>", False), ("a@example.org; b@example.org", False),
    ("a@example.org, b@example.org", False), ("undisclosed:;", False), ("a@example.org\n", False),
    ("a@example.org\r\nBcc: x@example.org", False), ("a\x00@example.org", False),
    ("adä@example.org", True), ("adä..x@example.org", False), ("ada@bücher.example", True),
    ("a@" + "x" * 64 + ".org", False), ("", False),
])
def test_single_address_is_the_event_schema_rule(value: str, ok: bool) -> None:
    """RELIABILITY 13: one bare address; `drafts edit --cc` and `smtp send-test --to` use this too."""
    assert single_address(value) is ok
