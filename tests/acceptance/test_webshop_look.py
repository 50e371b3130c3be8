"""A webshop's own look (config/webshops/<id>.yaml `theme:`: logo, colours, footer) through the real
CLI: previews, the bundle and the sent email of a campus order show the campus logo, colours and
footer; every other shop's emails show theme.yaml's; validate holds it to theme.yaml's rules."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from click.testing import CliRunner, Result
from translate.storage import xliff2

from mailgitops.cli.main import cli as click_cli
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.images import png
from support.smtpd import SmtpServer

THEME_ACCENT, THEME_LINK = "#0b5cad", "#0b5cad"  # the shipped theme.yaml's
CAMPUS_ACCENT, CAMPUS_LINK = "#c0392b", "#8e44ad"
CAMPUS_THEME = """theme:                     # this shop's own look; the rest is theme.yaml's
  logo: campus-logo.png
  logo_alt: Campus Print Shop
  accent_color: "#c0392b"
  link_color: "#8e44ad"
  footer:
    en: Campus Print Shop · Campus Road 1
    de: Campus-Druckerei · Campusweg 1
"""


CAMPUS_LOGO = png((30, 160, 30))


def _repo(tmp: Path, look: str = CAMPUS_THEME, port: int = 9) -> Path:
    repo = make_repo(tmp / "repo", port=port)
    (repo / "templates/_assets/campus-logo.png").write_bytes(CAMPUS_LOGO)
    with (repo / "config/webshops/campus.yaml").open("a", encoding="utf-8") as f:
        f.write(look)
    return repo


def mg(*args: str) -> Result:
    return CliRunner().invoke(click_cli, list(args))


def _inline_images(msg: EmailMessage) -> dict[str, bytes]:
    html = msg.get_body(("html",))
    assert html is not None
    out = {}
    for part in msg.walk():
        if part.get_content_disposition() == "inline" and part.get_filename():
            assert f'cid:{part["Content-ID"].strip("<>")}' in html.get_content()
            out[part.get_filename()] = part.get_payload(decode=True)
    return out


def _parts(msg: EmailMessage) -> tuple[str, str]:
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content().replace("\r\n", "\n")


def _looks_like_campus(msg: EmailMessage, footer: str) -> None:
    html, text = _parts(msg)
    assert {n: d for n, d in _inline_images(msg).items() if n.endswith(".png")} == {
        "campus-logo.png": CAMPUS_LOGO}
    assert f"solid {CAMPUS_ACCENT}" in html and f"color:{CAMPUS_LINK}" in html.replace(": ", ":")
    assert THEME_ACCENT not in html
    assert 'alt="Campus Print Shop"' in html
    assert text.rstrip().endswith(footer) and footer in html


def _looks_like_the_theme(msg: EmailMessage) -> None:
    html, text = _parts(msg)
    assert {n for n in _inline_images(msg) if n.endswith(".png")} == {"logo.png"}
    assert f"solid {THEME_ACCENT}" in html and CAMPUS_ACCENT not in html and CAMPUS_LINK not in html
    assert "Campus Road" not in text + html


def test_per_webshop_previews_show_each_shops_look(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    out = tmp_path / "out"
    result = mg("render", "--root", str(repo), "--out", str(out), "--template", "order-accepted",
                "--per-webshop")
    assert result.exit_code == 0, result.output
    for label, check in (("order-accepted@campus", lambda m: _looks_like_campus(m, "Campus Road 1")),
                         ("order-accepted@staff", _looks_like_the_theme)):
        msg = message_from_bytes((out / label / "en.eml").read_bytes(), policy=default)
        assert isinstance(msg, EmailMessage)
        check(msg)
    # with --lang, each shop's preview in that language: the campus shop's German footer
    out = tmp_path / "de"
    result = mg("render", "--root", str(repo), "--out", str(out), "--template", "order-accepted",
                "--lang", "de", "--per-webshop")
    assert result.exit_code == 0, result.output
    msg = message_from_bytes((out / "order-accepted@campus/de.eml").read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    _looks_like_campus(msg, "Campus-Druckerei · Campusweg 1")
    assert not (out / "order-accepted@campus/en.eml").exists()
    # the flyers sample is a campus order: its German preview has the shop's German footer
    msg = message_from_bytes((out / "order-accepted/de.eml").read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    _looks_like_campus(msg, "Campus-Druckerei · Campusweg 1")


def test_a_campus_event_is_sent_with_the_campus_look(tmp_path: Path, smtp_server: SmtpServer,
                                                     sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, port=smtp_server.port))
    for i, shop in enumerate(("campus", "staff")):
        event = write_event(tmp_path, sample_event("flyers", trigger="order_accepted",
                                                   event_id=f"evt-look-{i}", webshop=shop))
        got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox",
                          str(tmp_path / "o.sqlite"), "--attachments-root", str(SAMPLES / "files"),
                          env={"MAILGITOPS_DELIVERY": "production"}))
        assert got["messages"][0]["status"] == "sent", json.dumps(got)
    campus, staff = (m.message for m in sink.wait_for(2))
    _looks_like_campus(campus, "Campus-Druckerei · Campusweg 1")  # the flyers customer reads German
    _looks_like_the_theme(staff)


def test_a_campus_draft_keeps_the_campus_look_when_the_operator_sends_it(
        tmp_path: Path, smtp_server: SmtpServer, sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, port=smtp_server.port))
    where = ("--bundle", str(bundle), "--outbox", str(tmp_path / "o.sqlite"),
             "--attachments-root", str(SAMPLES / "files"))
    event = write_event(tmp_path, sample_event("flyers", trigger="quotation", event_id="evt-look-draft",
                                               webshop="campus"))
    (m,) = outcome(cli("dispatch", "--event", str(event), *where,
                       env={"MAILGITOPS_DELIVERY": "production"}))["messages"]
    assert m["status"] == "draft", m
    sent = outcome(cli("drafts", "send", str(m["draft_id"]), *where,
                       env={"MAILGITOPS_DELIVERY": "production"}))
    assert '"status": "sent"' in json.dumps(sent), sent
    (msg,) = sink.wait_for(1)
    _looks_like_campus(msg.message, "Campus-Druckerei · Campusweg 1")


def test_the_bundle_changes_with_a_shops_colour(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    bundle = build_bundle(repo)
    assert mg("bundle", "--root", str(repo), "--check", str(bundle)).exit_code == 0
    shop = repo / "config/webshops/campus.yaml"
    shop.write_text(shop.read_text(encoding="utf-8").replace(CAMPUS_LINK, "#123456"), encoding="utf-8")
    stale = mg("bundle", "--root", str(repo), "--check", str(bundle))
    assert stale.exit_code == 1 and "stale" in stale.output


def test_validate_holds_a_shops_look_to_the_themes_rules(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "theme:\n  logo: campus-logo.pgn\n  accent_color: red\n  font_size: 20px\n"
                           "  footer: {de: Campus-Druckerei}\n")
    result = mg("validate", "--root", str(repo), "--format", "json")
    assert result.exit_code == 1
    found = {d["code"]: d for d in json.loads(result.output) if d["file"] == "config/webshops/campus.yaml"}
    lines = (repo / "config/webshops/campus.yaml").read_text(encoding="utf-8").split("\n")
    logo = found["logo-not-an-asset"]
    assert "campus-logo.pgn" in lines[logo["line"] - 1] and "campus-logo.png" in logo["hint"]
    assert "`red` is not a colour like #1a73e8" in found["schema-pattern"]["message"]
    assert found["unknown-key"]["message"] == "unknown key `font_size`"  # not a key a shop changes
    assert "default language `en`" in found["footer-default-missing"]["message"]
    assert "Traceback" not in result.output


def test_a_shops_logo_without_alt_text_is_named_in_the_shops_file(tmp_path: Path) -> None:
    """It was named in the layout file, with the hint for an image in a template's Markdown."""
    repo = _repo(tmp_path, "theme:\n  logo: campus-logo.png\n")
    theme = repo / "templates/_layouts/theme.yaml"
    theme.write_text("\n".join(line for line in theme.read_text(encoding="utf-8").split("\n")
                               if not line.startswith("logo_alt:")), encoding="utf-8")
    result = mg("validate", "--root", str(repo), "--format", "json")
    found = [d for d in json.loads(result.output) if d["code"] == "image-without-alt"]
    assert {d["file"] for d in found} == {"config/webshops/campus.yaml", "templates/_layouts/theme.yaml"}
    (shop,) = [d for d in found if d["file"] == "config/webshops/campus.yaml"]
    lines = (repo / "config/webshops/campus.yaml").read_text(encoding="utf-8").split("\n")
    assert lines[shop["line"] - 1].strip() == "logo: campus-logo.png"
    assert shop["message"] == "this webshop's logo has no alt text"
    assert "set `logo_alt` under `theme:` in config/webshops/campus.yaml" in shop["hint"]


