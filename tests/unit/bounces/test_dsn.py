"""RFC 3464 reports as other MTAs write them: returned headers only, folded fields, several
recipients, delay notices; and what is not a report."""

from __future__ import annotations

from pathlib import Path

from mailgitops.bounces.dsn import parse

POSTFIX = (Path(__file__).parents[2] / "acceptance" / "dsn" / "postfix-5.1.1.eml").read_bytes()

HEADERS_ONLY = b"""From: MAILER-DAEMON@mx.example.net
To: printroom@example.com
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Delivery failed.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552-5.2.2 The email account that you tried to reach is over
 quota.

Final-Recipient: rfc822;carol@example.net
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.net: Connection timed out
--b1
Content-Type: text/rfc822-headers

Message-ID: 20261130.x1@example.com
Subject: Ihr Auftrag
--b1--
"""


def test_postfix_report() -> None:
    report = parse(POSTFIX)
    assert report is not None
    assert report.message_id == "<20261130.abc123@example.com>"
    (r,) = report.recipients
    assert (r.address, r.action, r.status, r.code) == ("ada@nowhere.test", "failed", "5.1.1", 550)


def test_headers_only_folded_and_delayed() -> None:
    report = parse(HEADERS_ONLY)
    assert report is not None
    assert report.message_id == "<20261130.x1@example.com>"
    bob, carol = report.recipients
    assert (bob.action, bob.status, bob.code) == ("failed", "5.2.2", 552)
    assert bob.diagnostic == "552-5.2.2 The email account that you tried to reach is over quota."
    assert (carol.address, carol.action, carol.code) == ("carol@example.net", "delayed", None)


def test_not_a_report() -> None:
    assert parse(b"From: a@example.org\nSubject: Re: your order\n\nThanks!\n") is None
    no_status = b"Content-Type: multipart/report; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n"
    assert parse(no_status) is None
    assert parse(b"\xff\xfe garbage") is None
