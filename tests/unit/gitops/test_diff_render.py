"""`diff` on real `mailgitops render` outputs of a repository made by `init`, before and after edits."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailgitops.gitops.diff import Status, compare_dirs
from mailgitops.gitops.report import to_markdown


def mailgitops(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailgitops", *map(str, args)],
                          capture_output=True, text=True, check=False)


def _edit(repo: Path) -> None:
    """Remove a template (and its trigger), add Italian everywhere, change one English body."""
    wf = repo / "config" / "workflow.yaml"
    wf.write_text(re.sub(r"  export_completed:\n(    .*\n)+", "", wf.read_text(encoding="utf-8")),
                  encoding="utf-8")
    shutil.rmtree(repo / "templates" / "export-completed")
    langs = repo / "config" / "languages.yaml"
    langs.write_text(re.sub(r"active: \[(.*)\]", r"active: [\1, it]", langs.read_text(encoding="utf-8")),
                     encoding="utf-8")
    for folder in (repo / "templates").iterdir():
        if (folder / "en.md").is_file():
            shutil.copy(folder / "en.md", folder / "it.md")
    ready = repo / "templates" / "order-ready" / "en.md"
    ready.write_text(ready.read_text(encoding="utf-8") + "\nSee you soon.\n", encoding="utf-8")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("real")
    repo = tmp / "repo"
    assert mailgitops("init", repo).returncode == 0
    r = mailgitops("render", "--root", repo, "--out", tmp / "base")
    assert r.returncode == 0, r.stderr
    _edit(repo)
    r = mailgitops("validate", "--root", repo)
    assert r.returncode == 0, r.stdout
    r = mailgitops("render", "--root", repo, "--out", tmp / "head")
    assert r.returncode == 0, r.stderr
    return tmp / "base", tmp / "head"


@pytest.mark.slow
def test_added_removed_and_changed_emails(outputs: tuple[Path, Path]) -> None:
    cmp = compare_dirs(*outputs)
    by_status = {s: {(c.template, c.lang) for c in cmp.changes if c.status is s} for s in Status}
    repo = outputs[1].parent / "repo"
    kept = {p.name for p in (repo / "templates").iterdir() if not p.name.startswith("_")}
    assert {"order-accepted", "order-ready", "quotation"} <= kept, kept
    old_langs = ("de", "en", "fr", "nl", "zh")
    assert by_status[Status.REMOVED] == {("export-completed", lang) for lang in old_langs}
    assert by_status[Status.ADDED] == {(t, "it") for t in kept}
    assert by_status[Status.CHANGED] == {("order-ready", "en")}
    (changed,) = [c for c in cmp.changes if c.status is Status.CHANGED]
    assert "+See you soon." in changed.text_diff
    assert changed.size_delta > 0
    assert not changed.subject_changed


def test_added_template_and_removed_language_the_other_way_round(outputs: tuple[Path, Path]) -> None:
    """The same two outputs swapped: a template comes in (in every language), a language goes."""
    base, head = outputs
    cmp = compare_dirs(head, base)
    by_status = {s: {(c.template, c.lang) for c in cmp.changes if c.status is s} for s in Status}
    assert by_status[Status.ADDED] == {("export-completed", lang) for lang in ("de", "en", "fr", "nl", "zh")}
    assert by_status[Status.REMOVED] == {(c.template, "it") for c in compare_dirs(base, head).changes
                                         if c.lang == "it"}
    md = to_markdown(cmp)
    assert "| `export-completed` · `de` | added |" in md
    assert "| `order-ready` · `it` | removed: **sent in `en` instead** |" in md


def test_summary_of_real_outputs(outputs: tuple[Path, Path]) -> None:
    md = to_markdown(compare_dirs(*outputs))
    assert re.search(r"\*\*\d+ emails differ\*\* from the base: 1 changed, \d+ added, 5 removed; "
                     r"\d+ unchanged\.", md)
    assert "### `order-ready` · `en`: changed" in md
    assert "+See you soon." in md
    assert md == to_markdown(compare_dirs(*outputs))


@pytest.mark.slow
def test_same_repository_rendered_twice_has_no_changes(outputs: tuple[Path, Path], tmp_path: Path) -> None:
    head = outputs[1]
    repo = head.parent / "repo"
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "again")
    assert r.returncode == 0, r.stderr
    assert compare_dirs(head, tmp_path / "again").changes == ()


def test_a_new_webshop_shows_in_the_comment_with_its_sender(tmp_path: Path) -> None:
    """The pull-request workflow renders with --per-webshop: a shop added (or changed) is a row
    `<template>@<shop>` with the shop's own From, Reply-To and logo, not 'No email changed'."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--per-webshop")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    (repo / "config" / "webshops" / "library.yaml").write_text(
        "name: Library shop\nsender: {address: library@example.com, name: Library Print Service}\n"
        "reply_to: help@library.example.com\n", encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    shops = sorted(p.name for p in (tmp_path / "head").iterdir() if "@" in p.name)
    assert shops == ["order-accepted@campus", "order-accepted@library", "order-accepted@staff"]
    eml = (tmp_path / "head" / "order-accepted@library" / "en.eml").read_text(encoding="utf-8")
    assert "From: Library Print Service <library@example.com>" in eml
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert "**1 email differs** from the base: 1 added;" in md
    assert "| `order-accepted@library` · `en` | added |" in md
    assert "- From: Library Print Service \\<library@example.com\\>" in md
    assert "- Reply-To: help@library.example.com" in md


