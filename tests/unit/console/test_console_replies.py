# Chinese punctuation (full-width colon, quotes) is right in the Chinese reasons tested here, and one case per line reads better unwrapped:
# ruff: noqa: RUF001, E501
"""A delivery's reason speaks the operator's language around a mail server's reply, and leaves the
reply as the server wrote it, quoted as its words: a refused customer, a server that put the
message off (and more recipients with it), a server nobody could reach, sending paused, a
message that ran out of time. English stays the API's words exactly."""

from __future__ import annotations

import html
import re
import smtplib
import socket
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from mailgitops.console import i18n, message, replies
from mailgitops.dispatch.outbox import Row
from mailgitops.dispatch.outcome import row_status
from mailgitops.dispatch.recipients import describe, verdict
from support.console import ConsoleRig, sign_in
from support.dispatchrepo import sample_event
from support.smtpd import SmtpServer

ADA = {"address": "ada@example.org", "kind": "to", "result": "refused", "code": 550,
       "text": "5.1.1 <ada@example.org>: User unknown; check the spelling"}
BOSS = {"address": "boss@example.org", "kind": "cc", "result": "refused", "code": 554, "text": "5.7.1 Relay denied"}
LATER = {"address": "ada@example.org", "kind": "to", "result": "deferred", "code": 451, "text": "4.3.0 Try later"}
TWO = {"address": "bob@example.org", "kind": "cc", "result": "deferred", "code": 451, "text": "4.3.0 Try later"}
DOWN = {"address": "ada@example.org", "kind": "to", "result": "deferred", "code": None,
        "text": "smtp.druckhaus.de:587 refused the connection (is the server running, is the port right?)"}


def _row(status: str, recipients: list[dict[str, Any]], last_error: str | None = None) -> Row:
    error = last_error if last_error is not None else verdict(recipients).error  # as the sender stores it
    return Row(7, "e-7", "customer", "en", "t", "<m@x>", "p@x", ("ada@example.org",), (), (), (), {}, b"",
               None, status, 1, 0, 0.0, error, 0.0, 0.0, None, recipients=tuple(recipients))  # type: ignore[arg-type]


def _reason(lang: str, row: Row) -> str | None:
    return message.reason(SimpleNamespace(_=i18n.translator(lang)), row)  # type: ignore[arg-type]


