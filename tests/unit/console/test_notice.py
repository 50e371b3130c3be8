# Chinese text takes full-width punctuation:
# ruff: noqa: RUF001
"""The waiting-drafts digest: one email per interval listing every waiting draft, none per draft."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from mailgitops.console.accounts import Accounts
from mailgitops.console.notice import check, notice_language
from mailgitops.console.state import ConsoleSettings
from mailgitops.errors import UsageError
from mailgitops.serve.service import Service
from support.console import ConsoleRig
from support.dispatchrepo import SAMPLES, build_bundle, make_repo
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


def test_the_digest_speaks_the_language_set_for_it(rig: ConsoleRig, sink: SmtpServer) -> None:
    """A German print room's desk reads its digest in German; Chinese uses Chinese punctuation."""
    for lang, subject, opening in (("de", "2 Entwürfe warten auf Prüfung", "Konsole öffnen: https://mail.example/"),
                                   ("zh", "2 份草稿等待审阅", "打开控制台：https://mail.example/")):
        sink.messages.clear()
        settings = replace(rig.settings, console_url="https://mail.example/", notice_language=lang,
                           operators_path=rig.settings.operators_path.with_name(f"ops-{lang}.sqlite"))
        accounts = Accounts(settings.operators_path)
        if lang == "de":
            rig.draft("l-1")
            rig.draft("l-2", order_number="PO-2002")
        else:  # the same two drafts: a new interval's digest lists them again
            settings = replace(settings, notice_interval_seconds=1)
        later = 5 if lang == "zh" else 0
        assert check(rig.service, settings, accounts, now=time.time() + later) is not None
        rig.service.dispatcher().sender.flush()
        msg = sink.messages[-1].message
        assert msg["Subject"] == subject
        body = msg.get_body(("plain",)).get_content()
        assert opening in body
        trigger = {"de": "Angebot", "zh": "报价"}[lang]
        assert f"PO-2002 · {trigger} · Ada Lovelace · " in body
        html = msg.get_body(("html",)).get_content()
        assert f'<html lang="{lang}">' in html
        accounts.close()


def test_the_digest_follows_the_print_rooms_default_language(tmp_path: Path, sink: SmtpServer) -> None:
    """Unset, the digest's language is the print room's default when the console speaks it
    (German, Chinese), else English; a language the console does not speak is refused at start."""
    for default, expected in (("de", "de"), ("fr", "en"), ("en", "en")):
        repo = make_repo(tmp_path / f"repo-{default}", port=sink.port)
        path = repo / "config" / "languages.yaml"
        langs = yaml.safe_load(path.read_text(encoding="utf-8"))
        langs["default"] = default
        path.write_text(yaml.safe_dump(langs), encoding="utf-8")
        service = Service(build_bundle(repo), outbox=str(tmp_path / f"box-{default}.sqlite"),
                          attachments_root=SAMPLES / "files", token=None)
        settings = ConsoleSettings(operators_path=tmp_path / "ops.sqlite")
        assert notice_language(service, settings) == expected
        assert notice_language(service, replace(settings, notice_language="zh")) == "zh"
        service.close()
    ops = str(tmp_path / "ops.sqlite")
    with pytest.raises(UsageError, match="NOTICE_LANGUAGE='fr' is not a language the console speaks"):
        ConsoleSettings.from_env(None, ops, env={"MAILGITOPS_NOTICE_LANGUAGE": "fr"})
    chosen = ConsoleSettings.from_env(None, ops, env={"MAILGITOPS_NOTICE_LANGUAGE": "DE"})
    assert chosen.notice_language == "de"
