"""Hostile events through the real `mailgitops dispatch`: each is bad input (exit 1), refused with the
event field it is about, never a program error (exit 3) or a traceback, and nothing is queued."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from support.dispatchrepo import MAILGITOPS, build_bundle, cli, make_repo, sample_event

MB = 1024 * 1024


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hostile")
    return build_bundle(make_repo(work / "repo", port=9))  # nothing here may connect


def _event_text(**changes: object) -> str:
    """A good sample event with JSON text spliced in at `order.price` etc. (values given as raw JSON)."""
    ev = sample_event("flyers", event_id="hostile-1")
    marks = {}
    for i, (dotted, raw) in enumerate(changes.items()):
        node = ev
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[leaf] = f"@@{i}@@"
        marks[f'"@@{i}@@"'] = str(raw)
    text = json.dumps(ev)
    for mark, raw in marks.items():
        text = text.replace(mark, raw)
    return text


def _dispatch(bundle: Path, tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    event = tmp_path / "event.json"
    event.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    proc = cli("dispatch", "--bundle", str(bundle), "--outbox", str(tmp_path / "o.sqlite"),
               "--queue-only", "--event", str(event))
    return proc.returncode, proc.stdout + proc.stderr


def _queued(tmp_path: Path) -> int:
    db = tmp_path / "o.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


DEEP = "[" * 900 + "]" * 900
FINAL, RECEIVED = '"order_finalized"', '"order_received"'  # triggers whose emails print prices, times

CASES = [
    pytest.param({"order__price": "NaN"}, "$.order.price", "NaN", id="nan"),
    pytest.param({"order__price": "Infinity"}, "$.order.price", "Infinity", id="infinity"),
    pytest.param({"order__jobs__0__price": "-Infinity"}, "$.order.jobs[0].price", "-Infinity",
                 id="-infinity"),
    pytest.param({"order__jobs__0__copies": "1e308"}, "$.order.jobs[0].copies", "out of range", id="1e308"),
    pytest.param({"order__price": "1" + "0" * 30}, "$.order.price", "out of range", id="huge-integer"),
    # beyond any float: formatting it for the message had crashed (OverflowError, exit 3)
    pytest.param({"order__jobs__0__copies": "9" * 400}, "$.order.jobs[0].copies", "a number of 400 digits",
                 id="400-digit-integer"),
    pytest.param({"customer__name": '"\\ud800"'}, "$.customer.name", "lone surrogate", id="lone-surrogate"),
    # values a template of the event's trigger formats, in a form its filter cannot read: refused at
    # the field, not at the template's line (which told the print room of the order system's
    # mistake). order_finalized's emails print the prices, order_received's the submission time
    pytest.param({"trigger": FINAL, "order__price": '{"amount": 1}'},
                 "$.order.price", "must be a number such as 184.5",
                 id="price-object"),
    pytest.param({"trigger": FINAL, "order__jobs__1__price": '"ninety"'},
                 "$.order.jobs[1].price", 'not "ninety"',
                 id="job-price-word"),
    pytest.param({"order__due_date": '"2026-13-45"'}, "$.order.due_date", "a date such as 2026-12-04",
                 id="due-date-no-date"),
    pytest.param({"trigger": RECEIVED, "order__submitted_at": "20261120"}, "$.order.submitted_at",
                 "a date and time with its UTC offset such as", id="submitted-at-number"),
    # a time without its offset was read as UTC: an order system sending Berlin's 10:30 had its
    # customers told 11:30 MEZ. Refused with what is missing, as occurred_at is
    pytest.param({"trigger": RECEIVED, "order__submitted_at": '"2026-11-20T10:30:00"'},
                 "$.order.submitted_at",
                 "it has no UTC offset, so it could be any zone's time", id="submitted-at-no-offset"),
    # occurred_at, refused by the schema's own check, says the same (it said only "not a date-time")
    pytest.param({"occurred_at": '"2026-11-27T10:00:00"'}, "$.occurred_at",
                 "it has no UTC offset, so it could be any zone's time", id="occurred-at-no-offset"),
    pytest.param({"trigger": RECEIVED, "order__submitted_at": '"2026-03-29T02:30:00"'},
                 "$.order.submitted_at",
                 "it has no UTC offset", id="submitted-at-in-the-missing-hour"),
    # a date alone: the email printed a made-up time of day (00:00 UTC, shown as 01:00 MEZ)
    pytest.param({"trigger": RECEIVED, "order__submitted_at": '"2026-11-20"'}, "$.order.submitted_at",
                 "a date without a time of day", id="submitted-at-date-only"),
    pytest.param({"order__title": DEEP}, "$.order.title[0][0][0]", "nested more than", id="900-deep"),
    pytest.param({"customer__name": '"Ada Lovelace\\n"'}, "$.customer.name", "does not fit",
                 id="name-newline"),
    pytest.param({"customer__name": '"Ada\\u001b[2J"'}, "$.customer.name", "does not fit", id="name-escape"),
    pytest.param({"trigger": '"order_accepted\\n"'}, "$.trigger", "does not fit", id="trigger-newline"),
    pytest.param({"customer__email": '".a..b.@example.com"'}, "$.customer.email", "period",
                 id="email-dots"),
    pytest.param({"customer__email": '"ada@example.org\\n"'}, "$.customer.email", "line break",
                 id="email-newline"),
]


@pytest.mark.parametrize(("changes", "path", "words"), CASES)
def test_a_hostile_value_is_refused_at_its_field(bundle: Path, tmp_path: Path, changes: dict[str, str],
                                                 path: str, words: str) -> None:
    code, out = _dispatch(bundle, tmp_path, _event_text(**changes))
    assert "Traceback" not in out, out
    assert code == 1, f"exit {code}, expected 1 (bad input):\n{out}"
    assert path in out, out
    assert words in out, out
    assert _queued(tmp_path) == 0


@pytest.mark.parametrize(("text", "words"), [
    pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="100000-deep"),
    pytest.param(b'{"event_id": "\xff\xfe"}', "not UTF-8 text (byte 0xff at offset 14)", id="not-utf-8"),
    # Python's int() refuses it: the message quoted sys.set_int_max_str_digits(), now the field
    pytest.param('{"event_id": ' + "9" * 5000 + "}", "$.event_id: a number of 5,000 digits is out of range",
                 id="5000-digits"),
])
def test_unreadable_json_is_bad_input(bundle: Path, tmp_path: Path, text: str | bytes, words: str) -> None:
    code, out = _dispatch(bundle, tmp_path, text)
    assert "Traceback" not in out, out
    assert code == 1, f"exit {code}:\n{out}"
    assert words in out, out


def test_a_field_given_twice_is_refused_naming_it(bundle: Path, tmp_path: Path) -> None:
    """json.loads keeps the last of two `trigger`s, other readers the first: the order system and
    mailgitops could each think a different email went out."""
    text = _event_text().replace('"trigger": ', '"trigger": "order_rejected", "trigger": ', 1)
    code, out = _dispatch(bundle, tmp_path, text)
    assert code == 1, out
    assert "$.trigger: is given more than once in one object" in out, out
    assert _queued(tmp_path) == 0


@pytest.mark.slow
def test_a_300_mb_event_is_refused_without_being_read_whole(bundle: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(300 * MB)  # sparse: costs no disk
    # a wrapper process, so that its children's peak memory is the dispatcher's alone
    probe = ("import resource, subprocess, sys\n"
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
             "sys.stderr.write(p.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe, *MAILGITOPS, "dispatch", "--bundle", str(bundle),
                           "--outbox", str(tmp_path / "o.sqlite"), "--event", str(big)],
                          capture_output=True, text=True, check=True, timeout=120)
    code, peak_kb = map(int, proc.stdout.split())
    assert code == 1, proc.stderr
    assert "larger than 1,000,000 bytes" in proc.stderr
    assert peak_kb < 150 * 1024, f"the dispatcher peaked at {peak_kb // 1024} MB for a refused event"


@pytest.mark.slow
def test_a_300_mb_event_on_stdin_is_refused_too(bundle: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([*MAILGITOPS, "dispatch", "--bundle", str(bundle), "--outbox",
                             str(tmp_path / "o.sqlite"), "--event", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    sent = 0
    try:
        while sent < 300 * MB:
            proc.stdin.write(b" " * MB)
            sent += MB
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the dispatcher stopped reading after the cap, as it should
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert b"larger than 1,000,000 bytes" in err
    assert sent < 300 * MB, "the dispatcher read all 300 MB before refusing"


def test_a_value_its_filter_reads_is_still_accepted(bundle: Path, tmp_path: Path) -> None:
    """Prices as text and a date with its time were read by the filters before the type check
    came; they must still be (only what a filter cannot read is refused)."""
    code, out = _dispatch(bundle, tmp_path, _event_text(order__price='"1284.50"', order__jobs__0__price="92",
                                                        order__due_date='"2026-12-04T17:00:00+01:00"'))
    assert code == 0, out
    assert _queued(tmp_path) >= 1



def test_an_event_too_large_to_render_says_its_values_are_why(bundle: Path, tmp_path: Path) -> None:
    """1,000 jobs (the schema's most) with names of 700 characters: valid, but the email would be
    far over the render limit. The answer blamed only the template's line, which the order
    system's developer does not own."""
    ev = sample_event("flyers", event_id="huge-1")
    job = ev["order"]["jobs"][0]
    ev["order"]["jobs"] = [{**job, "name": "n" * 700} for _ in range(1000)]  # under 1 MB of event
    code, out = _dispatch(bundle, tmp_path, json.dumps(ev))
    assert code == 1, out
    assert "more than 500,000 characters" in out
    assert "the event's values make this email too large" in out
    assert _queued(tmp_path) == 0


def test_a_time_in_lower_case_rfc_3339_is_read_wherever_a_time_goes(bundle: Path, tmp_path: Path) -> None:
    """RFC 3339 allows `t` and `z`: occurred_at took them and order.submitted_at refused them."""
    code, out = _dispatch(bundle, tmp_path, _event_text(trigger='"order_received"',
                                                        occurred_at='"2026-11-27t10:00:00z"',
                                                        order__submitted_at='"2026-11-20t10:30:00z"'))
    assert code == 0, out


def test_a_value_of_the_wrong_type_is_one_problem_not_two(bundle: Path, tmp_path: Path) -> None:
    """`"copies": "x"` was counted twice at its field ("must be of type integer" and "must be a
    whole number"): "2 problems" for one."""
    code, out = _dispatch(bundle, tmp_path, _event_text(order__jobs__0__copies='"x"'))
    assert code == 1, out
    assert "(1 problem)" in out and out.count("$.order.jobs[0].copies") == 1, out


def test_a_value_out_of_range_does_not_hide_the_events_other_problems(bundle: Path, tmp_path: Path) -> None:
    """`1e16` copies stopped the check there: the other bad value of the same event went unnamed,
    and the refusal left out the event's id (a developer's walk)."""
    code, out = _dispatch(bundle, tmp_path, _event_text(order__jobs__0__copies="10000000000000000",
                                                        order__jobs__1__copies="-1"))
    assert code == 1, out
    assert "event hostile-1 was refused (2 problems)" in out, out
    assert "$.order.jobs[0].copies: 1e+16 is out of range" in out, out
    assert "$.order.jobs[1].copies: must be at least 0" in out, out
    assert out.count("$.order.jobs[0].copies") == 1, out  # the null put in its place is not named
    assert _queued(tmp_path) == 0


def test_an_event_id_given_twice_is_not_shown_as_the_events_id(bundle: Path, tmp_path: Path) -> None:
    text = _event_text(order__price="NaN").replace('"event_id": ', '"event_id": "other-id", "event_id": ', 1)
    code, out = _dispatch(bundle, tmp_path, text)
    assert code == 1, out
    assert "the event was refused (2 problems)" in out and "event hostile-1" not in out, out