def test_a_trigger_switched_off_shows_its_email_as_no_longer_sent(tmp_path: Path) -> None:
    """`send: never` changes no rendered byte: the comment said 'No email changed'."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--template", "order-ready", "--lang", "de")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    wf = repo / "config" / "workflow.yaml"
    text = wf.read_text(encoding="utf-8")
    off = re.sub(r"(  order_accepted:\n(?:    .*\n)*?    send: )on_customer_request", r"\1never", text)
    assert off != text
    wf.write_text(off, encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert "**1 email differs** from the base: 1 changed; 1 unchanged." in md
    assert "| `order-accepted` · `de` | changed: **no longer sent** |" in md
    assert ("- Sent by: order\\_accepted to customer (only to customers who asked) → "
            "**no trigger sends it**") in md


def test_a_renamed_template_folder_reads_as_a_rename(tmp_path: Path) -> None:
    """`git mv templates/order-ready templates/order-complete` and the trigger pointed at it: the
    same emails, where the comment listed each as added with its whole text and each old one as
    'no longer sent'."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", "--template", "order-ready",
                      "--per-webshop").returncode == 0
    (repo / "templates" / "order-ready").rename(repo / "templates" / "order-complete")
    wf = repo / "config" / "workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("template: order-ready", "template: order-complete"),
                  encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", "--template", "order-complete",
                   "--per-webshop")
    assert r.returncode == 0, r.stderr
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert md.startswith("## Email preview\n\n**No email changed** (7 rendered, all identical to the "
                         "base).\n\n**Renamed** (compared with the emails of the old name; only those "
                         "that differ are listed): `order-ready` → `order-complete`\n"), md


