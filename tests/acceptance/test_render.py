"""`mailgitops render` and `mailgitops restore` through the real CLI, and the gallery in Chromium."""

from __future__ import annotations

import email
import html
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
        assert e["html_bytes"] > 1000
        assert e["eml_bytes"] > e["html_bytes"] // 2
        msg = email.message_from_bytes((previews / e["eml"]).read_bytes(), policy=default)
        assert isinstance(msg, EmailMessage)
        assert str(msg["Subject"]) == e["subject"]
        assert msg.get_body(("plain",)) is not None
        assert msg.get_body(("html",)) is not None
    index = (previews / "index.html").read_text(encoding="utf-8")
    assert index.count("<iframe") == len(pairs)
    # a reviewer sees who each email comes from and goes to, as the .eml has them: a new sender or
    # CC shows on every card, not only inside the .eml files
    assert index.count("<b>From:</b>") == len(pairs) and index.count("<b>To:</b>") == len(pairs)
    assert index.count("<b>Sent by:</b>") == len(pairs)
    ready = email.message_from_bytes((previews / "order-ready/en.eml").read_bytes(), policy=default)
    assert html.escape(" ".join(str(ready["From"]).split())) in index


def test_proof_preview_attaches_the_sample_pdf(previews: Path) -> None:
    msg = email.message_from_bytes((previews / "proof-ready/en.eml").read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    atts = [(a.get_filename(), a.get_content_type()) for a in msg.iter_attachments()]
    assert ("final.pdf", "application/pdf") in atts
    operator = email.message_from_bytes((previews / "order-received-operator/en.eml").read_bytes(),
                                        policy=default)
    assert isinstance(operator, EmailMessage)
    assert [(a.get_filename(), a.get_content_type(), a.get_content_disposition())
            for a in operator.iter_attachments()] == [("ticket.pdf", "application/pdf", "attachment"),
                                                      ("preflight.pdf", "application/pdf", "attachment")]


def test_each_languages_preview_greets_a_customer_who_gets_that_language(previews: Path) -> None:
    """The German, French and Dutch previews of order-ready greeted 李华, the customer of its
    Chinese sample (business-cards, with the order title 名片): an email no one gets. A preview
    greets the trigger's sample customer in the language that customer gets, else the flyers
    sample's, as the previews of every other template do (a mail operations walk)."""
    manifest = json.loads((previews / "manifest.json").read_text(encoding="utf-8"))
    used = {e["lang"]: e["sample"] for e in manifest["emails"] if e["template"] == "order-ready"}
    assert used == {"de": "flyers", "en": "flyers", "fr": "flyers", "nl": "flyers", "zh": "business-cards"}
    greetings = {lang: (previews / f"order-ready/{lang}.txt").read_text(encoding="utf-8").split("\n")[0]
                 for lang in used}
    assert greetings == {"de": "Guten Tag Ada Lovelace,", "en": "Dear Ada Lovelace,",
                         "fr": "Bonjour Ada Lovelace,", "nl": "Beste Ada Lovelace,", "zh": "尊敬的 李华："}  # noqa: RUF001 -- the Chinese colon is right in Chinese
    assert "名片" not in (previews / "order-ready/de.html").read_text(encoding="utf-8")


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


def test_a_language_without_its_text_is_named_in_the_summary(repo: Path, tmp_path: Path) -> None:
    """An active language no text is written in yet: the previews show what a customer would get
    (the default language's text), and the summary said "(0 with warnings)"."""
    langs = repo / "config/languages.yaml"
    langs.write_text(langs.read_text(encoding="utf-8").replace("active: [en, de, fr, nl, zh]",
                                                               "active: [en, de, fr, nl, zh, it]"),
                     encoding="utf-8")
    code, out, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"), "--template",
                            "order-ready")
    assert code == 0, err
    assert "(0 with warnings, 1 in en instead of it (no it text))" in out


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
    assert "templates/quotation/fr.md:" in err
    assert "Traceback" not in err


def test_restore_puts_the_default_back(repo: Path) -> None:
    en = repo / "templates/order-ready/en.md"
    shipped = en.read_bytes()
    en.write_text("---\nsubject: x\n---\nx\n", encoding="utf-8")
    code, out, _ = invoke("restore", "--root", str(repo), "order-ready", "--lang", "en")
    assert code == 0
    assert "restored templates/order-ready/en.md" in out
    assert en.read_bytes() == shipped
    code, _, err = invoke("restore", "--root", str(repo), "order-redy")
    assert code == 2  # a name mistyped on the command line: usage, as render says it
    assert "did you mean `order-ready`?" in err
    assert invoke("render", "--root", str(repo), "--template", "order-redy", "--out", str(repo / "p"))[0] == 2


@pytest.mark.slow
@pytest.mark.browser
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
    assert "templates/_layouts/default.mjml:1:1" in err
    assert "slot.content" in err


