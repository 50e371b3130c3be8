"""`mailgitops plan` through the real CLI: what dispatch would decide, checked against what
dispatch then does with the same event on a real SMTP server."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.childlog import ChildLog
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

FILES = SAMPLES / "files"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("plan") / "repo", port=smtp_server.port,
                     triggers={"order_finalized": {"to": ["customer", "operator"]}})
    return build_bundle(repo)


def plan(bundle: Path, tmp: Path, event: dict[str, Any], *extra: str) -> Any:
    path = write_event(tmp, event)
    return cli("plan", "--bundle", str(bundle), "--event", str(path), "--attachments-root", str(FILES),
               *extra, cwd=tmp, env={"MAILGITOPS_OUTBOX": str(tmp / "outbox.sqlite")})


def test_plan_matches_what_dispatch_then_sends(bundle: Path, tmp_path: Path, sink: SmtpServer) -> None:
    event = sample_event("flyers", trigger="proof_ready", event_id="evt-plan-1")
    got = outcome(plan(bundle, tmp_path, event, "--out", str(tmp_path / "out")))
    assert not (tmp_path / "outbox.sqlite").exists()
    assert sink.messages == []  # nothing stored or sent
    (m,) = got["messages"]
    assert (m["role"], m["to"], m["cc"], m["status"]) == ("customer", ["ada@example.org"],
                                                         ["archive@example.com"], "sent")
    assert m["template"] == "proof-ready"
    assert m["language"] == {"requested": "de", "used": "de", "path": ["de"]}
    assert m["rule"].startswith("config/workflow.yaml triggers.proof_ready: send: always; to: [customer]")
    assert m["attachments"] == [{"kind": "document", "path": "jobs/PO-1001/final.pdf",
                                 "filename": "final.pdf", "mime_type": "application/pdf",
                                 "size": (FILES / "jobs/PO-1001/final.pdf").stat().st_size}]
    assert m["from"] == "Campus Print Shop <campus@example.com>"
    sent = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp_path, event)),
                       "--outbox", str(tmp_path / "real.sqlite"), "--attachments-root", str(FILES)))
    assert sent["messages"][0]["status"] == "sent"
    msg = sink.wait_for(1)[0].message
    assert msg["Subject"] == m["subject"]
    assert msg["To"] == "Ada Lovelace <ada@example.org>"
    text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert Path(m["files"]["text"]).read_text(encoding="utf-8").strip() == text.strip()
    # the sent message's inline images have Content-IDs of their own (made from its Message-ID)
    html = re.sub(r"cid:([^\"@]+)\.[0-9a-f]{16}@", r"cid:\1@", html)
    assert Path(m["files"]["html"]).read_text(encoding="utf-8").strip() == html.strip()


def test_the_emails_written_from_a_real_event_are_readable_by_their_user_only(bundle: Path,
                                                                             tmp_path: Path) -> None:
    event = sample_event("flyers", trigger="proof_ready", event_id="evt-plan-private")
    umask = os.umask(0o022)  # the common one: other files 0644, folders 0755
    try:
        got = outcome(plan(bundle, tmp_path, event, "--out", str(tmp_path / "out" / "po-1001")))
    finally:
        os.umask(umask)
    files = got["messages"][0]["files"]
    assert "Ada" in Path(files["text"]).read_text(encoding="utf-8")  # the customer's name, at least
    for written in files.values():
        assert stat.S_IMODE(Path(written).stat().st_mode) == 0o600, written
    for folder in (tmp_path / "out", tmp_path / "out" / "po-1001"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_refused_event_is_not_said_to_be_left_unqueued_by_plan(bundle: Path, tmp_path: Path) -> None:
    """plan never queues: its refusal said "nothing was queued" (an admin's walk)."""
    got = plan(bundle, tmp_path, sample_event("flyers", trigger="order_acepted", event_id="evt-plan-typo"))
    assert got.returncode == 1, got.stderr
    assert "event evt-plan-typo was refused (1 problem); dispatch would refuse it too" in got.stderr
    assert "queued" not in got.stderr


def test_a_symbolic_link_in_the_out_folder_is_not_written_through(bundle: Path, tmp_path: Path) -> None:
    """Someone who can write a shared output folder left a link where an email goes: plan wrote the
    customer's email into the link's target and made it 0600 (a security review)."""
    event = sample_event("flyers", trigger="proof_ready", event_id="evt-plan-link")
    names = outcome(plan(bundle, tmp_path, event, "--out", str(tmp_path / "first")))["messages"][0]["files"]
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("someone else's file\n", encoding="utf-8")
    (out / Path(names["html"]).name).symlink_to(victim)
    got = plan(bundle, tmp_path, event, "--out", str(out))
    assert got.returncode == 2, got.stderr
    assert "a symbolic link: not written through it (remove the link)" in got.stderr
    assert victim.read_text(encoding="utf-8") == "someone else's file\n"


def test_render_does_not_write_through_a_link_either(tmp_path: Path) -> None:
    out, victim = tmp_path / "previews", tmp_path / "victim.txt"
    (out / "order-ready").mkdir(parents=True)
    victim.write_text("someone else's file\n", encoding="utf-8")
    (out / "order-ready" / "en.html").symlink_to(victim)
    got = cli("render", "--root", str(ROOT), "--out", str(out), "--template", "order-ready", "--lang", "en")
    assert got.returncode == 1, got.stderr
    assert "a symbolic link: not written through it" in got.stderr and "Traceback" not in got.stderr
    assert victim.read_text(encoding="utf-8") == "someone else's file\n"


@pytest.mark.parametrize(("language", "path", "used"), [
    ("de-CH", ["de-ch: not active", "de"], "de"),
    ("pt-BR", ["pt-br: not active", "pt: not active", "en: the default language"], "en"),
    (None, ["the recipient has no language", "en: the default language"], "en"),
])
def test_the_language_fallback_is_spelled_out(bundle: Path, tmp_path: Path, language: str | None,
                                              path: list[str], used: str) -> None:
    event = sample_event("flyers")
    event["customer"] = {**event["customer"], "language": language}
    if language is None:
        del event["customer"]["language"]
    (m,) = outcome(plan(bundle, tmp_path, event))["messages"]
    assert m["language"]["path"] == path
    assert m["language"]["used"] == used


def test_skipped_and_draft_messages_say_which_rule(bundle: Path, tmp_path: Path) -> None:
    not_asked = sample_event("flyers")
    not_asked["customer"] = {**not_asked["customer"], "notify": []}
    (m,) = outcome(plan(bundle, tmp_path, not_asked))["messages"]
    assert m["status"] == "skipped"
    assert m["reason"] == ("the customer did not ask for emails about order_accepted "
                           "(send: on_customer_request)")
    assert "subject" not in m
    (d,) = outcome(plan(bundle, tmp_path, sample_event("flyers", trigger="quotation")))["messages"]
    assert d["status"] == "draft"
    assert "edit_before_send: true" in d["rule"]
    assert d["subject"]
    no_operator = sample_event("flyers", trigger="order_finalized")
    del no_operator["operator"]
    roles = {m["role"]: m for m in outcome(plan(bundle, tmp_path, no_operator))["messages"]}
    assert roles["customer"]["status"] == "sent"
    operator = roles["operator"]
    assert (operator["status"], operator["reason"]) == ("skipped", "the event names no operator")


def test_the_text_format_is_a_table(bundle: Path, tmp_path: Path) -> None:
    proc = plan(bundle, tmp_path, sample_event("flyers", trigger="order_finalized"), "--format", "text")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("event sample-flyers-001 (order_finalized), bundle sha256:")
    assert lines[1] == "delivery: production"
    assert lines[2].split() == ["ROLE", "TO", "LANGUAGE", "TEMPLATE", "STATUS"]
    assert lines[3].split() == ["customer", "ada@example.org", "de", "order-finalized", "sent"]
    assert "    subject: " in proc.stdout
    assert "operator  op@example.com" in proc.stdout


def test_the_text_format_names_reply_to_and_the_hidden_copy(tmp_path: Path) -> None:
    """A reviewer reading `plan --format text` saw From and CC but not where replies go (here the
    campus webshop's own address), nor the hidden copy (BCC) a trigger adds."""
    repo = make_repo(tmp_path / "repo", port=9, triggers={"order_finalized": {"bcc": ["audit@example.com"]}})
    event = sample_event("flyers", trigger="order_finalized")
    proc = plan(build_bundle(repo), tmp_path, event, "--format", "text")
    assert proc.returncode == 0, proc.stderr
    assert "    reply-to: campus@example.com" in proc.stdout
    assert "    bcc: audit@example.com (hidden copy)" in proc.stdout


def test_an_event_dispatch_would_refuse_is_refused_alike(bundle: Path, tmp_path: Path) -> None:
    event = sample_event("flyers", trigger="proof_ready")
    event["attachments"] = {"document": "jobs/PO-1001/missing.pdf"}
    proc = plan(bundle, tmp_path, event)
    assert proc.returncode == 1
    assert "$.attachments.document" in proc.stderr
    assert "attachment-missing" in proc.stderr
    proc = plan(bundle, tmp_path, sample_event("flyers", trigger="order_acepted"))
    assert proc.returncode == 1
    assert "did you mean `order_accepted`?" in proc.stderr
    proc = cli("plan", "--bundle", str(bundle), "--event", "-", stdin="{not json")
    assert proc.returncode == 1
    assert "not valid JSON" in proc.stderr
    assert not (tmp_path / "outbox.sqlite").exists()


def test_plan_reads_the_event_from_stdin(bundle: Path, tmp_path: Path) -> None:
    proc = cli("plan", "--bundle", str(bundle), "--event", "-", stdin=json.dumps(sample_event("flyers")),
               cwd=tmp_path)
    assert outcome(proc)["messages"][0]["subject"] == "Ihr Auftrag PO-1001 wurde angenommen"
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def served(bundle: Path, tmp_path: Path) -> Iterator[str]:
    """`mailgitops serve` as a process on a free port of 127.0.0.1; its base URL."""
    with subprocess.Popen([sys.executable, "-m", "mailgitops", "serve", "--bundle", str(bundle), "--outbox",
                           str(tmp_path / "serve.sqlite"), "--attachments-root", str(FILES),
                           "--insecure-no-token", "--port", "0"],
                          env=dict(os.environ), stderr=subprocess.PIPE, text=True) as proc:
        log = ChildLog(proc)
        try:
            yield log.wait_for(r"listening on (http://\S+)")[1]
        finally:
            proc.send_signal(signal.SIGTERM)
            log.finish()


def post(url: str, body: object) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, no proxy
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_post_plan_on_serve_answers_like_the_command(bundle: Path, served: str, tmp_path: Path) -> None:
    event = sample_event("flyers", trigger="proof_ready")
    status, got = post(f"{served}/plan", event)
    assert status == 200, got
    cli_plan = outcome(plan(bundle, tmp_path, event))
    assert got == cli_plan
    status, rendered = post(f"{served}/plan?render=1", event)
    assert status == 200
    assert "Ada Lovelace" in rendered["messages"][0]["text"]
    assert rendered["messages"][0]["html"].startswith("<!doctype html>")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{served}/outbox", timeout=30) as resp:
        assert json.loads(resp.read())["messages"] == []  # nothing stored
    status, refused = post(f"{served}/plan", sample_event("flyers", trigger="order_acepted"))
    assert status == 422
    assert refused["problems"][0]["hint"] == "did you mean `order_accepted`?"
