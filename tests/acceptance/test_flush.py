"""`outbox flush` through the CLI: exit 0 / 75 / 1, a summary that names what waits and until
when (ISO 8601 with zone), and an authentication pause that is not retried with the same
password until it changes or `outbox resume` is run."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from support.dispatchrepo import build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer, free_port

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
PASSWORD = "test-only-password"  # a throwaway for the local test server
AUTH = {"mode": "custom", "username": "printroom", "password_env": "MG_TEST_FLUSH_PASSWORD"}


def _dispatch(bundle: Path, tmp_path: Path, ob: str, event_id: str, *extra: str,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    path = write_event(tmp_path, sample_event(trigger="order_received", event_id=event_id))
    return outcome(cli("dispatch", "--bundle", str(bundle), "--event", str(path), "--outbox", ob, *extra,
                       env=env))


def _flush(bundle: Path, ob: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    proc = cli("outbox", "flush", "--bundle", str(bundle), "--outbox", ob, env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_flush_exits_75_while_the_server_is_down_and_says_until_when(tmp_path: Path,
                                                                    outbox_location: str) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=free_port()))  # nothing listens there
    ob = outbox_location
    slow = {"MAILGITOPS_RETRY_BACKOFF_SECONDS": "600"}
    _dispatch(bundle, tmp_path, ob, "down-1", "--queue-only", env=slow)
    code, summary, stderr = _flush(bundle, ob, env=slow)
    assert code == 75, stderr
    assert summary["sent"] == 0
    assert summary["waiting"] == 1
    assert summary["retry"] == 1
    assert ISO.match(summary["next_attempt_at"])
    [waiting] = summary["waiting_messages"]
    assert waiting["status"] == "queued"
    assert ISO.match(waiting["next_attempt_at"])
    assert "refused the connection" in waiting["reason"]
    # the line for a person: in the print room's zone (the test repository's Europe/Berlin), named
    assert re.search(r"1 message\(s\) still wait, next attempt at "
                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00 CES?T; "
                     r"why the first waits \(at its last attempt\): "
                     r"ada@example\.org \(to\): 127\.0\.0\.1:\d+ refused the connection",
                     stderr.strip()), stderr
    assert "sent 0, to retry 1, failed 0" in stderr  # the try this flush made, said
    listed = outcome(cli("outbox", "list", "--outbox", ob))
    assert ISO.match(listed["messages"][0]["next_attempt_at"])  # never a raw epoch number
    assert ISO.match(listed["messages"][0]["created_at"])


def test_flush_exits_0_when_nothing_waits_and_1_when_a_message_failed_for_good(
        sink: SmtpServer, tmp_path: Path, outbox_location: str) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=sink.port))
    ob = outbox_location
    _dispatch(bundle, tmp_path, ob, "ok-1", "--queue-only")
    code, summary, _ = _flush(bundle, ob)
    assert (code, summary["sent"], summary["waiting"]) == (0, 1, 0)
    sink.faults.refuse["ada@example.org"] = "550 5.1.1 no such user"
    _dispatch(bundle, tmp_path, ob, "bad-1", "--queue-only")
    code, summary, _ = _flush(bundle, ob)
    assert (code, summary["failed"], summary["failed_total"]) == (1, 1, 1)
    code, summary, _ = _flush(bundle, ob)  # nothing new failed, nothing waits
    assert (code, summary["failed"]) == (0, 0)


@pytest.fixture
def auth_server() -> Any:
    srv = SmtpServer(users={"printroom": PASSWORD}, auth_require_tls=False).start()
    yield srv
    srv.stop()


def test_a_rejected_password_is_not_tried_again_until_it_changes(auth_server: SmtpServer,
                                                                 tmp_path: Path) -> None:
    bundle = build_bundle(make_repo(tmp_path / "repo", port=auth_server.port, auth=AUTH))
    ob = str(tmp_path / "o.sqlite")
    wrong = {"MG_TEST_FLUSH_PASSWORD": "wrong-password"}
    m = _dispatch(bundle, tmp_path, ob, "auth-1", env=wrong)["messages"][0]
    assert m["status"] == "queued"
    assert "sending paused" in m["reason"]
    tried = auth_server.logins  # one attempt (smtplib may try two mechanisms in it)
    assert tried >= 1
    for _ in range(3):
        code, summary, stderr = _flush(bundle, ob, env=wrong)
        assert code == 75
        assert summary["paused"]
        assert summary["paused_until"] is None
        assert "outbox resume" in stderr
    assert auth_server.logins == tried  # no login tried again with the same password
    listed = outcome(cli("outbox", "list", "--outbox", ob))  # what an operator reads says why it waits
    assert listed["paused"]["until"] is None
    assert "rejected the user name or password" in listed["paused"]["reason"]
    assert listed["paused"]["lifted_by"].startswith("a new SMTP password")
    stored = Path(ob).read_bytes()
    assert b"wrong-password" not in stored  # only a salted hash of it is kept
    assert outcome(cli("outbox", "resume", "--outbox", ob))["resumed"] is True
    code, _, _ = _flush(bundle, ob, env=wrong)  # resumed by hand: one more try, paused again
    assert code == 75
    assert auth_server.logins > tried
    code, summary, _ = _flush(bundle, ob, env={"MG_TEST_FLUSH_PASSWORD": PASSWORD})
    assert (code, summary["sent"]) == (0, 1)  # a new password lifts the pause by itself
    assert [r.message_id for r in auth_server.wait_for(1)] == [m["message_id"]]


def test_flush_now_sends_at_once_what_waits_once_the_server_is_back(tmp_path: Path,
                                                                   outbox_location: str) -> None:
    """After an outage the messages wait for their backoff (up to an hour): a plain flush with the
    server back sends none of them; `--now` sends them all, each once."""
    port = free_port()
    bundle = build_bundle(make_repo(tmp_path / "repo", port=port))  # nothing listens there yet
    ob = outbox_location
    slow = {"MAILGITOPS_RETRY_BACKOFF_SECONDS": "600"}
    for name in ("back-1", "back-2"):
        _dispatch(bundle, tmp_path, ob, name, "--queue-only", env=slow)
    code, summary, stderr = _flush(bundle, ob, env=slow)
    assert (code, summary["sent"], summary["waiting"]) == (75, 0, 2)
    assert "`mailgitops outbox flush --now` sends what waits at once" in stderr
    srv = SmtpServer(port).start()
    try:
        code, summary, _ = _flush(bundle, ob, env=slow)  # the server is back, the backoff is not over
        assert (code, summary["sent"], summary["waiting"]) == (75, 0, 2)
        proc = cli("outbox", "flush", "--now", "--bundle", str(bundle), "--outbox", ob, env=slow)
        assert proc.returncode == 0, proc.stderr
        assert "2 message(s) waiting for their next attempt are sent now" in proc.stderr
        assert (json.loads(proc.stdout)["sent"], json.loads(proc.stdout)["waiting"]) == (2, 0)
        assert len(srv.wait_for(2)) == 2
        time.sleep(0.3)
        assert len(srv.messages) == 2  # each once
    finally:
        srv.stop()