def test_gallery_escapes_what_it_shows() -> None:
    from mailgitops.gitops.gallery import gallery_html
    from mailgitops.gitops.manifest import ManifestEntry

    page = gallery_html([ManifestEntry("t", "en", "en", "s", '<img src=x onerror="alert(1)">', 10, 20,
                                       ("<b>warn</b>",), html="t/en.html", text="t/en.txt", eml="t/en.eml")])
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page
    assert "&lt;b&gt;warn" in page


def test_an_unknown_filter_is_located_with_did_you_mean(repo: Path, tmp_path: Path) -> None:
    en = repo / "templates/order-accepted/en.md"
    source = en.read_text(encoding="utf-8")
    en.write_text(source.replace("{{ customer.name }}", "{{ customer.name | monye }}"), encoding="utf-8")
    line = next(i for i, t in enumerate(en.read_text(encoding="utf-8").split("\n"), 1) if "monye" in t)
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "Traceback" not in err
    assert f"templates/order-accepted/en.md:{line}:" in err
    assert "unknown filter `monye`" in err
    assert "did you mean `money`?" in err


@pytest.mark.parametrize(("find", "replace", "says"), [
    ("{{ theme.link_color }}", "{{ theme.link_color | nope }}", "No filter named 'nope'"),
    ("{{ theme.link_color }}", "{{ theme.nokey.deeper }}", "no attribute 'nokey'"),
    ("<mj-body", "<mj-bodyy", "MJML"),
])
def test_a_broken_layout_line_is_named(repo: Path, tmp_path: Path, find: str, replace: str,
                                       says: str) -> None:
    layout = repo / "templates/_layouts/default.mjml"
    source = layout.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(source.split("\n"), 1) if find in t)
    layout.write_text(source.replace(find, replace), encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "Traceback" not in err
    assert f"templates/_layouts/default.mjml:{line}:1" in err
    assert says in err


def test_from_is_the_webshops_sender_else_the_print_rooms(previews: Path, tmp_path: Path) -> None:
    """The plain previews show an order of no webshop: the print room's sender, also for the
    flyers sample (campus shop, its own sender); that shop's sender shows in its `@campus`
    preview, and with `--sample flyers`, which renders the sample as written."""
    out = tmp_path / "o"
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(PROJECT), "--out", str(out),
                           "--template", "order-accepted", "--lang", "en", "--per-webshop"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    shop = email.message_from_bytes((out / "order-accepted@campus/en.eml").read_bytes(), policy=default)
    room = email.message_from_bytes((previews / "order-accepted/en.eml").read_bytes(), policy=default)
    assert isinstance(shop, EmailMessage)
    assert isinstance(room, EmailMessage)
    assert (shop["From"].addresses[0].display_name, shop["From"].addresses[0].addr_spec) == (
        "Campus Print Shop", "campus@example.com")
    assert (room["From"].addresses[0].display_name, room["From"].addresses[0].addr_spec) == (
        "Print Room", "printroom@example.com")
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(PROJECT), "--out", str(tmp_path / "s"),
                           "--template", "order-accepted", "--lang", "de", "--sample", "flyers"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "From: Campus Print Shop <campus@example.com>" in (tmp_path / "s/order-accepted/de.eml").read_text(
        encoding="utf-8")
    for msg in (shop, room):
        assert msg["Date"].datetime.tzinfo is not None  # a parsed RFC 5322 date with its zone
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", msg["Message-ID"]), msg["Message-ID"]
        assert msg["Auto-Submitted"] == "auto-generated"
        assert "archive@example.com" in str(msg["Cc"])


def test_a_hostile_customer_shows_literally_in_both_parts(repo: Path, tmp_path: Path) -> None:
    name = "[x](http://evil) <b>x</b> {{ 7*7 }}"
    sample = repo / "config/samples/flyers.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace(
        "  name: Ada Lovelace\n", f"  name: {json.dumps(name)}\n"), encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"),
                          "--template", "order-accepted", "--sample", "flyers")
    assert code == 0, err
    for lang in ("en", "de", "zh"):
        raw = (tmp_path / f"o/order-accepted/{lang}.eml").read_bytes()
        msg = email.message_from_bytes(raw, policy=default)
        assert isinstance(msg, EmailMessage)
        text, html = msg.get_body(("plain",)), msg.get_body(("html",))
        assert text is not None
        assert html is not None
        assert name in text.get_content()
        assert "[x](http://evil) &lt;b&gt;x&lt;/b&gt; {{ 7*7 }}" in html.get_content()
        assert 'href="http://evil' not in html.get_content()
        assert "<b>x" not in html.get_content()
        assert msg["To"].addresses[0].display_name == name


