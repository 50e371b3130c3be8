"""The print room's own date format per language (config/workflow.yaml `date_formats`) through the
real CLI: templates that call `date` or `datetime` with no format print it, in previews and in the
sent email; a format written in the template and languages left out print as before; validate
refuses the pattern mistakes it refuses in templates, at the line in workflow.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from mailgitops.cli.main import cli as click_cli
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

FORMATS = ('date_formats:\n  en: "d MMM y"\n'
           '  de: {date: "d. MMMM y", datetime: "d. MMMM y, HH:mm"}\n')


def _repo(tmp: Path, formats: str = FORMATS, port: int = 9) -> Path:
    repo = make_repo(tmp / "repo", port=port)
    with (repo / "config/workflow.yaml").open("a", encoding="utf-8") as f:
        f.write(formats)
    return repo


def mg(*args: str) -> Result:
    return CliRunner().invoke(click_cli, list(args))


def _render(repo: Path, out: Path, template: str) -> dict[str, str]:
    result = mg("render", "--root", str(repo), "--out", str(out), "--template", template)
    assert result.exit_code == 0, result.output
    return {lang: (out / template / f"{lang}.txt").read_text(encoding="utf-8")
            for lang in ("en", "de", "fr")}


def test_previews_print_the_print_rooms_own_date_format(tmp_path: Path) -> None:
    # order-received prints `order.due_date | date` and `order.submitted_at | datetime`
    text = _render(_repo(tmp_path), tmp_path / "out", "order-received")
    assert "Needed by: 4 Dec 2026" in text["en"]  # the language's medium: Dec 4, 2026
    assert "Submitted on: Nov 20, 2026, 10:30\u202fAM CET" in text["en"]  # en sets no datetime
    assert "Benötigt bis: 4. Dezember 2026" in text["de"]  # the medium: 04.12.2026
    assert "Eingegangen am: 20. November 2026, 10:30 MEZ" in text["de"]
    assert "4 déc. 2026" in text["fr"]  # fr left out: its medium, as before


def test_without_date_formats_the_dates_are_as_before(tmp_path: Path) -> None:
    text = _render(_repo(tmp_path, ""), tmp_path / "out", "order-received")
    assert "Needed by: Dec 4, 2026" in text["en"] and "Benötigt bis: 04.12.2026" in text["de"]


def test_a_format_the_template_writes_wins(tmp_path: Path) -> None:
    # order-accepted prints `order.due_date | date('long')`
    text = _render(_repo(tmp_path, 'date_formats: {en: "d MMM y"}\n'), tmp_path / "out", "order-accepted")
    assert "December 4, 2026" in text["en"] and "4 Dec 2026" not in text["en"]


def test_the_sent_email_prints_the_own_format(tmp_path: Path, smtp_server: SmtpServer,
                                              sink: SmtpServer) -> None:
    repo = _repo(tmp_path, port=smtp_server.port)
    bundle = build_bundle(repo)
    event = write_event(tmp_path, sample_event("flyers", trigger="order_received", event_id="evt-dates"))
    got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox",
                      str(tmp_path / "o.sqlite"), "--attachments-root", str(SAMPLES / "files"),
                      env={"MAILGITOPS_DELIVERY": "production"}))
    assert got["messages"][0]["status"] == "sent", json.dumps(got)
    (msg,) = sink.wait_for(1)
    body = msg.message.get_body(("plain",))
    assert body is not None
    assert "4. Dezember 2026" in body.get_content()  # the flyers customer reads German
    # the bundle carries the formats: changing one makes it stale
    wf = repo / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("d. MMMM y,", "dd.MM.y,"), encoding="utf-8")
    stale = mg("bundle", "--root", str(repo), "--check", str(bundle))
    assert stale.exit_code == 1 and "stale" in stale.output


def test_validate_refuses_a_pattern_mistake_at_its_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 'date_formats:\n  de: DD.MM.YYYY\n  fr: {datetime: "dd.mm.yyyy HH:mm"}\n'
                           '  nl: meduim\n  en: {dat: "d MMM y"}\n')
    result = mg("validate", "--root", str(repo), "--format", "json")
    assert result.exit_code == 1
    found = [d for d in json.loads(result.output) if d["file"] == "config/workflow.yaml"]
    lines = (repo / "config/workflow.yaml").read_text(encoding="utf-8").split("\n")
    by_line = {lines[d["line"] - 1].strip(): d["message"] for d in found}
    assert "did you mean `dd.MM.yyyy`?" in by_line["de: DD.MM.YYYY"]
    assert "the month is `M`" in by_line['fr: {datetime: "dd.mm.yyyy HH:mm"}']
    assert "did you mean `medium`?" in by_line["nl: meduim"]
    assert by_line['en: {dat: "d MMM y"}'] == "unknown key `dat`"
    assert "Traceback" not in result.output