def test_a_shops_footer_goes_to_the_translator_and_comes_back(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    path = tmp_path / "fr.xlf"
    result = mg("translations", "export", "--root", str(repo), "--lang", "fr", "--out", str(path))
    assert result.exit_code == 0, result.output
    assert "templates and the footer for fr" in result.output
    store = xliff2.Xliff2File.parsefile(str(path))
    (unit,) = [u for u in store.units if u.getunitelement().getparent().get("id") == "_footer-campus"]
    assert unit.source == "Campus Print Shop · Campus Road 1" and not unit.target
    unit.target = "Imprimerie du campus · 1 route du Campus"
    path.write_bytes(bytes(store))
    result = mg("translations", "import", "--root", str(repo), str(path))
    assert result.exit_code == 0, result.output
    assert "wrote config/webshops/campus.yaml (footer)" in result.output
    assert (repo / "config/webshops/campus.yaml").read_text(encoding="utf-8").endswith(
        CAMPUS_THEME + '    fr: "Imprimerie du campus · 1 route du Campus"\n')
    out = tmp_path / "out"
    assert mg("render", "--root", str(repo), "--out", str(out), "--template", "order-accepted",
              "--lang", "fr").exit_code == 0  # flyers, the template's sample, is a campus order
    assert (out / "order-accepted/fr.txt").read_text(encoding="utf-8").endswith(
        "Imprimerie du campus · 1 route du Campus\n")
