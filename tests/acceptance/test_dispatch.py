"""The dispatcher through the real CLI: every seed rule (S1-S5, A1, T9, W2, W3, W4), idempotency,
refused events, against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from support.dispatchrepo import SAMPLES, build_bundle, cli, make_repo, outcome, sample_event, write_event
from support.smtpd import SmtpServer

FILES = SAMPLES / "files"
MAIN_TRIGGERS = {"order_dispatched": {"send": "never"},
                 "order_finalized": {"to": ["customer", "operator"]}}



@pytest.fixture(scope="module")
def bundles(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("repos")
    main = make_repo(base / "main", port=smtp_server.port, triggers=MAIN_TRIGGERS)
    strict = make_repo(base / "strict", port=smtp_server.port, allow_operator_cc=False,
                       allow_operator_attachments=False)
    return {"main": build_bundle(main), "strict": build_bundle(strict)}



class Run:
    def __init__(self, tmp: Path, bundle: Path, outbox: str) -> None:
        self.tmp, self.bundle, self.outbox = tmp, bundle, outbox

    def dispatch(self, event: dict[str, Any], *extra: str, root: Path | None = FILES) -> Any:
        path = write_event(self.tmp, event)
        args = ["dispatch", "--bundle", str(self.bundle), "--event", str(path), "--outbox", str(self.outbox)]
        if root is not None:
            args += ["--attachments-root", str(root)]
        return cli(*args, *extra)

    def ok(self, event: dict[str, Any], *extra: str) -> dict[str, Any]:
        return outcome(self.dispatch(event, *extra))

    def run(self, *args: str) -> Any:
        return cli(*args, "--outbox", str(self.outbox))

    def queued_rows(self) -> list[dict[str, Any]]:
        got = outcome(self.run("outbox", "list"))
        rows: list[dict[str, Any]] = got["messages"]
        return rows


@pytest.fixture
def main(tmp_path: Path, bundles: dict[str, Path], outbox_location: str) -> Run:
    """The shipped repository's bundle and an outbox, once on each backend (SQLite, PostgreSQL)."""
    return Run(tmp_path, bundles["main"], outbox_location)


@pytest.fixture
def strict(tmp_path: Path, bundles: dict[str, Path], outbox_location: str) -> Run:
    return Run(tmp_path, bundles["strict"], outbox_location)


def event(trigger: str, event_id: str, sample: str = "flyers", **changes: Any) -> dict[str, Any]:
    data = sample_event(sample, trigger=trigger, event_id=event_id)
    data.update(changes)
    return data


# --- S1 S2 S3: the sender ---------------------------------------------------------------------


