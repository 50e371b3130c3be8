"""The fault matrix (RELIABILITY 1-8): each case injects one SMTP fault, dispatches events,
flushes until nothing is due, and counts what ended where. Used by the acceptance tests and by
scripts/reliability_report (docs/reliability.md). Each run takes an outbox location: a SQLite
file in the work folder unless given one (the tests give a fresh PostgreSQL database too)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailgitops.dispatch.api import Dispatcher
from mailgitops.dispatch.outbox import Outbox
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.sending import RetryPolicy
from mailgitops.dispatch.smtp import ServerConfig
from mailgitops.errors import MailgitopsError
from support.dispatchrepo import SAMPLES, sample_event
from support.smtpd import SilentServer, SmtpServer

FAST = RetryPolicy(backoff_seconds=0.001, factor=1.5, max_backoff_seconds=0.01, lifetime_seconds=60,
                   pause_seconds=0.05, lease_seconds=30)
FINAL = ("sent", "failed", "expired", "discarded")


@dataclass
class Case:
    name: str
    inject: Callable[[SmtpServer], None]
    expect: str  # the end state every message must reach: sent | failed | expired
    events: int = 3
    server: str = "normal"  # normal | down-then-up | silent


@dataclass
class Result:
    case: str
    faults: int = 0
    accepted: int = 0
    end: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicates: int = 0  # a second copy outside the ambiguous window: must be 0
    ambiguous: int = 0  # redeliveries in the window SMTP cannot close (same Message-ID)
    delivered: int = 0  # messages every To recipient received
    new_id: int = 0  # copies under a Message-ID the outbox never gave (a duplicate under a new id)
    refused_sent: int = 0  # `sent` although the server refused a To recipient: must be 0
    survived: bool = False
    notes: list[str] = field(default_factory=list)


def _stage_case(stage: str, reply: str) -> Case:
    return Case(f"{reply[:3]} at {stage}", lambda s: s.faults.add(stage, reply), "sent")


def cases() -> list[Case]:
    out = [_stage_case(stage, reply) for reply in ("421 4.3.2 closing, try later", "451 4.3.0 try later")
           for stage in ("GREET", "EHLO", "MAIL", "RCPT", "DATA", "DATA_END")]
    out += [
        Case("421 for the second recipient",
             lambda s: s.faults.add("RCPT:archive@example.com", "421 4.3.2 closing"), "sent"),
        Case("451 for the second recipient",
             lambda s: s.faults.add("RCPT:archive@example.com", "451 4.2.1 mailbox busy"), "sent"),
        Case("550 for one of several recipients",
             lambda s: s.faults.refuse.update({"archive@example.com": "550 5.1.1 no such mailbox"}), "sent"),
        Case("550 for the customer (To) only, the archive CC accepts",
             lambda s: s.faults.refuse.update({"ada@example.org": "550 5.1.1 no such user"}), "failed"),
        Case("451 for the customer (To) only, once",
             lambda s: s.faults.add("RCPT:ada@example.org", "451 4.2.1 mailbox busy"), "sent"),
        Case("554 after DATA", lambda s: s.faults.add("DATA_END", "554 5.6.0 message refused", 3), "failed"),
        # before any message: sending pauses (no attempt spent), then the server takes them all
        Case("554 instead of the greeting (a block list), once",
             lambda s: s.faults.add("GREET", "554 5.7.1 client host blocked"), "sent"),
        Case("5xx to EHLO and to HELO (a greeting name refused), once",
             lambda s: [s.faults.add(stage, "550 5.7.1 Helo command rejected") for stage in ("EHLO", "HELO")],
             "sent"),
        Case("connection dropped mid-DATA", lambda s: s.faults.add("MID_DATA", "drop"), "sent"),
        Case("connection lost after the final dot (server kept it)",
             lambda s: s.faults.add("DATA_END", "drop-accepted"), "sent"),
        Case("server down, then up", lambda s: None, "sent", server="down-then-up"),
        Case("server never greets (lifetime runs out)", lambda s: None, "expired", server="silent"),
    ]
    return out


def _events(case: Case, n: int) -> Iterator[dict[str, Any]]:
    slug = case.name.replace(" ", "-").replace(",", "").replace("(", "").replace(")", "")
    for i in range(n):
        yield sample_event("flyers", trigger="order_received", event_id=f"{slug}-{i}")


def _settle(d: Dispatcher, deadline: float) -> None:
    while time.monotonic() < deadline:
        d.flush(force=True)
        if all(r.status in FINAL for r in d.outbox.rows()):
            return
        time.sleep(0.005)


def _open(location: str | None, workdir: Path, name: str) -> Outbox:
    return open_outbox(location if location is not None else str(workdir / f"{name}.sqlite"))


def run_case(case: Case, server: SmtpServer, bundle: Path, workdir: Path, outbox_location: str | None = None,
             ) -> Result:
    server.messages.clear()
    server.faults.clear()
    outbox = _open(outbox_location, workdir, str(abs(hash(case.name))))
    policy = FAST
    override: ServerConfig | None = None
    silent: SilentServer | None = None
    if case.server == "silent":
        silent = SilentServer().start()
        override = ServerConfig(host="127.0.0.1", port=silent.port, timeout=0.2)
        policy = RetryPolicy(backoff_seconds=0.01, max_backoff_seconds=0.05, lifetime_seconds=0.6)
    d = Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files", policy=policy)
    if override is not None:
        d = Dispatcher(d.bundle, outbox, attachments_root=SAMPLES / "files", policy=policy, server=override)
    result = Result(case.name)
    try:
        if case.server == "down-then-up":
            server.stop()
        case.inject(server)
        result.faults = 1 if case.server != "normal" else sum(len(q) for q in server.faults.queue.values()) \
            + len(server.faults.refuse)
        for ev in _events(case, case.events):
            d.handle(ev)
        if case.server == "down-then-up":
            server.start()
        _settle(d, time.monotonic() + (5 if case.server != "silent" else 3))
    finally:
        d.close()
        if silent is not None:
            silent.stop()
    unused = sum(len(q) for q in server.faults.queue.values())  # a fault never hit proves nothing
    if unused:
        result.notes.append(f"{unused} injected fault(s) were never triggered")
    rows = outbox.rows()
    # per recipient: a retry to the one recipient who got a 4xx is not a second copy for the others
    copies = Counter((m.message_id, rcpt) for m in server.messages for rcpt in m.rcpts)
    result.accepted = len(rows)
    known = {r.message_id for r in rows}
    result.new_id = sum(1 for m in server.messages if m.message_id not in known)
    for r in rows:
        if r.to and all(copies.get((r.message_id, a), 0) for a in r.to):
            result.delivered += 1
        if r.status == "sent" and any(x["kind"] == "to" and x["result"] == "refused" for x in r.recipients):
            result.refused_sent += 1
        result.end[r.status] += 1
        got = {rcpt: copies.get((r.message_id, rcpt), 0) for rcpt in (*r.to, *r.cc)}
        # lost: not at an end state, or `sent` while a recipient the server did not refuse has no copy
        missing = [a for a, n in got.items() if n == 0 and a not in r.refused]
        if r.status not in FINAL or (r.status == "sent" and missing):
            result.lost += 1
        extra = sum(n - 1 for n in got.values() if n > 1)
        if r.ambiguous:
            result.ambiguous += extra
        else:
            result.duplicates += extra
    outbox.close()
    result.survived = (result.lost == 0 and result.duplicates == 0 and not unused and result.new_id == 0
                       and result.refused_sent == 0
                       and result.end.get(case.expect, 0) == result.accepted)
    return result


@dataclass
class BadInput:
    name: str
    event: Any  # anything the order system might send, not only an object


def bad_inputs() -> list[BadInput]:
    base = sample_event("flyers", trigger="order_received", event_id="bad")

    def with_(**kw: Any) -> dict[str, Any]:
        return {**base, **kw}

    return [
        BadInput("not an object", [1, 2]),
        BadInput("missing event_id", {k: v for k, v in base.items() if k != "event_id"}),
        BadInput("event_id with spaces", with_(event_id="a b")),
        BadInput("unknown trigger", with_(trigger="order_recieved")),
        BadInput("occurred_at not a date-time", with_(occurred_at="yesterday")),
        BadInput("two addresses joined with ;", with_(customer={"email": "a@example.org; b@example.org"})),
        BadInput("CR/LF header injection in an address",
                 with_(customer={"email": "a@example.org\r\nBcc: victim@example.org"})),
        BadInput("display name in the address", with_(customer={"email": "Eve <eve@example.org>"})),
        BadInput("group syntax", with_(customer={"email": "undisclosed:;"})),
        BadInput("unknown field", with_(surprise=True)),
        BadInput("copies is a string", with_(order={"number": "PO-1", "jobs": [{"copies": "500"}]})),
        BadInput("attachment with ..", with_(trigger="proof_ready", attachments={"document": "../x.pdf"})),
        BadInput("absolute attachment",
                 with_(trigger="proof_ready", attachments={"document": "/etc/passwd"})),
        BadInput("attachment that does not exist",
                 with_(trigger="proof_ready", attachments={"document": "jobs/none.pdf"})),
        BadInput("operator_cc not an address", with_(operator_cc=["not-an-address"])),
        BadInput("huge approvers list", with_(approvers=[{"email": "a@example.org"}] * 51)),
    ]


def run_bad_inputs(server: SmtpServer, bundle: Path, workdir: Path, outbox_location: str | None = None,
                   ) -> tuple[int, int, list[str]]:
    """(tried, refused clearly with nothing queued or sent, failures)."""
    server.messages.clear()
    server.faults.clear()
    outbox = _open(outbox_location, workdir, "bad-inputs")
    d = Dispatcher.load(bundle, outbox=outbox, attachments_root=SAMPLES / "files", policy=FAST)
    ok, failures = 0, []
    items = bad_inputs()
    try:
        for item in items:
            try:
                d.handle(item.event)
            except MailgitopsError as e:
                if str(e) and not outbox.rows() and not server.messages:
                    ok += 1
                    continue
            failures.append(item.name)
    finally:
        d.close()
        outbox.close()
    return len(items), ok, failures
