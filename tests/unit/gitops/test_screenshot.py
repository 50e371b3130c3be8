"""Screenshots of changed emails: real headless Chromium on real HTML files."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.gitops.screenshot import MAX_HEIGHT, Shot, main, page, planned_shots, screenshot_changed

CHROMIUM = "/usr/bin/chromium"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _changes(tmp_path: Path) -> tuple[Path, Path]:
    head = tmp_path / "head"
    (head / "order-accepted").mkdir(parents=True)
    (head / "order-accepted" / "de.html").write_text(
        "<html><body><h1>Auftrag angenommen</h1></body></html>", encoding="utf-8")
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"format": 1, "changed": [
        {"template": "order-accepted", "lang": "de", "status": "changed", "html": "order-accepted/de.html"},
        {"template": "old", "lang": "en", "status": "removed", "html": None},
    ]}), encoding="utf-8")
    return changes, head


def test_only_added_and_changed_emails_are_planned(tmp_path: Path) -> None:
    changes, head = _changes(tmp_path)
    shots = planned_shots(changes, head, tmp_path / "shots")
    assert [(s.template, s.lang, s.png.relative_to(tmp_path).as_posix()) for s in shots] == [
        ("order-accepted", "de", "shots/order-accepted/de.png")]


def test_without_a_browser_it_warns_and_succeeds(tmp_path: Path) -> None:
    changes, head = _changes(tmp_path)
    written, warnings = screenshot_changed(changes, head, tmp_path / "shots", browser=None)
    assert written == []
    assert warnings == ["no Chromium found (set CHROMIUM=/path/to/chromium); no screenshots taken"]


@pytest.mark.slow
@pytest.mark.browser
def test_a_png_per_changed_email(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    changes, head = _changes(tmp_path)
    monkeypatch.setenv("CHROMIUM", CHROMIUM)
    assert main([str(changes), str(head), str(tmp_path / "shots")]) == 0
    png = tmp_path / "shots" / "order-accepted" / "de.png"
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert capsys.readouterr().out.strip() == png.as_posix()


def test_the_script_warns_and_succeeds_when_the_browser_fails(tmp_path: Path) -> None:
    changes, head = _changes(tmp_path)
    script = Path(__file__).parents[3] / "scripts" / "screenshot_changed"
    r = subprocess.run([str(script), str(changes), str(head), str(tmp_path / "shots")],
                       env={**os.environ, "CHROMIUM": "/bin/false"}, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert "order-accepted/de: screenshot failed (exit 1" in r.stderr


def _script_elsewhere(tmp_path: Path) -> Path:
    """The script in a checkout that has no .venv: it must find mailgitops another way."""
    script = tmp_path / "checkout" / "scripts" / "screenshot_changed"
    script.parent.mkdir(parents=True)
    shutil.copy2(Path(__file__).parents[3] / "scripts" / "screenshot_changed", script)
    return script


def test_the_script_uses_the_python_of_mailgitops_on_path(tmp_path: Path) -> None:
    changes, head = _changes(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "VIRTUAL_ENV"}}
    env.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", CHROMIUM="/bin/false")
    r = subprocess.run([str(_script_elsewhere(tmp_path)), str(changes), str(head), str(tmp_path / "shots")],
                       env=env, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert "order-accepted/de: screenshot failed (exit 1" in r.stderr


def test_the_script_says_when_no_python_has_mailgitops(tmp_path: Path) -> None:
    changes, head = _changes(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "VIRTUAL_ENV"}}
    env["PATH"] = "/usr/bin:/bin"  # the system's python3, without mailgitops
    r = subprocess.run([str(_script_elsewhere(tmp_path)), str(changes), str(head),
                        str(tmp_path / "shots")], env=env, capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 1
    assert "no Python with mailgitops installed (set PYTHON=/path/to/python)" in r.stderr


def _png_size(png: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    return int(width), int(height)


def test_the_page_shows_subject_and_addresses_from_the_eml_escaped(tmp_path: Path) -> None:
    email = '<html><head></head><body><img src="../_assets/logo.png"></body></html>'
    (tmp_path / "de.html").write_text(email, encoding="utf-8")
    (tmp_path / "de.eml").write_bytes(
        b"From: Print Room <printroom@example.com>\r\nTo: Ada <ada@example.org>\r\n"
        b"Subject: =?utf-8?q?Auftrag_<b>PO-1001</b>_angenommen?=\r\n\r\nbody\r\n")
    shot = Shot("order-accepted", "de", tmp_path / "de.html", tmp_path / "de.png", "fallback",
                tmp_path / "de.eml")
    html = page(shot)
    assert "<b>Auftrag &lt;b&gt;PO-1001&lt;/b&gt; angenommen</b>" in html
    assert "Print Room &lt;printroom@example.com&gt;" in html
    assert "Cc:" not in html
    assert f'<base href="{tmp_path.as_uri()}/">' in html  # the logo still resolves from a copy


@pytest.mark.slow
@pytest.mark.browser
def test_screenshots_are_as_tall_as_the_email(tmp_path: Path) -> None:
    head = tmp_path / "head"
    (head / "t").mkdir(parents=True)
    (head / "t" / "short.html").write_text("<html><body><p>Short</p></body></html>", encoding="utf-8")
    paras = "".join(f"<p>Paragraph {i}</p>" for i in range(120))
    (head / "t" / "long.html").write_text(f"<html><body>{paras}</body></html>", encoding="utf-8")
    changes = tmp_path / "changes.json"
    changes.write_text(json.dumps({"format": 1, "changed": [
        {"template": "t", "lang": lang, "status": "changed", "html": f"t/{lang}.html",
         "subject_after": f"{lang} subject"} for lang in ("long", "short")]}), encoding="utf-8")
    written, warnings = screenshot_changed(changes, head, tmp_path / "shots", browser=CHROMIUM)
    assert warnings == []
    assert len(written) == 2
    short, long_ = (_png_size(tmp_path / "shots" / "t" / f"{n}.png") for n in ("short", "long"))
    assert short == (800, 400)
    assert 4000 < long_[1] < MAX_HEIGHT, long_  # the whole email, not cut at the window's edge


@pytest.mark.slow
@pytest.mark.browser
def test_a_changed_email_is_also_shot_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A new colour shows in no text diff: with --base, each changed email gets its picture
    before the change next to the new one (an added email has no before)."""
    changes, head = _changes(tmp_path)
    doc = json.loads(changes.read_text(encoding="utf-8"))
    doc["changed"][0].update(html_before="order-accepted/de.html", subject_before="Auftrag alt")
    doc["changed"].append({"template": "quotation", "lang": "de", "status": "added",
                           "html": "order-accepted/de.html", "html_before": None})
    changes.write_text(json.dumps(doc), encoding="utf-8")
    base = tmp_path / "base"
    (base / "order-accepted").mkdir(parents=True)
    (base / "order-accepted" / "de.html").write_text(
        '<html><body style="background:#c2410c"><h1>Auftrag angenommen</h1></body></html>', encoding="utf-8")
    monkeypatch.setenv("CHROMIUM", CHROMIUM)
    assert main([str(changes), str(head), str(tmp_path / "shots"), "--base", str(base), "--limit", "1"]) == 0
    shots = tmp_path / "shots" / "order-accepted"
    assert capsys.readouterr().out.split() == [(shots / "de.png").as_posix(),
                                               (shots / "de.before.png").as_posix()]
    before, after = (shots / "de.before.png").read_bytes(), (shots / "de.png").read_bytes()
    assert before.startswith(PNG_MAGIC) and after.startswith(PNG_MAGIC) and before != after
    assert not (tmp_path / "shots" / "quotation").exists()  # the limit counts emails, not pictures
