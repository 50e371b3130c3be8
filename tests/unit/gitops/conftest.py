"""Render output folders written for real (manifest.json + files), in the renderer's contract."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str = "<html><body><p>Hello</p></body></html>"
    warnings: tuple[str, ...] = ()
    language_used: str | None = None
    headers: str = "From: Print Room <printroom@example.com>\nTo: Ada <ada@example.org>\n"
    extra: dict[str, object] = field(default_factory=dict)


WriteOutput = Callable[..., Path]


def _write(root: Path, emails: Mapping[tuple[str, str], Email], *, reverse: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for (template, lang), e in sorted(emails.items(), reverse=reverse):
        folder = root / template
        folder.mkdir(exist_ok=True)
        (folder / f"{lang}.html").write_text(e.html, encoding="utf-8")
        (folder / f"{lang}.txt").write_text(e.text, encoding="utf-8")
        (folder / f"{lang}.eml").write_text(f"{e.headers}Subject: {e.subject}\n\n{e.text}", encoding="utf-8")
        entries.append({
            "template": template, "lang": lang, "language_used": e.language_used or lang,
            "sample": "flyers", "subject": e.subject,
            "html": f"{template}/{lang}.html", "text": f"{template}/{lang}.txt",
            "eml": f"{template}/{lang}.eml",
            "html_bytes": len(e.html.encode()), "eml_bytes": 100, "warnings": list(e.warnings), **e.extra,
        })
    (root / "index.html").write_text("<html></html>", encoding="utf-8")
    (root / "manifest.json").write_text(json.dumps({"format": 1, "emails": entries}), encoding="utf-8")
    return root


@pytest.fixture
def write_output() -> WriteOutput:
    return _write


@pytest.fixture
def base_emails() -> dict[tuple[str, str], Email]:
    """A small print room: two templates in two languages."""
    return {
        ("order-accepted", "de"): Email(
            "Ihr Auftrag PO-1001 wurde angenommen",
            "Guten Tag Ada,\n\nwir haben Ihren Auftrag angenommen.\n\nIhr Druckraum\n"),
        ("order-accepted", "en"): Email("Your order PO-1001 was accepted",
                                        "Hello Ada,\n\nwe accepted your order.\n\nYour print room\n"),
        ("order-ready", "de"): Email("Ihr Auftrag PO-1001 ist fertig", "Guten Tag Ada,\n\nfertig.\n"),
        ("order-ready", "en"): Email("Your order PO-1001 is ready", "Hello Ada,\n\nready.\n"),
    }
