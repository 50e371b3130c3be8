"""`mailgitops bounces ingest` through the real CLI: a bounce Postfix generated (dsn/README.md),
about a message dispatched here, read from a Maildir, an mbox and standard input, recorded per
recipient, shown by `outbox list` and the metrics, and posted to a webhook on 127.0.0.1."""

from __future__ import annotations

import json
import mailbox
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from mailgitops.dispatch.outbox import recipient_metric_lines
from mailgitops.dispatch.outbox_backends import open_outbox
from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.docexamples import doc, section
from support.smtpd import SmtpServer, free_port

POSTFIX_DSN = (Path(__file__).parent / "dsn" / "postfix-5.1.1.eml").read_bytes()
FILES = SAMPLES / "files"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")  # outbox.iso's form


@pytest.fixture(scope="module")
def bundle(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("bounces") / "repo", port=smtp_server.port))


class Sent:
    def __init__(self, bundle: Path, tmp: Path) -> None:
        self.tmp, self.outbox, self.bundle = tmp, tmp / "outbox.sqlite", bundle
        self.event = write_event(tmp, sample_event("flyers"))
        got = outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(self.event),
                          "--outbox", str(self.outbox)))
        self.message = got["messages"][0]
        assert self.message["status"] == "sent"

    def dsn(self, message_id: str | None = None) -> bytes:
        """Postfix's bounce, about this message and its customer."""
        mid = (message_id or self.message["message_id"]).encode()
        return POSTFIX_DSN.replace(b"<20261130.abc123@example.com>", mid).replace(b"ada@nowhere.test",
                                                                                  b"ada@example.org")

    def ingest(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
        return cli("bounces", "ingest", *args, "--outbox", str(self.outbox), stdin=stdin, env=env)

    def listed(self) -> dict[str, Any]:
        rows: list[dict[str, Any]] = outcome(cli("outbox", "list", "--outbox", str(self.outbox)))["messages"]
        return rows[0]


@pytest.fixture
def sent(bundle: Path, tmp_path: Path, sink: SmtpServer) -> Sent:
    return Sent(bundle, tmp_path)


def maildir(folder: Path, *messages: bytes) -> Path:
    box = mailbox.Maildir(folder, create=True)
    for m in messages:
        box.add(m)
    return folder


def test_a_postfix_bounce_in_a_maildir_is_recorded_per_recipient(sent: Sent, tmp_path: Path) -> None:
    reply = b"From: someone@example.org\nSubject: thanks\n\nA reply, not a bounce.\n"
    box = maildir(tmp_path / "Maildir", reply, sent.dsn(), sent.dsn("<unknown@example.com>"))
    proc = sent.ingest(str(box))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["read"], summary["reports"], len(summary["not_reports"])) == (3, 2, 1)
    [unmatched] = summary["unmatched"]
    assert {k: v for k, v in unmatched.items() if k != "where"} == {
        "message_id": "<unknown@example.com>", "address": "ada@example.org",
        "why": "no message in the outbox has this Message-ID"}
    assert Path(unmatched["where"]).is_file()  # the file to look at, in new/: the key alone named none
    assert all(Path(where).is_file() for where in summary["not_reports"])
    (bounce,) = summary["bounced"]
    assert (bounce["address"], bounce["kind"], bounce["status"], bounce["code"]) == (
        "ada@example.org", "to", "5.1.1", 550)
    assert bounce["diagnostic"] == "550 5.1.1 <ada@example.org>: mailbox unavailable"
    assert "1 bounce(s) recorded, 0 recorded before, 1 not matched" in proc.stderr
    row = sent.listed()
    recipients = {r["address"]: r for r in row["recipients"]}
    assert recipients["ada@example.org"]["result"] == "bounced"
    assert recipients["ada@example.org"]["status"] == "5.1.1"
    assert recipients["ada@example.org"]["reported_by"] == "dns; mx.test.example"
    assert recipients["archive@example.com"]["result"] == "accepted"  # the copy was delivered
    again = outcome(cli("dispatch", "--bundle", str(sent.bundle), "--event", str(sent.event),
                        "--outbox", str(sent.outbox)))  # the order system asks again: the outcome says it
    assert again["messages"][0]["reason"] == ("bounced later for ada@example.org: 5.1.1 "
                                              "550 5.1.1 <ada@example.org>: mailbox unavailable")
    ob = open_outbox(str(sent.outbox))
    try:
        lines = recipient_metric_lines(ob.recipient_counts())
    finally:
        ob.close()
    assert 'mailgitops_recipients{kind="to",result="bounced"} 1' in lines
    assert 'mailgitops_recipients{kind="cc",result="accepted"} 1' in lines