def test_restore_outside_a_repository_writes_nothing(tmp_path: Path) -> None:
    code, _, err = invoke("restore", "--root", str(tmp_path), "order-ready")
    assert code == 2
    assert "not a config repository" in err
    assert "--root" in err
    assert list(tmp_path.iterdir()) == []


def test_restore_in_a_repository_made_by_init_writes_its_languages(tmp_path: Path) -> None:
    root = tmp_path / "new"
    code, _, err = invoke("init", str(root))
    assert code == 0, err
    langs = root / "config/languages.yaml"
    langs.write_text(re.sub(r"active: \[.*\]", "active: [en, de]", langs.read_text(encoding="utf-8")),
                     encoding="utf-8")
    shutil.rmtree(root / "templates/quotation")
    for extra in root.glob("templates/*/*.md"):
        if extra.stem not in ("en", "de"):
            extra.unlink()
    code, out, err = invoke("restore", "--root", str(root), "quotation")
    assert code == 0, err
    assert sorted(p.name for p in (root / "templates/quotation").iterdir()) == ["de.md", "en.md",
                                                                              "template.yaml"]
    code, out, err = invoke("validate", "--root", str(root))
    assert code == 0, out + err
    # no warning but those at the shipped example addresses (a restored text drifts from nothing)
    warned = [line for line in (out + err).splitlines() if "warning:" in line]
    assert all("[example-address]" in line or "[example-link]" in line for line in warned), out + err


def test_a_line_break_in_a_sample_value_is_refused_on_one_line(repo: Path, tmp_path: Path) -> None:
    """Header injection through a customer name: the sample is refused where it is, the value shown
    escaped, and no email is written."""
    sample = repo / "config/samples/flyers.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace(
        "  name: Ada Lovelace\n", '  name: "Ada\\r\\nBcc: evil@example.com"\n'), encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "Traceback" not in err
    assert re.search(r"config/samples/flyers\.yaml:\d+:\d+: .*Ada\\r\\nBcc: evil@example\.com", err)
    assert "\nBcc:" not in err
    assert not (tmp_path / "o").exists()


def test_an_unmakeable_out_folder_or_a_missing_root_is_wrong_usage(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "file/sub"))
    assert code == 2
    assert "cannot create the folder" in err
    code, _, err = invoke("render", "--root", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "no such folder" in err


def test_a_send_time_refusal_keeps_its_hint_apart(repo: Path, tmp_path: Path) -> None:
    """`render` does not run the address checks; what the MIME stage refuses is still one clean line."""
    smtp = repo / "config/smtp.yaml"
    text = smtp.read_text(encoding="utf-8")
    smtp.write_text(text.replace('cc: "archive@example.com"', 'cc: "archive@example"'), encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "o"),
                          "--template", "quotation", "--lang", "en")
    assert code == 1
    assert ("templates/quotation: error: 'archive@example' is not a valid address: the part after "
            "the @-sign is not valid. It should have a period (check for a missing or stray dot, e.g. "
            "name@example.com) [render-error]") in err


def test_a_copy_address_listed_twice_in_other_letters_is_copied_once(repo: Path, tmp_path: Path) -> None:
    """As the dispatcher sends it: an address once, however its letters are cased (a new admin
    saw both spellings in the preview's Cc)."""
    wf = repo / "config/workflow.yaml"
    twice = "    cc: [pickup@example.org, PickUp@Example.org]\n"
    text = wf.read_text(encoding="utf-8")
    wf.write_text(text.replace("    template: order-ready\n", "    template: order-ready\n" + twice),
                  encoding="utf-8")
    code, _, err = invoke("render", "--root", str(repo), "--out", str(tmp_path / "out"),
                          "--template", "order-ready", "--lang", "en")
    assert code == 0, err
    msg = email.message_from_bytes((tmp_path / "out/order-ready/en.eml").read_bytes(), policy=default)
    copies = [a.strip().lower() for a in str(msg["Cc"]).split(",")]
    assert copies.count("pickup@example.org") == 1, msg["Cc"]


def test_a_render_into_the_same_folder_leaves_no_earlier_preview_behind(tmp_path: Path) -> None:
    """A language no longer rendered left its files beside the new ones, where a reviewer opening
    the folder took them for current; a file the renders never wrote is left alone."""
    out = tmp_path / "out"
    assert invoke("render", "--root", str(PROJECT), "--out", str(out), "--template", "order-ready")[0] == 0
    assert (out / "order-ready/de.eml").is_file()
    (out / "notes.txt").write_text("the reviewer's own", encoding="utf-8")
    code, _, err = invoke("render", "--root", str(PROJECT), "--out", str(out), "--template", "order-ready",
                          "--lang", "en")
    assert code == 0, err
    assert sorted(p.name for p in (out / "order-ready").iterdir()) == ["en.eml", "en.html", "en.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the reviewer's own"
