"""The delivery mode through the real CLI and a real SMTP server: nothing is sent without one;
redirect mode sends every message to one address only, with the real recipients in a banner and
in X-Original-To; a message queued for production is not sent from a redirecting installation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.outbox_backends import open_outbox
from support.childlog import ChildLog
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.incli import run_in_process
from support.smtpd import SmtpServer

FILES = SAMPLES / "files"
QA = "qa@example.com"
REDIRECT = {"MAILGITOPS_DELIVERY": f"redirect:{QA}"}


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("delivery") / "repo", port=smtp_server.port))


def no_mode() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MAILGITOPS_DELIVERY")
    return env


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    """The real CLI with exactly `env` (cli() adds to os.environ, which has a mode)."""
    return run_in_process(list(args), cwd=None, env=os.environ if env is None else env, stdin=stdin)


def dispatch(bundle: Path, tmp: Path, event: dict[str, Any], *extra: str, env: dict[str, str] | None = None,
             ) -> Any:
    args = ("dispatch", "--bundle", str(bundle), "--event", str(write_event(tmp, event)),
            "--outbox", str(tmp / "outbox.sqlite"), "--attachments-root", str(FILES), *extra)
    return cli(*args, env=env) if env is None or "MAILGITOPS_DELIVERY" in env else run(*args, env=env)


def test_nothing_is_sent_or_stored_without_a_delivery_mode(bundle: Path, tmp_path: Path,
                                                           sink: SmtpServer) -> None:
    event = write_event(tmp_path, sample_event("flyers"))
    outbox = str(tmp_path / "outbox.sqlite")
    commands = {
        "dispatch": ["dispatch", "--bundle", str(bundle), "--event", str(event), "--outbox", outbox],
        "dispatch (click)": ["dispatch", "--bundle", str(bundle), f"--event={event}", "--outbox", outbox],
        "flush": ["outbox", "flush", "--bundle", str(bundle), "--outbox", outbox],
        "drafts send": ["drafts", "send", "1", "--bundle", str(bundle), "--outbox", outbox],
        "serve": ["serve", "--bundle", str(bundle), "--outbox", outbox, "--insecure-no-token", "--port", "0"],
    }
    for name, args in commands.items():
        proc = run(*args, env=no_mode())
        assert proc.returncode == 2, (name, proc.stderr)
        assert "no delivery mode is set, so nothing is sent: set MAILGITOPS_DELIVERY (or --delivery) " \
               "to `production`" in proc.stderr, name
        assert "`redirect:ADDRESS`" in proc.stderr, name
        assert "Traceback" not in proc.stderr
    assert sink.messages == []
    assert not Path(outbox).exists()


@pytest.mark.parametrize("value", ["staging", "redirect:", "redirect:not-an-address",
                                   f"redirect:{QA},boss@example.com", "Production"])
def test_a_wrong_delivery_mode_is_refused(bundle: Path, tmp_path: Path, sink: SmtpServer, value: str) -> None:
    proc = dispatch(bundle, tmp_path, sample_event("flyers"), env={**no_mode(), "MAILGITOPS_DELIVERY": value})
    assert proc.returncode == 2
    assert f"MAILGITOPS_DELIVERY={value!r}" in proc.stderr
    assert sink.messages == []


def test_production_says_so_in_the_outcome(bundle: Path, tmp_path: Path, sink: SmtpServer) -> None:
    got = outcome(dispatch(bundle, tmp_path, sample_event("flyers")))
    assert got["delivery"] == "production"
    assert sorted(sink.wait_for(1)[0].rcpts) == ["ada@example.org", "archive@example.com"]


def test_redirect_sends_only_to_the_address_with_the_real_recipients_shown(
        bundle: Path, tmp_path: Path, sink: SmtpServer) -> None:
    got = outcome(dispatch(bundle, tmp_path, sample_event("flyers"), env=REDIRECT))
    assert got["delivery"] == f"redirect:{QA}"
    (m,) = got["messages"]
    assert (m["status"], m["to"], m["cc"]) == ("sent", [QA], [])
    assert m["redirected_from"] == {"to": ["ada@example.org"], "cc": ["archive@example.com"], "bcc": []}
    (received,) = sink.wait_for(1)
    assert received.rcpts == [QA]
    msg = received.message
    assert msg["To"] == QA
    assert msg["Cc"] is None
    assert msg["X-Original-To"] == "ada@example.org"
    assert msg["X-Original-Cc"] == "archive@example.com"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith(f"*** Redirected by mailgitops (redirect:{QA}): not sent to the real recipients.")
    assert "To: Ada Lovelace <ada@example.org>" in text
    assert "Cc: archive@example.com" in text
    html = msg.get_body(preferencelist=("html",)).get_content()
    body = html[html.index("<body"):]
    assert body.index("Redirected by mailgitops") < body.index("Ada Lovelace,")  # at the top
    assert "To: Ada Lovelace &lt;ada@example.org&gt;" in html


def test_the_flag_wins_over_the_variable(bundle: Path, tmp_path: Path, sink: SmtpServer) -> None:
    got = outcome(dispatch(bundle, tmp_path, sample_event("flyers"), "--delivery", f"redirect:{QA}"))
    assert got["delivery"] == f"redirect:{QA}"
    assert sink.wait_for(1)[0].rcpts == [QA]


def test_a_draft_made_in_redirect_mode_goes_to_the_address(bundle: Path, tmp_path: Path,
                                                         sink: SmtpServer) -> None:
    got = outcome(dispatch(bundle, tmp_path, sample_event("flyers", trigger="quotation"), env=REDIRECT))
    draft_id = got["messages"][0]["draft_id"]
    sent = cli("drafts", "send", str(draft_id), "--bundle", str(bundle), "--outbox",
               str(tmp_path / "outbox.sqlite"), "--attachments-root", str(FILES), env=REDIRECT)
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["delivery"] == f"redirect:{QA}"
    (received,) = sink.wait_for(1)
    assert received.rcpts == [QA]
    assert received.message["X-Original-To"] == "ada@example.org"
    assert "Redirected by mailgitops" in received.message.get_body(preferencelist=("plain",)).get_content()


def test_a_message_queued_in_production_is_not_sent_from_redirect_mode(bundle: Path, tmp_path: Path,
                                                                      sink: SmtpServer) -> None:
    got = outcome(dispatch(bundle, tmp_path, sample_event("flyers"), "--queue-only"))
    assert got["messages"][0]["status"] == "queued"
    flush = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", str(tmp_path / "outbox.sqlite"),
                env=REDIRECT)
    assert flush.returncode == 1, flush.stderr
    assert json.loads(flush.stdout)["delivery"] == f"redirect:{QA}"
    assert sink.messages == []
    ob = open_outbox(str(tmp_path / "outbox.sqlite"))
    try:
        (row,) = ob.rows()
    finally:
        ob.close()
    assert row.status == "failed"
    assert f"this installation now delivers in redirect:{QA} mode" in (row.last_error or "")


def test_plan_and_health_say_which_mode_is_active(bundle: Path, tmp_path: Path) -> None:
    event = write_event(tmp_path, sample_event("flyers"))
    planned = cli("plan", "--bundle", str(bundle), "--event", str(event), "--attachments-root", str(FILES),
                  env=REDIRECT)
    got = outcome(planned)
    assert got["delivery"] == f"redirect:{QA}"
    assert got["messages"][0]["redirected_to"] == QA
    proc = subprocess.Popen([sys.executable, "-m", "mailgitops", "serve", "--bundle", str(bundle), "--outbox",
                             str(tmp_path / "serve.sqlite"), "--insecure-no-token", "--port", "0"],
                            env={**os.environ, **REDIRECT}, stderr=subprocess.PIPE, text=True)
    log = ChildLog(proc)
    try:
        base = log.wait_for(r"listening on (http://\S+)")[1]  # the start-up lines name the mode and port
        assert f"delivery: redirect:{QA}" in log.text()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{base}/health", timeout=10) as resp:
            assert json.loads(resp.read())["delivery"] == f"redirect:{QA}"
    finally:
        proc.send_signal(signal.SIGTERM)
        said = log.finish(timeout=30)
    assert "stopped in" in said  # read to the end: the next assert is about all of it
    # every email goes to the QA address: the example addresses in the settings receive nothing
    assert "example address" not in said


def test_a_new_repository_says_how_to_set_the_mode(tmp_path: Path) -> None:
    proc = cli("init", str(tmp_path / "new"))
    assert proc.returncode == 0, proc.stderr
    readme = (tmp_path / "new" / "README.md").read_text(encoding="utf-8")
    assert "MAILGITOPS_DELIVERY=production" in readme
    assert "MAILGITOPS_DELIVERY=redirect:" in readme
