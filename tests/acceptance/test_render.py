"""`mailgitops render` and `mailgitops restore` through the real CLI, and the gallery in Chromium."""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli
from mailgitops.repo import load_repo

PROJECT = Path(__file__).resolve().parents[2]
MAILGITOPS = Path(sys.executable).parent / "mailgitops"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, root / part)
    return root


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def previews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("previews")
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(PROJECT), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return out


def test_render_writes_every_template_and_language(previews: Path) -> None:
    repo = load_repo(PROJECT).repo
    manifest = json.loads((previews / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 1
    pairs = [(e["template"], e["lang"]) for e in manifest["emails"]]
    assert pairs == sorted((t, lang) for t in repo.templates for lang in repo.languages.active)
    for e in manifest["emails"]:
        for kind in ("html", "text", "eml"):
            assert (previews / e[kind]).is_file()
        assert e["html_bytes"] > 1000 and e["eml_bytes"] > e["html_bytes"] // 2
        msg = email.message_from_bytes((previews / e["eml"]).read_bytes(), policy=default)
        assert isinstance(msg, EmailMessage)
        assert str(msg["Subject"]) == e["subject"]
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
    index = (previews / "index.html").read_text(encoding="utf-8")
    assert index.count("<iframe") == len(pairs)


def test_proof_preview_attaches_the_sample_pdf(previews: Path) -> None:
    msg = email.message_from_bytes((previews / "proof-ready/en.eml").read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    atts = [(a.get_filename(), a.get_content_type()) for a in msg.iter_attachments()]
    assert ("final.pdf", "application/pdf") in atts


def test_same_input_same_bytes(repo: Path, tmp_path: Path) -> None:
    for out in ("a", "b"):
        code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / out),
                              "--template", "order-accepted", "--template", "quotation")
        assert code == 0, err
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 20
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_filters_and_sample(repo: Path, tmp_path: Path) -> None:
    code, out, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"),
                            "--template", "order-ready", "--lang", "zh", "--sample", "flyers")
    assert code == 0, err
    manifest = json.loads((tmp_path / "o/manifest.json").read_text(encoding="utf-8"))
    assert [(e["template"], e["lang"], e["sample"]) for e in manifest["emails"]] == [
        ("order-ready", "zh", "flyers")]
    assert "wrote 1 email" in out


@pytest.mark.parametrize(("args", "message"), [
    (("--template", "order-acepted"), "did you mean `order-accepted`?"),
    (("--lang", "xx"), "not an active language"),
    (("--sample", "flyer"), "did you mean `flyers`?"),
])
def test_wrong_usage_exits_2(repo: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"), *args)
    assert code == 2
    assert message in err


def test_a_bad_template_gives_a_located_error_not_a_traceback(repo: Path, tmp_path: Path) -> None:
    de = repo / "templates/order-accepted/de.md"
    lines = de.read_text(encoding="utf-8").split("\n")
    lines.insert(8, "{{ order.number | money('EUR', 'x', 'y') }}")
    de.write_text("\n".join(lines), encoding="utf-8")
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(repo), "--out", str(tmp_path / "o"),
                           "--template", "order-accepted"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert re.search(r"templates/order-accepted/de\.md:9:1: error: the body cannot be rendered", done.stderr)
    assert (tmp_path / "o/order-accepted/en.html").is_file()  # the other languages still render


def test_a_jinja_syntax_error_is_located(repo: Path, tmp_path: Path) -> None:
    fr = repo / "templates/quotation/fr.md"
    fr.write_text(fr.read_text(encoding="utf-8") + "\n{% for x in order.jobs %}\n", encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "templates/quotation/fr.md:" in err and "Traceback" not in err


def test_restore_puts_the_default_back(repo: Path) -> None:
    en = repo / "templates/order-ready/en.md"
    shipped = en.read_bytes()
    en.write_text("---\nsubject: x\n---\nx\n", encoding="utf-8")
    code, out, _ = invoke("restore", "--root", str(repo), "order-ready", "--lang", "en")
    assert code == 0 and "restored templates/order-ready/en.md" in out
    assert en.read_bytes() == shipped
    code, _, err = invoke("restore", "--root", str(repo), "order-redy")
    assert code == 1 and "did you mean `order-ready`?" in err


@pytest.mark.browser
# in CI (CI=true) a missing browser fails the test instead of skipping it
@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                    reason="needs headless Chromium at /usr/bin/chromium "
                    "(scripts/setup --test installs it)")
def test_gallery_in_headless_chromium(previews: Path, tmp_path: Path) -> None:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom",
           (previews / "index.html").as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    manifest = json.loads((previews / "manifest.json").read_text(encoding="utf-8"))
    cards = dict(re.findall(r'<article id="([^"]+)"[^>]*data-status="([a-z]+)"', dom))
    assert len(cards) == len(manifest["emails"])
    for e in manifest["emails"]:
        # "ok": the frame loaded and its <title> is the email's subject
        assert cards[f"{e['template']}-{e['lang']}"] == "ok", e


def test_a_broken_layout_is_located(repo: Path, tmp_path: Path) -> None:
    layout = repo / "templates/_layouts/default.mjml"
    layout.write_text(layout.read_text(encoding="utf-8").replace("{{ slot.content }}", ""), encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "templates/_layouts/default.mjml:1:1" in err and "slot.content" in err


def test_gallery_escapes_what_it_shows() -> None:
    from mailgitops.render.gallery import gallery_html
    from mailgitops.render.outputs import ManifestEntry

    page = gallery_html([ManifestEntry("t", "en", "en", "s", '<img src=x onerror="alert(1)">', 10, 20,
                                       ("<b>warn</b>",))])
    assert "<img src=x" not in page and "&lt;img src=x" in page and "&lt;b&gt;warn" in page