def test_s1_s3_print_room_sender_for_a_shop_without_its_own(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_received", "s1", sample="business-cards"))
    assert got["messages"][0]["status"] == "sent"
    msg = sink.wait_for(1)[0].message
    assert msg["From"] == "Print Room <printroom@example.com>"
    assert sink.messages[0].mail_from == "printroom@example.com"


def test_s2_webshop_sender_overrides(main: Run, sink: SmtpServer) -> None:
    main.ok(event("order_received", "s2"))
    msg = sink.wait_for(1)[0].message
    assert msg["From"] == "Campus Print Shop <campus@example.com>"
    assert sink.messages[0].mail_from == "campus@example.com"


# --- S4 S5: CC ----------------------------------------------------------------------------------


def test_s4_global_and_trigger_cc_are_added(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("budget_threshold", "s4"))
    assert [m["cc"] for m in got["messages"]] == [["archive@example.com", "controlling@example.com"]]
    received = sink.wait_for(1)[0]
    assert received.rcpts == ["budget@example.com", "archive@example.com", "controlling@example.com"]
    assert received.message["Cc"] == "archive@example.com, controlling@example.com"


def test_s5_operator_cc_honoured_where_allowed(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_received", "s5-ok", operator_cc=["boss@example.com"]))
    assert got["messages"][0]["cc"] == ["archive@example.com", "boss@example.com"]
    assert "boss@example.com" in sink.wait_for(1)[0].rcpts


def test_s5_operator_cc_refused_where_not_allowed(strict: Run, sink: SmtpServer) -> None:
    proc = strict.dispatch(event("order_received", "s5-no", operator_cc=["boss@example.com"]))
    assert proc.returncode == 1
    assert "operator-cc-not-allowed" in proc.stderr
    assert "allow_operator_cc" in proc.stderr
    assert strict.queued_rows() == []
    assert sink.messages == []


# --- A1 T9: attachments -------------------------------------------------------------------------


def _attachment_names(msg: Any) -> list[str]:
    return [p.get_filename() for p in msg.iter_attachments() if p.get_content_disposition() == "attachment"]


def test_t9_template_attachments_come_from_the_event(main: Run, sink: SmtpServer) -> None:
    main.ok(event("proof_ready", "t9"))
    msg = sink.wait_for(1)[0].message
    assert _attachment_names(msg) == ["final.pdf"]


def test_a1_operator_attachments_where_allowed(main: Run, sink: SmtpServer) -> None:
    main.ok(event("order_received", "a1-ok", operator_attachments=["jobs/PO-1001/ticket.pdf"]))
    assert _attachment_names(sink.wait_for(1)[0].message) == ["ticket.pdf"]


def test_two_files_of_one_name_reach_the_customer_apart(main: Run, sink: SmtpServer) -> None:
    """The order system keeps each job's file in its own folder under one name: both were sent as
    "final.pdf", and the customer's mail program saved one over the other."""
    main.ok(event("proof_ready", "two-finals",
                  operator_attachments=["jobs/PO-1002/final.pdf", "jobs/PO-1001/ticket.pdf"]))
    assert _attachment_names(sink.wait_for(1)[0].message) == ["final.pdf", "final (2).pdf", "ticket.pdf"]


def test_a1_operator_attachments_refused_where_not_allowed(strict: Run, sink: SmtpServer) -> None:
    proc = strict.dispatch(event("order_received", "a1-no", operator_attachments=["jobs/PO-1001/ticket.pdf"]))
    assert proc.returncode == 1
    assert "operator-attachments-not-allowed" in proc.stderr
    assert strict.queued_rows() == []
    assert sink.messages == []


@pytest.mark.parametrize(("path", "code"), [
    ("../outside.pdf", "bad-event"),
    ("/etc/passwd", "bad-event"),
    ("jobs/../../outside.pdf", "bad-event"),
    ("escape/secret.pdf", "attachment-outside-root"),
    ("jobs/PO-1001/missing.pdf", "attachment-missing"),
    ("big.pdf", "attachment-too-large"),
    ("script.sh", "attachment-type"),
])
def test_t9_attachment_paths_stay_inside_the_root(main: Run, sink: SmtpServer, tmp_path: Path, path: str,
                                                  code: str) -> None:
    root = tmp_path / "files"
    (root / "jobs" / "PO-1001").mkdir(parents=True)
    (root / "jobs" / "PO-1001" / "final.pdf").write_bytes(b"%PDF-1.4 ok")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.pdf").write_bytes(b"%PDF secret")
    (root / "escape").symlink_to(tmp_path / "outside")
    (root / "script.sh").write_text("echo hi")
    with open(root / "big.pdf", "wb") as f:
        f.truncate(21 * 1024 * 1024)
    ev = event("proof_ready", f"t9-{code}", attachments={"document": path})
    proc = main.dispatch(ev, root=root)
    assert proc.returncode == 1, proc.stdout
    assert code in proc.stderr
    assert main.queued_rows() == []
    assert sink.messages == []


def test_t9_no_attachments_root_is_a_clear_refusal(main: Run, sink: SmtpServer) -> None:
    env_root = os.environ.pop("MAILGITOPS_ATTACHMENTS_ROOT", None)
    try:
        proc = main.dispatch(event("proof_ready", "t9-noroot"), root=None)
    finally:
        if env_root is not None:
            os.environ["MAILGITOPS_ATTACHMENTS_ROOT"] = env_root
    assert proc.returncode == 1
    assert "--attachments-root" in proc.stderr


def test_attachments_root_from_the_environment(main: Run, sink: SmtpServer) -> None:
    path = write_event(main.tmp, event("proof_ready", "t9-env"))
    proc = cli("dispatch", "--bundle", str(main.bundle), "--event", str(path), "--outbox", str(main.outbox),
               env={"MAILGITOPS_ATTACHMENTS_ROOT": str(FILES)})
    assert outcome(proc)["messages"][0]["status"] == "sent"


# --- W2: who gets it ----------------------------------------------------------------------------


def test_w2_on_customer_request_sends_when_asked(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_accepted", "w2-asked"))  # flyers' customer asked for order_accepted
    assert got["messages"][0]["status"] == "sent"


def test_w2_on_customer_request_skips_when_not_asked(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_ready", "w2-not-asked", sample="business-cards"))
    m = got["messages"][0]
    assert m["status"] == "skipped"
    assert "did not ask" in m["reason"]
    assert sink.messages == []


def test_w2_send_never_skips_with_reason(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_dispatched", "w2-never"))
    assert [(m["status"], m["reason"]) for m in got["messages"]] == [
        ("skipped", "send: never is set for this trigger in config/workflow.yaml")]
    assert sink.messages == []


def test_w2_each_role_gets_its_own_message_in_its_own_language(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("order_finalized", "w2-roles"))
    assert [(m["role"], m["to"], m["language"], m["status"]) for m in got["messages"]] == [
        ("customer", ["ada@example.org"], "de", "sent"), ("operator", ["op@example.com"], "en", "sent")]
    subjects = sorted(r.message["Subject"] for r in sink.wait_for(2))
    assert len(subjects) == 2
    assert subjects[0] != subjects[1]


def test_language_falls_back_to_base_then_default(main: Run, sink: SmtpServer) -> None:
    cards = main.ok(event("order_received", "lang-zh", sample="business-cards"))
    assert cards["messages"][0]["language"] == "zh"  # zh-CN -> zh
    ev = event("order_received", "lang-pt")
    ev["customer"] = {**ev["customer"], "language": "pt-BR"}
    assert main.ok(ev)["messages"][0]["language"] == "en"  # not active -> the default


# --- W3 W4: drafts ------------------------------------------------------------------------------


def test_w3_draft_edit_and_send_once(main: Run, sink: SmtpServer) -> None:
    got = main.ok(event("quotation", "w3"))
    m = got["messages"][0]
    assert m["status"] == "draft"
    assert sink.messages == []
    draft_id = str(m["draft_id"])
    listed = outcome(main.run("drafts", "list"))
    assert [d["id"] for d in listed] == [m["draft_id"]]
    shown = outcome(main.run("drafts", "show", draft_id))
    assert "PO\\-1001" in shown["markdown"] or "PO-1001" in shown["markdown"]
    body = main.tmp / "body.md"
    body.write_text("Dear Ada,\n\nthe **new** price is 99 EUR.\n", encoding="utf-8")
    where = ("--bundle", str(main.bundle), "--outbox", str(main.outbox))
    edited = outcome(cli("drafts", "edit", draft_id, "--subject", "Your quote, revised", "--body", str(body),
                         "--cc", "sales@example.com", *where))
    assert edited["subject"] == "Your quote, revised"
    assert edited["cc"] == ["sales@example.com"]
    assert sink.messages == []  # editing never sends
    first = outcome(cli("drafts", "send", draft_id, *where))
    second = outcome(cli("drafts", "send", draft_id, *where))
    assert first["status"] == "sent"
    assert first["already"] is False
    assert second["status"] == "sent"
    assert second["already"] is True
    received = sink.wait_for(1)
    assert len(received) == 1
    msg = received[0].message
    assert msg["Subject"] == "Your quote, revised"
    assert msg["Message-ID"] == m["message_id"]
    assert received[0].rcpts == ["ada@example.org", "sales@example.com"]
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert "<strong>new</strong>" in html


def test_w3_discarded_draft_is_never_sent(main: Run, sink: SmtpServer) -> None:
    m = main.ok(event("quotation", "w3-discard"))["messages"][0]
    root = main.tmp / "attachments"  # a file an operator attached to it in the console
    upload = root / "console-uploads" / str(m["draft_id"]) / "0123456789abcdef" / "proof.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 the customer's proof")
    assert outcome(main.run("drafts", "discard", str(m["draft_id"]), "--attachments-root",
                            str(root)))["status"] == "skipped"
    assert not upload.parent.parent.exists()  # the customer's file went with the draft
    proc = cli("drafts", "send", str(m["draft_id"]), "--bundle", str(main.bundle),
               "--outbox", str(main.outbox))
    assert json.loads(proc.stdout)["already"] is True
    assert sink.messages == []


def test_a_damaged_draft_record_is_refused_by_name_not_a_traceback(main: Run, sink: SmtpServer) -> None:
    from mailgitops.dispatch.outbox_backends import open_outbox

    m = main.ok(event("quotation", "w3-damaged"))["messages"][0]
    ob = open_outbox(main.outbox)
    try:
        ob.update(m["draft_id"], None, draft={"subject": "Your quote"})  # its body and recipients lost
    finally:
        ob.close()
    shown = main.run("drafts", "show", str(m["draft_id"]))
    sent = cli("drafts", "send", str(m["draft_id"]), "--bundle", str(main.bundle),
               "--outbox", str(main.outbox))
    for proc in (shown, sent):
        assert proc.returncode == 1, proc.stderr
        assert (f"the draft stored for outbox message {m['draft_id']} ({m['message_id']}) is damaged: "
                "`markdown` is missing") in proc.stderr
        assert "Traceback" not in proc.stderr
    assert sink.messages == []
    # the listings still work, and show the row marked so the operator can find it
    drafts = main.run("drafts", "list")
    assert drafts.returncode == 0, drafts.stderr
    [listed] = [d for d in json.loads(drafts.stdout) if d["id"] == m["draft_id"]]
    assert listed["draft_damaged"]["error"].endswith("is damaged: `markdown` is missing")
    assert m["draft_id"] in [r["id"] for r in outcome(main.run("outbox", "list"))["messages"]]


def test_w3_cc_edit_refused_without_s5(strict: Run, sink: SmtpServer, bundles: dict[str, Path]) -> None:
    m = strict.ok(event("quotation", "w3-nocc"))["messages"][0]
    proc = cli("drafts", "edit", str(m["draft_id"]), "--cc", "x@example.com", "--bundle", str(strict.bundle),
               "--outbox", str(strict.outbox))
    assert proc.returncode == 1
    assert "allow_operator_cc: true" in proc.stderr
    proc = cli("drafts", "edit", str(m["draft_id"]), "--attach", "jobs/PO-1001/ticket.pdf", "--bundle",
               str(strict.bundle), "--outbox", str(strict.outbox), "--attachments-root", str(FILES))
    assert proc.returncode == 1
    assert "allow_operator_attachments: true" in proc.stderr


def test_w4_edit_before_send_on_a_trigger_that_cannot_is_refused(tmp_path: Path,
                                                                   smtp_server: SmtpServer) -> None:
    repo = make_repo(tmp_path / "w4", port=smtp_server.port,
                     triggers={"order_received": {"edit_before_send": True}})
    proc = cli("bundle", "--root", str(repo), "--out", str(tmp_path / "b.json"))
    assert proc.returncode == 1
    assert "config/workflow.yaml" in proc.stderr
    assert not (tmp_path / "b.json").exists()


# --- idempotency and refusals -------------------------------------------------------------------


def test_same_event_five_times_sends_once(main: Run, sink: SmtpServer) -> None:
    ev = event("order_received", "five")
    outcomes = [main.ok(ev) for _ in range(5)]
    assert [o["duplicate"] for o in outcomes] == [False, True, True, True, True]
    assert all(o["messages"] == outcomes[0]["messages"] for o in outcomes)
    assert len(sink.wait_for(1)) == 1


def test_same_id_different_content_is_refused(main: Run, sink: SmtpServer) -> None:
    main.ok(event("order_received", "conflict"))
    proc = main.dispatch(event("order_received", "conflict", webshop="staff"))
    assert proc.returncode == 1
    assert "different content" in proc.stderr
    assert len(sink.wait_for(1)) == 1


def test_bad_event_names_every_problem_and_queues_nothing(main: Run, sink: SmtpServer) -> None:
    bad = {"event_id": "bad id!", "trigger": "order_received", "occurred_at": "yesterday",
           "customer": {"email": "ada@example.org; eve@example.org"}, "surprise": 1}
    proc = main.dispatch(bad)
    assert proc.returncode == 1
    for where in ("$.event_id", "$.occurred_at", "$.customer.email", "$.surprise"):
        assert where in proc.stderr
    assert main.queued_rows() == []
    assert sink.messages == []


def test_event_from_stdin_and_unknown_trigger(main: Run, sink: SmtpServer) -> None:
    ev = event("order_recieved", "typo")
    proc = cli("dispatch", "--bundle", str(main.bundle), "--event", "-", "--outbox", str(main.outbox),
               stdin=json.dumps(ev))
    assert proc.returncode == 1
    assert "did you mean `order_received`?" in proc.stderr
    proc = cli("dispatch", "--bundle", str(main.bundle), "--event", "-", "--outbox", str(main.outbox),
               stdin="{not json")
    assert proc.returncode == 1
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_refusal_reads_alike_and_names_each_problem_once(main: Run, sink: SmtpServer,
                                                              tmp_path: Path) -> None:
    """Whichever check refuses it (the schema, the trigger's required values, a person's address),
    the refusal names the event's file and id the same way; one missing value is one line; a
    misspelt field gets the field it resembles."""
    bad_address = event("order_received", "r-address")
    bad_address["customer"] = {**bad_address["customer"], "email": "not-an-address"}
    no_number = event("order_received", "r-number")
    del no_number["order"]["number"]
    misspelt = event("order_received", "r-typo")
    misspelt["custmer"] = misspelt.pop("customer")
    errors = {}
    for ev in (bad_address, no_number, misspelt):
        path = write_event(tmp_path, ev)
        proc = cli("dispatch", "--bundle", str(main.bundle), "--event", str(path),
                   "--outbox", str(main.outbox))
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.splitlines()
        assert all(line.startswith(("error: " + str(path), "  " + str(path))) for line in lines), lines
        errors[ev["event_id"]] = lines
    assert errors["r-address"][0] == f"error: {tmp_path / 'r-address.json'}: event r-address was refused " \
                                     "(1 problem); nothing was queued"
    number = tmp_path / "r-number.json"
    col = number.read_text(encoding="utf-8").index('"order": ') + len('"order": ') + 1  # at its `{`
    assert errors["r-number"][1:] == [f"  {number}:1:{col}: $.order: `number` is required [bad-event]"]
    assert "(2 problems)" in errors["r-typo"][0]
    assert "$.custmer: unknown field `custmer`: did you mean `customer`?" in errors["r-typo"][1]
    assert main.queued_rows() == []
    assert sink.messages == []


def test_event_missing_data_the_trigger_requires_is_refused(main: Run, sink: SmtpServer) -> None:
    ev = {k: v for k, v in event("order_received", "no-order").items() if k != "order"}
    proc = main.dispatch(ev)
    assert proc.returncode == 1, proc.stderr
    assert "$.order.number: `order.number` is required for `order_received` events" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert main.queued_rows() == []
    assert sink.messages == []


def test_unwritable_outbox_is_a_temporary_error(main: Run, sink: SmtpServer, tmp_path: Path) -> None:
    """RELIABILITY 1: nothing is acknowledged before it is on disk; the caller is told to retry (75)."""
    path = write_event(tmp_path, event("order_received", "no-outbox"))
    proc = cli("dispatch", "--bundle", str(main.bundle), "--event", str(path),
               "--outbox", str(tmp_path / "missing-dir" / "o.sqlite"))
    assert proc.returncode == 75
    assert f"cannot open the outbox {tmp_path / 'missing-dir' / 'o.sqlite'}: the folder " \
           f"{tmp_path / 'missing-dir'} does not exist" in proc.stderr
    assert "nothing was stored" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sink.messages == []


def test_an_outbox_path_that_names_another_file_says_so(main: Run, sink: SmtpServer, tmp_path: Path) -> None:
    """--outbox README.md said only SQLite's "file is not a database"; the file is left as it was."""
    path = write_event(tmp_path, event("order_received", "not-an-outbox"))
    readme = tmp_path / "README.md"
    readme.write_text("# notes\n", encoding="utf-8")
    readme.chmod(0o644)  # a document others may read: its mode is not the outbox's to change
    proc = cli("dispatch", "--bundle", str(main.bundle), "--event", str(path), "--outbox", str(readme))
    assert proc.returncode == 2  # a mistake no retry cures: not 75, which an order system retries for ever
    said = f"cannot open the outbox {readme}: that file is not an outbox (not a SQLite database)"
    assert said in proc.stderr, proc.stderr
    assert readme.read_text(encoding="utf-8") == "# notes\n"
    assert readme.stat().st_mode & 0o777 == 0o644
    assert sink.messages == []


def test_event_missing_one_required_value_names_it_at_its_field(main: Run, sink: SmtpServer) -> None:
    ev = event("order_received", "no-job-name")
    del ev["order"]["jobs"][1]["name"]
    proc = main.dispatch(ev)
    assert proc.returncode == 1, proc.stderr
    assert "$.order.jobs[1].name: `job.name` is required for `order_received` events" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert main.queued_rows() == []
    assert sink.messages == []


def test_an_optional_value_left_out_still_sends(main: Run, sink: SmtpServer) -> None:
    """Issue 9: a template that prints an optional value guards it, so the event is sent."""
    ev = event("order_received", "no-due-date")
    del ev["order"]["due_date"]
    ev["customer"]["language"] = "en"
    got = main.ok(ev)
    assert [m["status"] for m in got["messages"]] == ["sent"]
    [received] = sink.wait_for(1)
    text = email.message_from_bytes(received.data, policy=email.policy.default).get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Submitted on" in body  # the bullet list is there...
    assert "Needed by" not in body  # ...without the date the event did not carry


def test_w2_each_approver_gets_a_message_of_their_own(main: Run, sink: SmtpServer) -> None:
    ev = event("budget_threshold", "w2-approvers", approvers=[
        {"name": "Bob Budget", "email": "budget@example.com", "language": "nl"},
        {"name": "Fay Finance", "email": "finance@example.com", "language": "fr"}])
    got = main.ok(ev)
    assert [(m["role"], m["to"], m["language"], m["status"]) for m in got["messages"]] == [
        ("approver", ["budget@example.com"], "nl", "sent"),
        ("approver", ["finance@example.com"], "fr", "sent")]
    received = sink.wait_for(2)
    assert sorted(r.rcpts[0] for r in received) == ["budget@example.com", "finance@example.com"]
    assert len({r.message_id for r in received}) == 2


def test_a1_operator_attaches_a_file_to_a_draft(main: Run, sink: SmtpServer) -> None:
    m = main.ok(event("quotation", "a1-draft"))["messages"][0]
    where = ("--bundle", str(main.bundle), "--outbox", str(main.outbox), "--attachments-root", str(FILES))
    edited = outcome(cli("drafts", "edit", str(m["draft_id"]), "--attach", "jobs/PO-1001/ticket.pdf", *where))
    assert edited["operator_attachments"] == ["jobs/PO-1001/ticket.pdf"]
    outside = cli("drafts", "edit", str(m["draft_id"]), "--attach", "../flyers.yaml", *where)
    assert outside.returncode == 1
    assert "inside the attachments root" in outside.stderr
    assert outcome(cli("drafts", "send", str(m["draft_id"]), *where))["status"] == "sent"
    assert _attachment_names(sink.wait_for(1)[0].message) == ["ticket.pdf"]


def test_w3_two_concurrent_send_processes_send_once(main: Run, sink: SmtpServer) -> None:
    """RELIABILITY 7: two operators click "send" at the same moment: one email."""
    import subprocess

    from support.dispatchrepo import MAILGITOPS

    m = main.ok(event("quotation", "w3-race"))["messages"][0]
    argv = [*MAILGITOPS, "drafts", "send", str(m["draft_id"]), "--bundle", str(main.bundle),
            "--outbox", str(main.outbox)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    answers = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], answers
    already = sorted(json.loads(out)["already"] for out, _ in answers)
    assert already == [False, True, True, True]
    # Every process has exited, so every SMTP transaction it began has ended: what the server
    # accepted is all there is (a second copy would be in the list; no waiting needed).
    assert [r.message_id for r in sink.messages] == [m["message_id"]]


def test_every_refusal_is_named_at_once(strict: Run, sink: SmtpServer) -> None:
    ev = event("proof_ready", "all-at-once", operator_cc=["boss@example.com"],
               attachments={"document": "jobs/PO-1001/missing.pdf"})
    proc = strict.dispatch(ev)
    assert proc.returncode == 1
    assert "operator-cc-not-allowed" in proc.stderr
    assert "attachment-missing" in proc.stderr
    bad = event("order_recieved", "all-at-once-2", occurred_at="yesterday")
    proc = strict.dispatch(bad)
    assert proc.returncode == 1
    assert "did you mean `order_received`?" in proc.stderr
    assert "$.occurred_at" in proc.stderr
    assert strict.queued_rows() == []
    assert sink.messages == []


def test_same_event_from_five_processes_at_once_sends_once(main: Run, sink: SmtpServer) -> None:
    """RELIABILITY 2: the order system retries while the first delivery is still running."""
    import subprocess

    from support.dispatchrepo import MAILGITOPS

    path = write_event(main.tmp, event("order_received", "five-at-once"))
    argv = [*MAILGITOPS, "dispatch", "--bundle", str(main.bundle), "--event", str(path),
            "--outbox", str(main.outbox), "--attachments-root", str(FILES)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(5)]
    answers = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 5, answers
    assert sorted(json.loads(out)["duplicate"] for out, _ in answers) == [False, True, True, True, True]
    # all five have exited: the server's list is final (see above)
    assert len(sink.messages) == 1


def test_outbox_list_shows_the_newest_and_says_how_many_more(main: Run, sink: SmtpServer) -> None:
    ids = [main.ok(event("order_received", f"list-{i}"))["messages"][0]["outbox_id"] for i in range(3)]
    got = outcome(main.run("outbox", "list", "--limit", "2"))
    assert [m["id"] for m in got["messages"]] == ids[1:]
    assert got["more"] == 1
    assert got["counts"]["sent"] == 3


def test_a_full_backlog_is_a_temporary_error(main: Run, sink: SmtpServer, tmp_path: Path) -> None:
    """More waiting than MAILGITOPS_MAX_BACKLOG: nothing accepted, exit 75, the caller retries."""
    from mailgitops.dispatch.api import Dispatcher

    with Dispatcher.load(main.bundle, outbox=str(main.outbox), attachments_root=FILES) as d:
        for i in range(2):
            d.handle(event("order_received", f"waiting-{i}"), deliver=False)
    path = write_event(tmp_path, event("order_received", "one-too-many"))
    args = ("dispatch", "--bundle", str(main.bundle), "--event", str(path), "--outbox", str(main.outbox))
    proc = cli(*args, env={"MAILGITOPS_MAX_BACKLOG": "2"})
    assert proc.returncode == 75, proc.stderr
    assert "2 messages are waiting to be sent (the limit is 2)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert [r["event_id"] for r in main.queued_rows()] == ["waiting-0", "waiting-1"]
    assert sink.messages == []
    proc = cli(*args, env={"MAILGITOPS_MAX_BACKLOG": "many"})
    assert proc.returncode == 2
    assert "MAILGITOPS_MAX_BACKLOG='many'" in proc.stderr
    assert outcome(cli(*args, env={"MAILGITOPS_MAX_BACKLOG": "3"}))["messages"][0]["status"] == "sent"
