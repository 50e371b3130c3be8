"""The waiting-drafts digest: one email per interval listing every waiting draft, none per draft."""

from __future__ import annotations

import time
from dataclasses import replace

from mailgitops.console.accounts import Accounts
from mailgitops.console.notice import check
from support.console import ConsoleRig
from support.smtpd import SmtpServer


def test_one_digest_per_interval_not_one_per_draft(rig: ConsoleRig, sink: SmtpServer) -> None:
    settings = replace(rig.settings, notice_interval_seconds=600, console_url="https://mail.example/")
    accounts = Accounts(settings.operators_path)
    now = time.time()
    assert check(rig.service, settings, accounts, now=now) is None  # nothing waits: nothing sent
    rig.draft("q-1")
    second_draft = rig.draft("q-2", order_number="PO-2002")
    first = check(rig.service, settings, accounts, now=now)
    assert first is not None
    assert check(rig.service, settings, accounts, now=now + 1) is None  # same interval
    rig.draft("q-3", order_number="PO-3003")
    assert check(rig.service, settings, accounts, now=now + 300) is None  # a new draft waits for the next
    second = check(rig.service, settings, accounts, now=now + 601)
    assert second is not None
    assert check(rig.service, settings, accounts, now=now + 1300) is None  # nothing new since
    rig.service.dispatcher().sender.flush()
    assert len(sink.messages) == 2
    msg = sink.messages[0].message
    assert msg["To"] == "printroom@example.com"
    assert msg["Subject"] == "2 drafts waiting for review"
    body = msg.get_body(("plain",)).get_content()
    assert "PO-1001" in body
    assert "PO-2002" in body
    # each line names the trigger as the console does and leads to its draft
    assert "PO-2002 · Quotation · Ada Lovelace · " in body
    assert f"https://mail.example/draft/{second_draft}" in body
    assert "https://mail.example/" in body
    assert sink.messages[1].message["Subject"] == "3 drafts waiting for review"
    accounts.close()


def test_digest_goes_to_the_configured_address(rig: ConsoleRig, sink: SmtpServer) -> None:
    settings = replace(rig.settings, notice_to="desk@example.com")
    accounts = Accounts(settings.operators_path)
    rig.draft()
    assert check(rig.service, settings, accounts) is not None
    rig.service.dispatcher().sender.flush()
    assert sink.messages[0].rcpts == ["desk@example.com"]
    accounts.close()
