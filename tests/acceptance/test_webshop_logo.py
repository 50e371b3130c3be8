"""A webshop's own `logo` through the real CLI: its emails show it (previews and sent messages carry
it as the inline image), every other email the theme's logo."""

from __future__ import annotations

import json
import subprocess
import sys
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.images import png
from support.smtpd import SmtpServer

MAILGITOPS = Path(sys.executable).parent / "mailgitops"


CAMPUS_LOGO = png((200, 30, 30))


def _repo(tmp: Path, port: int = 9) -> Path:
    """The shipped repository; the campus shop has a logo of its own, the staff shop has none."""
    repo = make_repo(tmp / "repo", port=port)
    (repo / "templates/_assets/campus-logo.png").write_bytes(CAMPUS_LOGO)
    with (repo / "config/webshops/campus.yaml").open("a", encoding="utf-8") as f:
        f.write("logo: campus-logo.png   # this shop's emails show its own logo\n")
    return repo


def _inline_images(msg: EmailMessage) -> dict[str, bytes]:
    """filename -> bytes of each inline part, and the HTML must point at each by its Content-ID."""
    html = msg.get_body(("html",))
    assert html is not None
    text = html.get_content()
    out = {}
    for part in msg.walk():
        if part.get_content_disposition() == "inline" and part.get_filename():
            assert f'cid:{part["Content-ID"].strip("<>")}' in text
            out[part.get_filename()] = part.get_payload(decode=True)
    return out


def _preview(repo: Path, out: Path, sample: str) -> EmailMessage:
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(repo), "--out", str(out), "--template",
                           "order-accepted", "--lang", "en", "--sample", sample],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    msg = message_from_bytes((out / "order-accepted/en.eml").read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_a_shops_preview_shows_its_logo_and_another_shops_the_themes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    theme_logo = (repo / "templates/_assets/logo.png").read_bytes()
    campus = _inline_images(_preview(repo, tmp_path / "campus", "flyers"))  # flyers: webshop campus
    assert campus == {"campus-logo.png": CAMPUS_LOGO}
    assert "campus-logo.png" in (tmp_path / "campus/order-accepted/en.html").read_text(encoding="utf-8")
    staff = _inline_images(_preview(repo, tmp_path / "staff", "business-cards"))  # webshop staff
    assert staff == {"logo.png": theme_logo}


def test_a_message_sent_for_a_shop_carries_the_shops_logo(tmp_path: Path, smtp_server: SmtpServer,
                                                          sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, smtp_server.port))
    assert json.loads(bundle.read_text(encoding="utf-8"))["content"]["compiled"]["shop_themes"] == {
        "campus": {"logo": "campus-logo.png"}}
    for i, shop in enumerate(("campus", "staff")):
        event = write_event(tmp_path, sample_event("flyers", trigger="proof_ready", event_id=f"evt-logo-{i}",
                                                   webshop=shop))
        got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox",
                          str(tmp_path / "o.sqlite"), "--attachments-root", str(SAMPLES / "files"),
                          env={"MAILGITOPS_DELIVERY": "production"}))
        assert got["messages"][0]["status"] == "sent", json.dumps(got)
    campus, staff = (m.message for m in sink.wait_for(2))
    assert {n: d for n, d in _inline_images(campus).items() if n.endswith(".png")} == {
        "campus-logo.png": CAMPUS_LOGO}
    assert set(_inline_images(staff)) == {"logo.png"}


def test_a_shops_draft_keeps_its_logo_when_the_operator_sends_it(tmp_path: Path, smtp_server: SmtpServer,
                                                                  sink: SmtpServer) -> None:
    bundle = build_bundle(_repo(tmp_path, smtp_server.port))
    where = ("--bundle", str(bundle), "--outbox", str(tmp_path / "o.sqlite"),
             "--attachments-root", str(SAMPLES / "files"))
    event = write_event(tmp_path, sample_event("flyers", trigger="quotation", event_id="evt-logo-draft",
                                               webshop="campus"))  # quotation: reviewed before sending
    (m,) = outcome(cli("dispatch", "--event", str(event), *where,
                       env={"MAILGITOPS_DELIVERY": "production"}))["messages"]
    assert m["status"] == "draft", m
    sent = outcome(cli("drafts", "send", str(m["draft_id"]), *where,
                       env={"MAILGITOPS_DELIVERY": "production"}))
    assert '"status": "sent"' in json.dumps(sent), sent
    (msg,) = sink.wait_for(1)
    assert _inline_images(msg.message) == {"campus-logo.png": CAMPUS_LOGO}
