"""A footer per language (theme.yaml `footer: {en: ..., de: ...}`) through the real CLI: a German
customer's email carries the German imprint in previews and when sent, a language without its own
shows the default language's, validate names the gap once, and the translator's file carries it."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

from click.testing import CliRunner, Result
from translate.storage import xliff2

from mailgitops.cli.main import cli as click_cli
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

EN = "Print Room Ltd · 1 Example Street\nCompany no. 123456"
DE = "Druckerei GmbH · Beispielstr. 1\nHRB 123456 · Geschäftsführer: A. Muster"
FOOTER = ("footer:   # the imprint, in each customer's language\n"
          "  en: |\n    Print Room Ltd · 1 Example Street\n    Company no. 123456\n"
          "  de: |\n    Druckerei GmbH · Beispielstr. 1\n    HRB 123456 · Geschäftsführer: A. Muster\n")


def _repo(tmp: Path, footer: str = FOOTER, port: int = 9) -> Path:
    repo = make_repo(tmp / "repo", port=port)
    theme = repo / "templates/_layouts/theme.yaml"
    theme.write_text(theme.read_text(encoding="utf-8") + footer, encoding="utf-8")
    return repo


def mg(*args: str) -> Result:
    return CliRunner().invoke(click_cli, list(args))


def _render(repo: Path, out: Path) -> None:
    result = mg("render", "--root", str(repo), "--out", str(out), "--template", "order-accepted")
    assert result.exit_code == 0, result.output


def test_each_language_previews_its_own_footer_and_the_rest_the_default_languages(tmp_path: Path) -> None:
    _render(_repo(tmp_path), tmp_path / "out")
    parts = {lang: ((tmp_path / f"out/order-accepted/{lang}.txt").read_text(encoding="utf-8"),
                    (tmp_path / f"out/order-accepted/{lang}.html").read_text(encoding="utf-8"))
             for lang in ("en", "de", "fr")}
    text, html = parts["de"]
    assert text.endswith(DE + "\n") and "Print Room Ltd" not in text
    assert "Druckerei GmbH · Beispielstr. 1<br>HRB 123456 · Geschäftsführer: A. Muster" in html
    assert "Print Room Ltd" not in html
    for lang in ("en", "fr"):  # French has no footer of its own: the default language's
        text, html = parts[lang]
        assert text.endswith(EN + "\n") and "Druckerei" not in text, lang
        assert "Print Room Ltd · 1 Example Street<br>Company no. 123456" in html, lang
    # ... marked as English in the French email (a screen reader reads it with English rules),
    # where the English and German emails' own footers carry no mark
    assert '<span lang="en" dir="ltr">Print Room Ltd · 1 Example Street<br>' in parts["fr"][1]
    assert all('<span lang="' not in parts[lang][1] for lang in ("en", "de"))


def test_one_footer_text_is_still_every_languages(tmp_path: Path) -> None:
    _render(_repo(tmp_path, 'footer: "Print Room Ltd · Company no. 123456"\n'), tmp_path / "out")
    for lang in ("en", "de", "zh"):
        text = (tmp_path / f"out/order-accepted/{lang}.txt").read_text(encoding="utf-8")
        assert text.endswith("Print Room Ltd · Company no. 123456\n"), lang


def test_a_german_customer_is_sent_the_german_footer(tmp_path: Path, smtp_server: SmtpServer,
                                                     sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, port=smtp_server.port))
    for lang in ("de", "fr"):
        event = sample_event("flyers", trigger="order_accepted", event_id=f"evt-footer-{lang}")
        event["customer"] = {**event["customer"], "language": lang}
        got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp_path, event)),
                          "--outbox", str(tmp_path / "o.sqlite"),
                          "--attachments-root", str(SAMPLES / "files"),
                          env={"MAILGITOPS_DELIVERY": "production"}))
        assert got["messages"][0]["status"] == "sent", json.dumps(got)
    de, fr = (m.message for m in sink.wait_for(2))
    for msg, footer, other in ((de, DE, "Print Room Ltd"), (fr, EN, "Druckerei")):
        assert isinstance(msg, EmailMessage)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        assert text is not None and html is not None
        plain = text.get_content().replace("\r\n", "\n")  # the wire's line ends
        assert plain.rstrip().endswith(footer)
        assert footer.replace("\n", "<br>") in html.get_content()
        assert other not in plain + html.get_content()


def test_validate_names_the_languages_without_a_footer_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = mg("validate", "--root", str(repo), "--format", "json")
    assert result.exit_code == 0, result.output
    found = [d for d in json.loads(result.output) if d["code"] == "footer-missing-language"]
    assert len(found) == 1, found  # once for the footer, not once per template
    (gap,) = found
    assert gap["file"] == "templates/_layouts/theme.yaml" and gap["severity"] == "warning"
    assert "no text in fr, nl, zh yet" in gap["message"] and "the en footer" in gap["message"]
    assert "mailgitops translations export --lang fr" in gap["hint"]
    lines = (repo / "templates/_layouts/theme.yaml").read_text(encoding="utf-8").split("\n")
    assert lines[gap["line"] - 1].startswith("footer:")


def test_a_footer_without_the_default_language_or_with_a_bad_tag_is_an_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 'footer:\n  de: "Druckerei GmbH"\n  Fr: "Imprimerie"\n')
    result = mg("validate", "--root", str(repo))
    assert result.exit_code == 1
    assert ("templates/_layouts/theme.yaml:" in result.output
            and "the footer has no text in the default language `en`" in result.output)
    assert "`Fr` is not a language tag such as en, de or pt-BR" in result.output
    assert "Traceback" not in result.output


def test_the_translator_gets_the_footer_and_its_translation_is_written_back(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    path = tmp_path / "fr.xlf"
    result = mg("translations", "export", "--root", str(repo), "--lang", "fr", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert "templates and the footer for fr" in result.output
    store = xliff2.Xliff2File.parsefile(str(path))
    (unit,) = [u for u in store.units if u.getunitelement().getparent().get("id") == "_footer"]
    assert unit.source == EN + "\n" and not unit.target
    unit.target = "Imprimerie SARL · 1 rue Exemple\nRCS 123456"
    path.write_bytes(bytes(store))
    theme = repo / "templates/_layouts/theme.yaml"
    before = theme.read_text(encoding="utf-8")
    result = mg("translations", "import", "--root", str(repo), str(path))
    assert result.exit_code == 0, result.output
    assert "wrote templates/_layouts/theme.yaml (footer)" in result.output
    after = theme.read_text(encoding="utf-8")
    # the French entry is added; every other line (comments, the en and de texts) as it was
    assert after == before + "  fr: |-\n    Imprimerie SARL · 1 rue Exemple\n    RCS 123456\n"
    _render(repo, tmp_path / "out")
    text = (tmp_path / "out/order-accepted/fr.txt").read_text(encoding="utf-8")
    assert text.endswith("Imprimerie SARL · 1 rue Exemple\nRCS 123456\n")
    again = mg("translations", "import", "--root", str(repo), str(path))
    assert again.exit_code == 0 and "1 updated" not in again.output
    assert theme.read_text(encoding="utf-8") == after


def test_a_single_footer_becomes_one_per_language_when_a_translation_comes_back(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 'footer: "Print Room Ltd · Company no. 123456"   # the imprint\n')
    path = tmp_path / "de.xlf"
    exported = mg("translations", "export", "--root", str(repo), "--lang", "de", "--out", str(path))
    assert exported.exit_code == 0, exported.output
    store = xliff2.Xliff2File.parsefile(str(path))
    (unit,) = [u for u in store.units if u.getunitelement().getparent().get("id") == "_footer"]
    unit.target = "Druckerei GmbH · HRB 123456"
    path.write_bytes(bytes(store))
    assert mg("translations", "import", "--root", str(repo), str(path)).exit_code == 0
    _render(repo, tmp_path / "out")
    for lang, footer in (("de", "Druckerei GmbH · HRB 123456"),
                         ("nl", "Print Room Ltd · Company no. 123456")):
        text = (tmp_path / f"out/order-accepted/{lang}.txt").read_text(encoding="utf-8")
        assert text.endswith(footer + "\n"), lang
    assert mg("validate", "--root", str(repo)).exit_code == 0