def test_a_language_dropped_reads_as_sent_in_the_default_language(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-ready")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    langs = repo / "config" / "languages.yaml"
    langs.write_text(langs.read_text(encoding="utf-8").replace("fr, ", ""), encoding="utf-8")
    for fr in (repo / "templates").glob("*/fr.md"):
        fr.unlink()
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert "**1 email differs** from the base: 1 removed; 4 unchanged." in md
    assert "| `order-ready` · `fr` | removed: **sent in `en` instead** |" in md


def test_a_new_logo_under_the_old_file_name_changes_the_emails(tmp_path: Path) -> None:
    """The comment said 'No email changed' (and took no screenshot) for a replaced logo.png."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--lang", "de")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    logo = repo / "templates" / "_assets" / "logo.png"
    data = bytearray(logo.read_bytes())
    data[-20] ^= 0xFF  # another picture under the same name (the bytes before IEND's CRC)
    logo.write_bytes(bytes(data))
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    cmp = compare_dirs(tmp_path / "base", tmp_path / "head")
    assert [(c.template, c.lang, c.html_changed, c.text_diff) for c in cmp.changes] == [
        ("order-accepted", "de", True, ())]


def test_a_sender_change_reaches_the_plain_previews_in_every_language(tmp_path: Path) -> None:
    """The plain previews (`<template> · <lang>`) were rendered with the sample's webshop (campus,
    its own sender): a new print-room sender name changed only the `@staff` rows and said the
    German, French, Dutch and Chinese emails were unchanged. They show an order of no shop now."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--per-webshop")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    smtp = repo / "config" / "smtp.yaml"
    smtp.write_text(smtp.read_text(encoding="utf-8").replace("name: Print Room ", "name: Campus Print Room "),
                    encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    eml = (tmp_path / "head" / "order-accepted" / "de.eml").read_text(encoding="utf-8")
    assert "From: Campus Print Room <printroom@example.com>" in eml
    campus = (tmp_path / "head" / "order-accepted@campus" / "en.eml").read_text(encoding="utf-8")
    assert "From: Campus Print Shop <campus@example.com>" in campus  # the shop's own, unchanged
    cmp = compare_dirs(tmp_path / "base", tmp_path / "head")
    plain = [("order-accepted", lang) for lang in ("de", "en", "fr", "nl", "zh")]
    assert sorted((c.template, c.lang) for c in cmp.changes) == [*plain, ("order-accepted@staff", "en")]
    md = to_markdown(cmp)
    assert "**6 emails differ** from the base: 6 changed; 1 unchanged." in md
    assert ("From: Print Room \\<printroom@example.com\\> → "
            "**Campus Print Room \\<printroom@example.com\\>**") in md


def test_a_shop_with_nothing_of_its_own_is_no_second_row(tmp_path: Path) -> None:
    """The staff shop has no sender, look or link of its own: its `@staff` preview is the plain
    English email byte for byte, and a text edit listed it as a second, identical row and section."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--per-webshop", "--lang", "en")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    en = repo / "templates" / "order-accepted" / "en.md"
    en.write_text(en.read_text(encoding="utf-8") + "\nThank you for printing with us.\n", encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert "**3 emails differ** from the base: 3 changed; 0 unchanged." in md
    assert "| `order-accepted` · `en` (also `@staff`: the same email) | changed |" in md
    assert "| `order-accepted@campus` · `en` | changed |" in md  # its own sender: a row of its own
    assert "`order-accepted@staff` · `en`" not in md
    assert md.count("+Thank you for printing with us.") == 2  # the plain email's and campus's diff


def test_bold_taken_away_shows_as_that_edit_not_as_layout(tmp_path: Path) -> None:
    """`**Lieferart:**` -> `Lieferart:` leaves the text part as it was: the summary said 'HTML
    only (layout or styling)', or with three languages '3 emails changed in their HTML only
    (layout, colours or logo ...)', and showed no diff. It shows the line, bold marked, now."""
    repo = tmp_path / "repo"
    assert mailgitops("init", repo).returncode == 0
    args = ("--template", "order-ready", "--lang", "de", "--lang", "fr", "--lang", "nl")
    assert mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    for lang, label in (("de", "Lieferart:"), ("fr", "Mode de livraison :"), ("nl", "Leveringswijze:")):
        md_file = repo / "templates" / "order-ready" / f"{lang}.md"
        source = md_file.read_text(encoding="utf-8")
        assert f"**{label}**" in source
        md_file.write_text(source.replace(f"**{label}**", label), encoding="utf-8")
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args)
    assert r.returncode == 0, r.stderr
    md = to_markdown(compare_dirs(tmp_path / "base", tmp_path / "head"))
    assert "**3 emails differ** from the base: 3 changed; 0 unchanged." in md
    assert "HTML only" not in md
    assert "- Changed: bold, italics or links in the HTML (the plain-text part reads the same)." in md
    assert "-**Lieferart:** Pick-up at the print room\n+Lieferart: Pick-up at the print room\n" in md
    assert "+Mode de livraison : Pick-up at the print room\n" in md