def test_the_same_bounce_twice_records_it_once(sent: Sent, tmp_path: Path) -> None:
    box = maildir(tmp_path / "Maildir", sent.dsn())
    first = sent.listed()
    assert sent.ingest(str(box)).returncode == 0
    once = sent.listed()["recipients"]
    again = sent.ingest(str(box))  # a cron job reading the same Maildir again
    assert again.returncode == 0
    assert sent.listed()["recipients"] == once != first["recipients"]
    assert [b["new"] for b in json.loads(again.stdout)["bounced"]] == [False]
    assert "0 bounce(s) recorded, 1 recorded before" in again.stderr  # not "1 recorded" each run


def test_two_reports_about_one_recipient_are_recorded_once_each(sent: Sent, tmp_path: Path) -> None:
    """A relay's report and the final server's, with different codes, in one Maildir: from the second
    run on, each run recorded both again, posted both to the webhook again as new, and the stored
    result flipped between them (a mail operations walk)."""
    relay = sent.dsn().replace(b"5.1.1", b"5.2.2").replace(b"550 ", b"552 ")
    box = maildir(tmp_path / "Maildir", sent.dsn(), relay)
    first = sent.ingest(str(box))
    assert first.returncode == 0, first.stderr
    assert [b["new"] for b in json.loads(first.stdout)["bounced"]] == [True, True]
    recorded = sent.listed()["recipients"]
    for _ in range(2):  # the cron job's next runs over the same Maildir
        again = sent.ingest(str(box))
        assert again.returncode == 0, again.stderr
        assert [b["new"] for b in json.loads(again.stdout)["bounced"]] == [False, False]
        assert "0 bounce(s) recorded, 2 recorded before" in again.stderr
        assert sent.listed()["recipients"] == recorded  # no flip between the two


def test_a_damaged_report_is_named_not_dropped(sent: Sent, tmp_path: Path) -> None:
    """A report whose status part names no recipient, or that does not return the message's
    headers, was counted and then appeared nowhere, exit 0 (a mail operations walk): an
    `Action: failed` for a real customer could be lost without a word."""
    no_recipient = sent.dsn().replace(b"Final-Recipient:", b"X-Final-Recipient:")
    no_headers = sent.dsn().replace(b"Message-ID:", b"X-Message-ID:")
    box = maildir(tmp_path / "Maildir", no_recipient, no_headers)
    proc = sent.ingest(str(box))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["reports"] == 2 and summary["bounced"] == []
    [damaged] = summary["not_understood"]
    assert "names no recipient (no Final-Recipient line)" in damaged["why"]
    assert Path(damaged["where"]).is_file()
    [headless] = summary["unmatched"]
    assert headless["message_id"] is None
    assert "does not return the message's headers" in headless["why"]
    assert "1 not matched, 1 not understood (see not_understood)" in proc.stderr


def test_the_mta_can_pipe_a_bounce_on_stdin_or_leave_an_mbox(sent: Sent, tmp_path: Path) -> None:
    proc = sent.ingest("-", stdin=sent.dsn().decode())
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)["bounced"]) == 1
    mbox_path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(mbox_path)
    box.add(sent.dsn())
    box.close()
    proc = sent.ingest(str(mbox_path))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["reports"] == 1


def test_the_outbox_given_as_the_bounces_is_named_not_read(sent: Sent) -> None:
    # "1 message(s) read", exit 0; and reading the open outbox with Python dropped SQLite's locks
    proc = sent.ingest(str(sent.outbox))
    assert proc.returncode == 1
    assert f"{sent.outbox} is the outbox (a SQLite database), not mail" in proc.stderr
    assert "give the Maildir, mbox or message file" in proc.stderr


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, Any]] = []  # noqa: RUF012 -- one test server per test, reset there

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.headers.get("Authorization", ""), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, int]]:
    Hook.received = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/bounces"
    yield url, port


def test_new_bounces_are_posted_to_the_webhook_and_a_failed_post_is_retried(
        sent: Sent, tmp_path: Path, webhook: tuple[str, int]) -> None:
    url, port = webhook
    box = maildir(tmp_path / "Maildir", sent.dsn())
    env = {"MAILGITOPS_BOUNCE_WEBHOOK": url, "MAILGITOPS_BOUNCE_WEBHOOK_TOKEN": "hook-token"}
    down = sent.ingest(str(box), env=env)  # nothing listens yet
    assert down.returncode == 75, down.stderr
    # in words, not an errno (a mail operations walk: "[Errno 111] Connection refused")
    assert "the webhook refused the connection (is it running, on that port?)" in down.stderr
    assert "Errno" not in down.stderr
    assert {r["address"]: r["result"] for r in sent.listed()["recipients"]}["ada@example.org"] == "bounced"
    server = HTTPServer(("127.0.0.1", port), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        up = sent.ingest(str(box), env=env)
        assert up.returncode == 0, up.stderr
        again = sent.ingest(str(box), env=env)  # already posted: not posted twice
        assert again.returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    (auth, body), = Hook.received
    assert auth == "Bearer hook-token"
    (item,) = body["bounces"]
    assert (item["event_id"], item["role"], item["address"], item["status"]) == (
        "sample-flyers-001", "customer", "ada@example.org", "5.1.1")
    assert item["message_id"] == sent.message["message_id"]


class FlakyHook(Hook):
    """Takes each post in, then answers what `answers` says next (500 first: it had the bounces,
    and the sender cannot know that)."""

    answers: list[int] = []  # noqa: RUF012 -- one test server per test, set there

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.headers.get("Authorization", ""), json.loads(body)))
        self.send_response(FlakyHook.answers.pop(0))
        self.end_headers()


