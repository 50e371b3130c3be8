"""The translator round-trip through the real CLI, with translate-toolkit's XLIFF 2.0 reader and
writer standing in for the translator's tool (it is what Weblate and Pootle are built on)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from translate.storage import xliff2
from translate.storage.placeables import StringElem

from mailgitops.cli.main import cli

PROJECT = Path(__file__).resolve().parents[2]
MAILGITOPS = Path(sys.executable).parent / "mailgitops"
LANGS = ("de", "fr", "nl", "zh")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, root / part)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "templates").rglob("*"))
            if p.is_file()}


def mg(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args[:2], "--root", str(root), *args[2:]])


def export(root: Path, lang: str) -> Path:
    out = root.parent / f"{lang}.xlf"
    result = mg(root, "translations", "export", "--lang", lang, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def tool_edit(path: Path, edit: Callable[[xliff2.Xliff2Unit], None]) -> None:
    """Open the file in translate-toolkit, let `edit` change units, and save it as the tool does."""
    store = xliff2.Xliff2File.parsefile(str(path))
    for unit in store.units:
        edit(unit)
    path.write_bytes(bytes(store))


def translated(unit: xliff2.Xliff2Unit, change: Callable[[str], str]) -> list[StringElem]:
    """The unit's source as a translator's tool offers it (codes as locked tags), with every run
    of text changed by `change` and every tag left where it was."""
    rich = copy.deepcopy(unit.rich_source)

    def walk(elem: StringElem) -> None:
        elem.sub = [change(x) if isinstance(x, str) else x for x in elem.sub]
        for x in elem.sub:
            if not isinstance(x, str):
                walk(x)

    for elem in rich:
        walk(elem)
    return rich


def notes(unit: xliff2.Xliff2Unit) -> list[str]:
    """The unit's notes. XLIFF 2.0 puts them on <unit>; the toolkit's getnotes() only looks inside
    <segment>, so they are read from the toolkit's own tree."""
    return [n.text for n in unit.getunitelement().iter(f"{{{xliff2.Xliff2Unit.namespace}}}note")]


def unit_id(unit: xliff2.Xliff2Unit) -> str:
    return f"{unit.getunitelement().getparent().get('id')}/{unit.getid()}"