ROWS = {
    "refused": _row("failed", [ADA, BOSS]),
    "put-off": _row("queued", [LATER, TWO]),
    "unreachable": _row("queued", [DOWN]),
    "paused": _row("queued", [LATER], last_error="sending paused: " + describe(LATER)),
    "expired": _row("expired", [{**LATER, "text": "gave up after 5 attempt(s): 4.3.0 Try later"}]),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_in_english_the_reason_is_the_apis_word_for_word(name: str) -> None:
    assert _reason("en", ROWS[name]) == row_status(ROWS[name])[1]


@pytest.mark.parametrize(("name", "de", "zh"), [
    ("refused", "ada@example.org (to): Der Server antwortete „550 5.1.1 <ada@example.org>: User unknown; check the "
                "spelling“; boss@example.org (cc): Der Server antwortete „554 5.7.1 Relay denied“",
     "ada@example.org（to）：服务器答复“550 5.1.1 <ada@example.org>: User unknown; check the spelling”"),
    ("put-off", "ada@example.org (to): Der Server antwortete „451 4.3.0 Try later“ (weitere Empfänger: 1)",
     "ada@example.org（to）：服务器答复“451 4.3.0 Try later”（另有 1 个）"),
    ("unreachable", "ada@example.org (to): smtp.druckhaus.de:587 hat die Verbindung abgelehnt (läuft der "
                    "Server, stimmt der Port?)", "smtp.druckhaus.de:587 拒绝了连接（服务器是否在运行，端口是否正确？）"),
    ("paused", "Versand angehalten: ada@example.org (to): Der Server antwortete „451 4.3.0 Try later“",
     "发送已暂停：ada@example.org（to）：服务器答复“451 4.3.0 Try later”"),
    ("expired", "abgelaufen: ada@example.org (to): nach 5 Versuch(en) aufgegeben; der Server antwortete zuletzt "
                "„451 4.3.0 Try later“", "ada@example.org（to）：尝试 5 次后放弃；服务器最后答复“451 4.3.0 Try later”"),
])
def test_our_sentence_is_translated_and_the_servers_words_are_quoted_as_written(name: str, de: str,
                                                                                 zh: str) -> None:
    assert _reason("de", ROWS[name]) == de
    assert zh in (_reason("zh", ROWS[name]) or "")


def test_every_sentence_around_a_reply_has_german_and_chinese() -> None:
    keys = {replies.REPLIED, replies.EXPIRED, *(key for _, key in replies.OURS), "gave up after {n} attempt(s): {rest}",
            "{first} (and {n} more)", "sending paused: {why}"}
    for lang, table in (("de", replies.DE), ("zh", replies.ZH)):
        assert set(table) == keys, lang
        for key in keys:
            assert i18n.translator(lang)(key) != key, (lang, key)


def test_a_reason_it_does_not_know_is_shown_as_stored() -> None:
    row = _row("failed", [], last_error="something new the sender says")
    assert _reason("de", row) == "something new the sender says"


def test_a_german_operator_reads_a_real_refusal_in_german_with_the_servers_words(
        rig: ConsoleRig, client: TestClient, sink: SmtpServer) -> None:
    from mailgitops.dispatch import drafts

    refusal = "550 5.1.1 <nobody@refused.example>: Recipient address rejected: User unknown"
    rig.add_operator("greta", language="de")
    sign_in(client, "greta")
    customer = {**sample_event("flyers")["customer"], "email": "nobody@refused.example", "language": "en"}
    refused = rig.draft("r-de", customer=customer)
    sink.faults.refuse["nobody@refused.example"] = refusal
    disp = rig.service.dispatcher()
    drafts.send(disp, refused, deliver=False)
    disp.sender.flush()
    for page in (client.get("/deliveries").text, client.get(f"/deliveries/{refused}").text):
        shown = html.unescape(page)
        assert f"nobody@refused.example (to): Der Server antwortete „{refusal}“" in shown, shown[:4000]


SAMPLE = {"where": "smtp.druckhaus.de:587", "s": "30", "host": "'smtp.druckhaus.de'", "why": "oops", "reply":
          "554 5.7.1 Go away", "stage": "MAIL", "helo": "mail.druckhaus.de", "addresses": "ada@example.org",
          "mode": "redirect:qa@druckhaus.de", "id": "7", "seen": "AB:CD:EF", "pin": "12:34:56",
          "offered": "GSSAPI NTLM", "ours": "CRAM-MD5, PLAIN, LOGIN", "name": "SMTP_PASSWORD",
          "path": "/etc/mailgitops/smtp password", "kind": "UnicodeEncodeError", "size": "31,457,280",
          "limit": "26,214,400", "command": "DATA", "expected": "354", "address": "zoë@exämple.org"}


@pytest.mark.parametrize("key", [key for _, key in replies.OURS])
def test_each_of_our_explanations_is_recognised_in_english_and_said_in_german_and_chinese(key: str) -> None:
    """The sender's English (smtp_errors.py, sender.py) is matched by its pattern: English is given
    back unchanged, German and Chinese say it with the same values, the server's reply kept."""
    names = {n for n in SAMPLE if "{" + n + "}" in key}
    english = key.format(**{n: SAMPLE[n] for n in names})
    assert replies.ours(i18n.translator("en"), english) == english
    for lang, table in (("de", replies.DE), ("zh", replies.ZH)):
        said = replies.ours(i18n.translator(lang), english)
        assert said == table[key].format(**{n: SAMPLE[n] for n in names}), (lang, said)
        if "reply" in names:
            assert "554 5.7.1 Go away" in said


@pytest.mark.parametrize(("error", "stage"), [
    (ConnectionRefusedError(), "connect"), (TimeoutError(), "connect"),
    (socket.gaierror(-2, "Name or service not known"), "connect"), (OSError("reset by peer"), "MAIL"),
    (smtplib.SMTPResponseException(554, b"5.7.1 Go away"), "connect"),
    (smtplib.SMTPResponseException(554, b"5.7.1 Go away"), "EHLO"),
    (smtplib.SMTPResponseException(554, b"5.7.1 Go away"), "MAIL"),
    (smtplib.SMTPResponseException(421, b"4.7.0 Go away"), "MAIL"),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Go away"), "AUTH"),
])
def test_the_senders_own_words_are_recognised(error: BaseException, stage: str) -> None:
    """What smtp_errors.py really says (not a copy of it) reads in German, the reply kept."""
    from mailgitops import bundle as bundle_mod
    from mailgitops.dispatch.smtp_config import ServerConfig
    from mailgitops.dispatch.smtp_errors import classify_open_error
    from support.dispatchrepo import ROOT

    cfg = ServerConfig.from_settings(bundle_mod.load(ROOT / "bundle/mailgitops.bundle.json").settings.smtp)
    english = str(getattr(classify_open_error(error, cfg, stage, "mail.druckhaus.de"), "message", ""))
    german = replies.ours(i18n.translator("de"), english)
    assert english and german != english, english
    if "Go away" in english:  # the server's words, kept as written
        assert "Go away" in german


def _real_words(monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer) -> list[str]:
    """What the sender's own code says (not a copy of it), for each way sending pauses or a message
    is not taken that the smtp_errors cases above do not cover."""
    import ssl

    from mailgitops import bundle as bundle_mod
    from mailgitops.dispatch import lease, smtp_errors, smtp_session
    from mailgitops.dispatch.forget import FORGOTTEN
    from mailgitops.dispatch.smtp import Connection, _odd
    from mailgitops.dispatch.smtp_config import ServerConfig, TransportError
    from mailgitops.dispatch.smtp_trust import check_pin
    from mailgitops.dispatch.smtp_wire import encode_address
    from support.dispatchrepo import ROOT

    cfg = ServerConfig.from_settings(bundle_mod.load(ROOT / "bundle/mailgitops.bundle.json").settings.smtp)
    monkeypatch.setattr(smtp_errors, "peer_fingerprint", lambda _cfg: "AB:CD:EF")  # no second connection

    def said(action: Any) -> str:
        try:
            action()
        except TransportError as e:
            return e.message
        except BaseException as e:
            return str(getattr(smtp_errors.classify_open_error(e, cfg, "AUTH"), "message", e))
        raise AssertionError("nothing was refused")

    def untrusted(verify_message: str) -> ssl.SSLCertVerificationError:
        e = ssl.SSLCertVerificationError(1, "certificate verify failed")
        e.verify_message = verify_message
        return e

    def refuse(e: BaseException, config: ServerConfig = cfg) -> str:
        return str(getattr(smtp_errors.classify_open_error(e, config, "connect"), "message", e))

    no_auth = SimpleNamespace(has_extn=lambda _name: False)
    gssapi = SimpleNamespace(has_extn=lambda _name: True, esmtp_features={"auth": "GSSAPI NTLM"})
    custom = cfg._replace(host="smtp.druckhaus.de", auth_mode="custom", username="u", password_env="SMTP_PW",
                          max_message_bytes=1000)
    server_size = Connection(cfg)
    server_size.smtp = SimpleNamespace(esmtp_features={"size": "1000"})  # type: ignore[assignment]
    return [
        refuse(untrusted("self-signed certificate")),
        refuse(untrusted("self-signed certificate"), cfg._replace(ca_pem="-----BEGIN CERTIFICATE-----")),
        refuse(untrusted("Hostname mismatch, certificate is not valid for 'smtp.druckhaus.de'.")),
        said(lambda: check_pin(None, cfg._replace(pin_sha256="12" * 32))),
        said(lambda: smtp_session.login(no_auth, "u", "p")),  # type: ignore[arg-type]
        said(lambda: smtp_session.login(gssapi, "u", "p")),  # type: ignore[arg-type]
        refuse(smtplib.SMTPException("unexpected reply")),
        refuse(ValueError("a password smtplib cannot encode")),
        said(lambda: Connection(custom._replace(security="none"), {"SMTP_PW": "pw"}).open()),  # no TLS to a machine elsewhere
        said(lambda: Connection(cfg._replace(host="127.0.0.1", port=smtp_server.port, security="starttls")).open()),
        said(lambda: custom.password({})),
        said(lambda: custom._replace(password_env=None, password_file="/nonexistent/smtp password").password({})),
        said(lambda: custom._replace(password_env=None).password({})),
        Connection(custom)._too_big(5000) or "",
        server_size._too_big(5000) or "",
        _odd("DATA", 250, b"2.0.0 ok", 354),
        encode_address("ada@" + "ä" * 70 + ".org", False, "smtp.druckhaus.de")[1] or "",
        encode_address("zoë@example.org", False, "smtp.druckhaus.de")[1] or "",
        lease.IN_FLIGHT, lease.UNTRIED, FORGOTTEN,
    ]


def test_every_way_the_sender_pauses_or_does_not_take_a_message_is_recognised(
        monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer) -> None:
    """Each of the sender's explanations reads in German and Chinese, none left in English; a
    mail server's or the TLS library's own words inside stay as they were said."""
    words = _real_words(monkeypatch, smtp_server)
    assert [i for i, w in enumerate(words) if not w or words.index(w) != i] == [], words
    # the words of others (a server, OpenSSL, the OS), kept as said; no English sentence of ours is left
    kept = ("250 2.0.0 ok", "self-signed certificate", "Hostname mismatch, certificate is not valid for "
            "'smtp.druckhaus.de'.", "AB:CD:EF", "GSSAPI NTLM", "unexpected reply", "No such file or directory")
    ours = re.compile(r"\b(the|is|was|to|and|not|of|it|by|for)\b")
    for english in words:
        assert replies.ours(i18n.translator("en"), english) == english
        for lang in ("de", "zh"):
            said = replies.ours(i18n.translator(lang), english)
            rest = said
            for k in kept:
                if k in english:
                    assert k in said, (lang, said)
                    rest = rest.replace(k, "")
            assert not ours.search(rest), (lang, said)


def test_the_paused_banner_reads_in_the_operators_language_with_the_servers_reply(
        rig: ConsoleRig, client: TestClient) -> None:
    import os
    import re

    rig.add_operator("greta", language="de")
    sign_in(client, "greta")
    disp = rig.service.dispatcher()
    tag = disp.sender._tag(os.urandom(16))  # the password configured here is the one that failed
    disp.outbox.pause(None, "smtp.druckhaus.de:587 rejected the user name or password: 535 5.7.8 Bad creds",
                      secret=tag)
    banner = re.search(r'<div class="banner" role="alert">(.*?)</div>', client.get("/deliveries").text, re.S)
    assert banner, "no paused banner"
    assert ("smtp.druckhaus.de:587 hat Benutzername oder Passwort abgelehnt; der Server antwortete "
            "„535 5.7.8 Bad creds“") in html.unescape(banner.group(1)), banner.group(1)


def test_every_reason_sending_pauses_is_shown_translated_in_the_banner(rig: ConsoleRig, client: TestClient) -> None:
    """The banner on every page, for each of our explanations (the sentence table's keys, filled
    as the sender fills them), as a German and a Chinese operator see it."""
    import re
    import time

    for name, lang in (("greta", "de"), ("li", "zh")):
        rig.add_operator(name, language=lang)
    clients = {}
    for name, lang in (("greta", "de"), ("li", "zh")):
        c = TestClient(rig.app, base_url="http://testserver", follow_redirects=False)
        clients[lang] = sign_in(c, name)
    outbox = rig.service.dispatcher().outbox
    for _, key in replies.OURS:
        values = {n: SAMPLE[n] for n in SAMPLE if "{" + n + "}" in key}
        outbox.pause(time.time() + 300, key.format(**values))
        for lang, table in (("de", replies.DE), ("zh", replies.ZH)):
            page = clients[lang].get("/")
            banner = re.search(r'<div class="banner" role="alert">(.*?)</div>', page.text, re.S)
            assert banner, (lang, key)
            assert table[key].format(**values) in html.unescape(banner.group(1)), (lang, key, banner.group(1))
