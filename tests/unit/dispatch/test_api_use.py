"""The Python API as an order system's developer uses it: the example of docs/dispatcher.md run as
written, a refused event whose traceback names every problem, and a Dispatcher used after close()."""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.errors import MailgitopsError, UsageError
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event, write_event
from support.smtpd import SmtpServer

DOCS = Path(__file__).resolve().parents[3] / "docs" / "dispatcher.md"


@pytest.fixture(scope="module")
def server() -> Iterator[SmtpServer]:
    srv = SmtpServer().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, server: SmtpServer) -> Path:
    return build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=server.port))


def test_the_documented_python_example_prints_the_outcome_as_json(
        bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Copied from the docs with only the paths changed; it printed a Python dict (single quotes,
    None) where the comment promised "the same JSON as `mailgitops dispatch`"."""
    section = DOCS.read_text(encoding="utf-8").split("## From Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    code = found.group(1)
    outbox = tmp_path / "outbox.sqlite"
    for documented, here in [("bundle/mailgitops.bundle.json", str(bundle)),
                             ("/var/lib/mailgitops/outbox.sqlite", str(outbox)),
                             ("/srv/print/jobs", str(SAMPLES / "files"))]:
        assert f'"{documented}"' in code
        code = code.replace(f'"{documented}"', repr(here))
    write_event(tmp_path, sample_event(trigger="order_received", event_id="docs-1"), name="event")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILGITOPS_DELIVERY", raising=False)  # the example says its mode itself
    exec(compile(code, str(DOCS), "exec"), {})  # the documentation's own code
    printed = json.loads(capsys.readouterr().out)
    assert printed["event_id"] == "docs-1"
    assert printed["duplicate"] is False
    assert [m["status"] for m in printed["messages"]] == ["sent"]
    assert outbox.is_file()


def test_a_refused_event_names_every_problem_in_its_traceback(bundle: Path, tmp_path: Path) -> None:
    bad = sample_event(trigger="order_received", event_id="has space", occurred_at="yesterday")
    with (Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", delivery="production") as d,
          pytest.raises(MailgitopsError) as caught):
        d.handle(bad)
    e = caught.value
    assert str(e) == "event: the event was refused (2 problems); nothing was queued"
    paths = {d.json_path for d in e.diagnostics}
    assert paths == {"$.event_id", "$.occurred_at"}
    shown = "".join(traceback.format_exception(e))  # what an uncaught error or logging.exception shows
    assert "event: $.event_id: " in shown
    assert "event: $.occurred_at: " in shown


def test_a_closed_dispatcher_says_so(bundle: Path, tmp_path: Path) -> None:
    event = sample_event(trigger="order_received", event_id="closed-1")
    with Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", delivery="production") as d:
        assert d.handle(event).duplicate is False
    # after the block: a duplicate was answered from a stale reader, a flush raised
    # sqlite3.ProgrammingError("Cannot operate on a closed database.")
    for use in (lambda: d.handle(event), d.flush, lambda: d.handle(dict(event, event_id="closed-2"))):
        with pytest.raises(UsageError, match="this Dispatcher was closed; nothing was accepted or sent"):
            use()
    d.close()  # a second close is harmless


def test_a_skipped_message_has_every_key_of_a_sent_one(bundle: Path, tmp_path: Path) -> None:
    """PRODUCT.md names `recipients` for every message of the outcome; a skipped one had neither
    it nor `outbox_id`, so `m["recipients"]` over all messages raised KeyError."""
    sent_event = sample_event(trigger="order_received", event_id="keys-sent")
    skipped = sample_event(trigger="order_accepted", event_id="keys-skipped")
    skipped["customer"] = {**skipped["customer"], "notify": []}  # send: on_customer_request
    with Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", delivery="production") as d:
        sent = d.handle(sent_event).to_json()["messages"][0]
        first = d.handle(skipped).to_json()["messages"]
        again = d.handle(skipped).to_json()
    assert again["duplicate"] is True
    for answer in (first, again["messages"]):
        assert [m["status"] for m in answer] == ["skipped"]
        assert list(answer[0]) == [k for k in sent if k in answer[0]]  # the same order
        assert set(sent) - set(answer[0]) == set()
        assert (answer[0]["outbox_id"], answer[0]["recipients"], answer[0]["message_id"]) == (None, [], None)


def test_load_names_a_wrong_outbox_or_delivery_mode_at_once(bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"outbox must be a file path, .* or an Outbox, not int"):
        Dispatcher.load(bundle, outbox=123)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="'prod' is not a delivery mode"):
        Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", delivery="prod")
    assert not (tmp_path / "o.sqlite").exists()  # refused before the outbox was made


def test_one_dispatcher_shared_by_an_order_systems_threads_sends_each_email_whole_once(
        bundle: Path, tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its one SMTP connection took the threads' commands interleaved: messages failed for good
    with "503 nested MAIL command", one arrived with another's MAIL FROM as its first line and was
    recorded as sent, and the process hung (a walk with four threads, three times)."""
    import email
    import email.policy
    import threading
    import time

    monkeypatch.setenv("MAILGITOPS_DELIVERY", "production")
    before = len(server.messages)
    statuses: list[str] = []
    d = Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", attachments_root=SAMPLES / "files")

    def work(first: int) -> None:
        for i in range(first, 24, 4):
            got = d.handle(sample_event(trigger="order_received", event_id=f"thread-{i}")).to_json()
            statuses.extend(str(m["status"]) for m in got["messages"])

    # daemon threads, joined with one deadline: a conversation that hangs fails the test
    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):  # not closed: its QUIT would wait on the hung session too
        pytest.fail("the threads hung on the shared SMTP connection")
    ids = {r.message_id for r in d.outbox.rows(limit=1000)}
    d.close()
    assert len(statuses) == 24 and set(statuses) == {"sent"}
    received = server.wait_for(before + len(statuses))[before:]
    got_ids = [email.message_from_bytes(m.data, policy=email.policy.default)["Message-ID"] for m in received]
    assert sorted(got_ids) == sorted(ids)  # each once, each with its own headers