def test_a_bounce_posted_again_after_a_failed_post_says_so(
        sent: Sent, tmp_path: Path, webhook: tuple[str, int]) -> None:
    """A bounce posted again after the webhook answered 500 carried `"new": false` (recorded by an
    earlier run), the same as nothing at all to its receiver (a mail operations walk): `first_post`
    tells it whether an earlier post may have brought it the same bounce."""
    url, port = webhook
    box = maildir(tmp_path / "Maildir", sent.dsn())
    FlakyHook.answers = [500, 204]
    server = HTTPServer(("127.0.0.1", port), FlakyHook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        failed = sent.ingest(str(box), env={"MAILGITOPS_BOUNCE_WEBHOOK": url})
        assert failed.returncode == 75, failed.stderr
        assert "webhook: the webhook answered 500" in failed.stderr
        again = sent.ingest(str(box), env={"MAILGITOPS_BOUNCE_WEBHOOK": url})
        assert again.returncode == 0, again.stderr
    finally:
        server.shutdown()
        server.server_close()
    posts = [(item["new"], item["first_post"]) for _, body in Hook.received for item in body["bounces"]]
    assert posts == [(True, True), (False, False)]
    recorded = next(r for r in sent.listed()["recipients"] if r["result"] == "bounced")
    assert (recorded["posted"], recorded["notified"]) == (True, True)


def test_unreadable_sources_are_named(sent: Sent, tmp_path: Path) -> None:
    missing = sent.ingest(str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr
    (tmp_path / "plain").mkdir()
    folder = sent.ingest(str(tmp_path / "plain"))
    assert folder.returncode == 1
    assert "not a Maildir" in folder.stderr
    bad_hook = sent.ingest("-", stdin="x", env={"MAILGITOPS_BOUNCE_WEBHOOK": "ftp://x"})
    assert bad_hook.returncode == 2
    assert "not an http(s) URL" in bad_hook.stderr
    # customers' addresses and the token, in clear over the network: refused before anything is read
    cleartext = sent.ingest("-", stdin="x", env={"MAILGITOPS_BOUNCE_WEBHOOK": "http://orders.example.com/bounces",
                                                "MAILGITOPS_BOUNCE_WEBHOOK_TOKEN": "webhook-secret-1234"})
    assert cleartext.returncode == 2
    assert "the bounce webhook on orders.example.com is plain http" in cleartext.stderr
    assert "webhook-secret-1234" not in cleartext.stderr


def test_a_missing_outbox_keeps_the_report_for_later(tmp_path: Path) -> None:
    """A mistyped --outbox made an empty outbox and filed the bounce under `unmatched` in it; now
    exit 75, so the MTA keeps the report and hands it over again once the path is fixed."""
    typo = tmp_path / "outbx.sqlite"
    got = cli("bounces", "ingest", "-", "--outbox", str(typo), stdin=POSTFIX_DSN.decode())
    assert got.returncode == 75, got.stderr
    assert f"there is no outbox at {typo}" in got.stderr
    assert not typo.exists()


def test_the_docs_show_a_bounce_as_ingest_and_outbox_list_write_it(sent: Sent) -> None:
    """docs/dispatcher.md showed `bounced_at` as `...Z` where ingest writes `+00:00`, the form of
    every other time of the outbox, and did not name the recorded recipient's `notified` (a mail
    operations walk): the example and the description are what a receiver of the JSON codes against."""
    bounces = section(doc("docs/dispatcher.md"), "Bounces that arrive later (`bounces ingest`)")
    shown = re.search(r"```json\n(.*?)```", bounces, re.S)
    assert shown is not None
    (shown_item,) = json.loads(shown.group(1))["bounced"]
    proc = sent.ingest("-", stdin=sent.dsn().decode())
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)["bounced"]
    assert set(shown_item) == set(item)
    row = sent.listed()
    recorded = next(r for r in row["recipients"] if r["result"] == "bounced")
    for moment in (shown_item["bounced_at"], item["bounced_at"], recorded["bounced_at"], row["created_at"]):
        assert ISO_UTC.match(moment), moment  # one form for every time the outbox shows
    described = bounces[bounces.index("What is recorded:"):bounces.index("`outbox list`, `GET /outbox`")]
    assert [key for key in recorded if key not in ("address", "kind") and f'"{key}"' not in described] == []
    assert "`notified`: whether the" in described
    assert '`"posted": true`, added by the first post' in described  # after a webhook's post