@pytest.mark.parametrize("lang", LANGS)
def test_round_trip_through_a_translation_tool_changes_no_byte(repo: Path, lang: str) -> None:
    before = snapshot(repo)
    path = export(repo, lang)
    tool_edit(path, lambda unit: None)  # opened and saved by the tool, nothing translated
    result = mg(repo, "translations", "import", "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["written"] == []
    assert report["counts"]["unchanged"] == len(report["units"]) > 100
    assert snapshot(repo) == before


def test_the_tool_sees_placeholders_as_locked_codes_and_the_catalog_as_notes(repo: Path) -> None:
    proc = subprocess.run([str(MAILGITOPS), "translations", "export", "--root", str(repo), "--lang", "de"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "exported 175 units of 17 templates for de (175 already translated)" in proc.stderr
    path = repo.parent / "de.xlf"
    path.write_text(proc.stdout, encoding="utf-8")
    store = xliff2.Xliff2File.parsefile(str(path))
    units = {unit_id(u): u for u in store.units}
    subject = units["order-accepted/subject"]
    # the tool's plain text has no Jinja in it: the placeholder is an inline code, not words
    assert subject.source == "Your order  has been accepted"
    assert subject.target == "Ihr Auftrag  wurde angenommen"
    assert "{{ order.number }}: The order number. Example: PO-1001" in notes(subject)
    link = next(u for k, u in units.items()
                if k.startswith("order-accepted/") and "View your order" in u.source)
    assert "http" not in link.source
    assert "{{" not in link.source  # the link's destination is a code too
    # filters are explained as well
    assert any(n.startswith("| date: ") for n in notes(units["order-accepted/p5"]))


def test_a_translation_made_in_the_tool_is_written_and_validates(repo: Path) -> None:
    before = snapshot(repo)
    path = export(repo, "de")

    def edit(unit: xliff2.Xliff2Unit) -> None:
        if unit_id(unit) in ("order-accepted/subject", "order-accepted/p1"):
            unit.rich_target = translated(unit, lambda s: s.replace("Your order", "Ihre Bestellung")
                                          .replace("has been accepted", "ist angenommen")
                                          .replace("Dear", "Hallo"))

    tool_edit(path, edit)
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "wrote templates/order-accepted/de.md (subject, p1)" in result.output
    after = snapshot(repo)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"templates/order-accepted/de.md"}
    text = after["templates/order-accepted/de.md"].decode()
    assert text.startswith('---\nsubject: "Ihre Bestellung {{ order.number }} ist angenommen"\n'
                           'preheader: "Wir haben mit der Bearbeitung Ihres Auftrags begonnen."\n---\n'
                           "Hallo {{ customer.name }},\n\nvielen Dank")
    assert mg(repo, "validate").exit_code == 0


def test_a_dropped_placeholder_refuses_the_whole_import_with_its_line(repo: Path) -> None:
    before = snapshot(repo)
    path = export(repo, "de")

    def edit(unit: xliff2.Xliff2Unit) -> None:
        if unit_id(unit) == "order-accepted/subject":  # a valid change in the same import
            unit.rich_target = translated(unit, lambda s: s.replace("Your", "Ihre"))
        if unit_id(unit) == "order-accepted/p2":
            rich = translated(unit, str.upper)
            rich[0].sub = [x for x in rich[0].sub if type(x) is StringElem]  # every tag gone
            unit.rich_target = rich

    tool_edit(path, edit)
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:{target_line(path, 'order-accepted', 'p2')}:9: unit p2" in result.output
    assert "unit p2 of templates/order-accepted/de.md: `{{ order.number }}` is missing" in result.output
    assert "nothing was imported" in result.output
    assert snapshot(repo) == before


def target_line(path: Path, file_id: str, unit: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    file_start = lines.index(next(t for t in lines if f'<file id="{file_id}"' in t))
    start = lines.index(f'    <unit id="{unit}">', file_start)
    return next(i for i, t in enumerate(lines[start:], start + 1) if "<target" in t)


def _edit_target_xml(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index("<target", text.index('<file id="quotation"'))
    end = text.index("</target>", start)
    assert old in text[start:end]
    path.write_text(text[:start] + text[start:end].replace(old, new, 1) + text[end:], encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("Preisangebot", "Preisangebot {{ order.secret }}", "`{{ order.secret }}` is not in the original"),
    ('<ph id="1" dataRef="d1"', '<ph id="7" dataRef="d9"', 'not one of the codes this unit was exported'),
    ("Preisangebot", "<pc id='9'>Preis</pc>angebot", "<pc> is not something the export wrote"),
])
def test_a_placeholder_typed_or_altered_in_the_file_is_refused(repo: Path, old: str, new: str,
                                                              message: str) -> None:
    path = export(repo, "de")
    _edit_target_xml(path, old, new)
    before = snapshot(repo)
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert snapshot(repo) == before


def test_jinja_tags_swapped_in_the_translation_are_refused(repo: Path) -> None:
    path = export(repo, "de")

    def edit(unit: xliff2.Xliff2Unit) -> None:
        if unit_id(unit) == "quotation/p5":  # {% for %} … {% endfor %}
            rich = translated(unit, lambda s: s)
            tags = [i for i, x in enumerate(rich[0].sub) if type(x) is not StringElem]
            first, last = tags[0], tags[-1]
            rich[0].sub[first], rich[0].sub[last] = rich[0].sub[last], rich[0].sub[first]
            unit.rich_target = rich

    tool_edit(path, edit)
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 1
    assert "no longer in their original order" in result.output


def test_units_new_changed_and_stale_since_the_export_are_reported(repo: Path) -> None:
    path = export(repo, "de")
    tool_edit(path, lambda u: setattr(u, "rich_target", translated(u, lambda s: s.replace("e", "é")))
              if unit_id(u) in ("order-ready/p1", "order-ready/p2") else None)
    en = repo / "templates/order-ready/en.md"  # the source changes after the export
    en.write_text(en.read_text(encoding="utf-8").replace("Dear", "Hello"), encoding="utf-8")
    shutil.copytree(repo / "templates/order-ready", repo / "templates/order-collected")
    shutil.rmtree(repo / "templates/order-finalized")
    de_before = (repo / "templates/order-ready/de.md").read_bytes()
    result = mg(repo, "translations", "import", "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    status = {(u["file"], u["unit"]): u["status"] for u in report["units"]}
    assert status["templates/order-ready/de.md", "p1"] == "changed"  # not written: the source moved on
    assert status["templates/order-ready/de.md", "p2"] == "updated"
    assert {s for (f, _), s in status.items() if f == "templates/order-collected/de.md"} == {"new"}
    assert {s for (f, _), s in status.items() if f == "templates/order-finalized/de.md"} == {"stale"}
    de_after = (repo / "templates/order-ready/de.md").read_text(encoding="utf-8")
    assert de_after.split("\n\n")[0] == de_before.decode().split("\n\n")[0]  # p1 kept
    assert "é" in de_after.split("\n\n")[1]
    text = mg(repo, "translations", "import", str(path)).output
    assert "changed since the export (the source text changed: not written, export again)" in text
    assert "templates/order-finalized/de.md subject" in text


def italian(text: str) -> str:
    return text.replace("Dear", "Gentile").replace("Kind regards,", "Cordiali saluti,")


def test_a_new_language_is_written_once_every_unit_is_translated(repo: Path) -> None:
    path = export(repo, "it")
    assert 'state="translated"' not in path.read_text(encoding="utf-8")
    tool_edit(path, lambda u: setattr(u, "rich_target", translated(u, italian))
              if not unit_id(u).startswith("quotation/p") else None)  # its subject only
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "did not write templates/quotation/it.md: not every unit is translated yet" in result.output
    assert not (repo / "templates/quotation/it.md").exists()
    written = (repo / "templates/order-ready/it.md").read_text(encoding="utf-8")
    en = (repo / "templates/order-ready/en.md").read_text(encoding="utf-8")
    assert written == italian(en)  # the source's skeleton, the translated words


@pytest.mark.parametrize("lang", ["de", "fr", "nl"])
def test_deleted_translations_come_back_byte_identical_from_the_file(repo: Path, lang: str) -> None:
    before = snapshot(repo)
    path = export(repo, lang)
    for md in (repo / "templates").glob(f"*/{lang}.md"):
        md.unlink()
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 0, result.output
    assert snapshot(repo) == before


def test_bad_files_and_usage_are_refused_with_a_location(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlf"
    bad.write_text("<xliff version='2.0'>\n  <file>\n</xliff>\n", encoding="utf-8")
    result = mg(repo, "translations", "import", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:3:3: not well-formed XML: mismatched tag" in result.output
    bad.write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><xliff version="2.0"/>', encoding="utf-8")
    result = mg(repo, "translations", "import", str(bad))
    assert result.exit_code == 1
    assert "DOCTYPE" in result.output
    bad.write_text('<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"/>', encoding="utf-8")
    assert "not an XLIFF 2.0 document" in mg(repo, "translations", "import", str(bad)).output
    path = export(repo, "de")
    languages = "default: de\nactive: [de, en, fr, nl, zh]\n"
    (repo / "config/languages.yaml").write_text(languages, encoding="utf-8")
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 1
    assert "exported from en, but the source language is now de" in result.output
    for lang in ("de", "../x"):
        result = mg(repo, "translations", "export", "--lang", lang)
        assert result.exit_code == 2, result.output
    # the file's own trgLang is the file's problem (exit 1), not a --lang nobody gave (exit 2)
    (repo / "config/languages.yaml").write_text(languages.replace("default: de", "default: en"),
                                                encoding="utf-8")
    exported = path.read_text(encoding="utf-8")
    for lang, said in (("../../tmp/x", "not a language code"), ("en", "the source language")):
        path.write_text(exported.replace('trgLang="de"', f'trgLang="{lang}"'), encoding="utf-8")
        result = mg(repo, "translations", "import", str(path))
        assert result.exit_code == 1, result.output
        assert f"{path}: its target language (trgLang) '{lang}' is {said}" in result.output
    missing = mg(repo, "translations", "import", str(tmp_path / "nope.xlf"))
    assert missing.exit_code == 1
    assert "cannot read" in missing.output


def test_a_translation_that_does_not_follow_the_source_is_named_and_left_out(repo: Path,
                                                                             tmp_path: Path) -> None:
    """One German text written its own way (a paragraph more) is the admin's: the export leaves
    it out and says so, and every other template still goes to the translator and comes back."""
    de = repo / "templates/order-ready/de.md"
    own = de.read_text(encoding="utf-8") + "\nNoch ein Absatz.\n"
    de.write_text(own, encoding="utf-8")
    out = tmp_path / "de.xlf"
    result = mg(repo, "translations", "export", "--lang", "de", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "templates/order-ready/de.md:1:1: warning: left out: cannot be paired with en.md paragraph " \
           "by paragraph" in result.output
    assert "1 left out, see above" in result.output
    xliff = out.read_text(encoding="utf-8")
    assert 'original="templates/order-ready/en.md"' not in xliff
    assert 'original="templates/order-accepted/en.md"' in xliff
    back = mg(repo, "translations", "import", str(out))
    assert back.exit_code == 0, back.output
    assert " 0 new," in back.output  # the template left out is not reported as new
    assert de.read_text(encoding="utf-8") == own


def test_a_new_languages_first_template_reports_the_rest_per_file(repo: Path) -> None:
    """One template of a new language translated: the import listed every other unit on a line
    of its own (160 lines and more) before its summary; a line per file says the same."""
    path = export(repo, "it")
    tool_edit(path, lambda u: setattr(u, "rich_target", translated(u, italian))
              if unit_id(u).startswith("order-ready/") else None)
    result = mg(repo, "translations", "import", str(path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("wrote templates/order-ready/it.md (subject, preheader, p1")
    files = sorted(p.parent.name for p in (repo / "templates").glob("*/en.md")
                   if p.parent.name != "order-ready")
    assert [line for line in lines if line.startswith("  ")] == [
        f"  templates/{name}/it.md: {n} unit(s)" for name, n in
        [(name, len(_units_of(path, name))) for name in files]]
    untranslated = sum(len(_units_of(path, name)) for name in files)
    assert f"{untranslated} unit(s) not translated yet (left as they are):" in lines
    assert lines[-1].endswith(f"unchanged, {untranslated} not translated yet, 0 new, 0 changed, 0 stale")


def _units_of(path: Path, template: str) -> list[str]:
    store = xliff2.Xliff2File(path.read_bytes())
    return [unit_id(u) for u in store.units if unit_id(u).startswith(f"{template}/")]
