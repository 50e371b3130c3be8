# Chinese punctuation (full-width colon) is right in the Chinese words tested here:
# ruff: noqa: RUF001
"""Every message an operator can meet in the console speaks the console's language: the core's
messages (editing, attaching, sending, discarding a draft) by their code, the console's own words
by its catalog. These tests fail when a message the console can show has no German or Chinese."""

from __future__ import annotations

import ast
import html
import re
import string
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mailgitops.console import core_text, i18n
from support.console import ConsoleRig, csrf_of, sign_in
from support.dispatchrepo import ROOT

SRC = ROOT / "src/mailgitops"
LANGS = ("de", "zh")


def _calls(path: Path, name: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", getattr(n.func, "attr", None)) == name]


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _names(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _attachment_codes() -> set[str]:
    """Every way attachments.resolve_attachment refuses a file: the console shows each."""
    tree = ast.parse((SRC / "dispatch/attachments.py").read_text(encoding="utf-8"))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "resolve_attachment")
    from mailgitops.dispatch import attachments as module

    calls = [c for c in ast.walk(fn) if isinstance(c, ast.Call) and getattr(c.func, "id", None) == "problem"]
    # a code written as a literal, or as one of the module's constants (ROOT_MISSING)
    codes = [c.args[1].value if isinstance(c.args[1], ast.Constant) else getattr(module, c.args[1].id, None)
             for c in calls if isinstance(c.args[1], ast.Constant | ast.Name)]
    assert len(codes) == len(calls) and None not in codes, "a refusal whose code the scan cannot read"
    return {str(code) for code in codes}


def _core_errors() -> list[tuple[str, set[str]]]:
    """(code, the values it carries) for every error drafts.py raises, the damaged-draft error and
    every error of making the draft's email (render/email.py) and its headers (render/mime.py: an
    address the rule refuses)."""
    found: list[tuple[str, set[str]]] = []
    for path in (SRC / "dispatch/drafts.py", SRC / "dispatch/draft_shape.py", SRC / "render/email.py",
                 SRC / "render/mime.py"):
        for call in _calls(path, "MailgitopsError"):
            code, values = _keyword(call, "code"), _keyword(call, "values")
            where = f"{path.name}:{call.lineno}"
            assert code is not None, f"{where}: a message the console shows has no code= to translate it by"
            names = {k.value for k in values.keys if isinstance(k, ast.Constant)} if isinstance(
                values, ast.Dict) else set()
            if isinstance(code, ast.Constant):
                found.append((code.value, names))
            else:  # an attached file's problem, by its code from resolve_attachment
                assert ast.unparse(code) == "got.code", where
                found.extend((c, names) for c in _attachment_codes())
    # version_refusal, for both backends, and the SQLite file taken back for a rollback
    for path in (SRC / "dispatch/outbox.py", SRC / "dispatch/outbox_schema.py"):
        # the outbox's refusals the console names in the operator's words (an upgrade waiting for
        # `outbox migrate`): those that carry a code; the others are the administrator's
        for call in _calls(path, "MailgitopsError"):
            code, values = _keyword(call, "code"), _keyword(call, "values")
            if isinstance(code, ast.Constant):
                found.append((code.value, {k.value for k in values.keys if isinstance(k, ast.Constant)}
                                           if isinstance(values, ast.Dict) else set()))
    return found


def test_every_core_message_the_console_shows_has_german_and_chinese() -> None:
    errors = _core_errors()
    assert len({c for c, _ in errors}) >= 15  # the scan found them (not an empty pass)
    for code, carried in errors:
        assert code in core_text.CORE, f"no translation for the core message {code!r}"
        for lang in LANGS:
            assert lang in core_text.CORE[code], f"{code!r} has no {lang} text"
            for template in core_text.CORE[code][lang]:
                missing = _names(template or "") - carried
                assert not missing, f"{code!r} ({lang}) names {missing}, which the error does not carry"
    assert set(core_text.CORE) == {c for c, _ in errors}, "an entry for a message nothing raises"


def _console_words() -> set[str]:
    words: set[str] = set()
    for path in (SRC / "console").glob("*.py"):
        for call in _calls(path, "_"):
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                words.add(call.args[0].value)
    for path in (SRC / "console/templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        words |= {m[1] for m in re.findall(r"""_\((["'])((?:(?!\1).)+)\1\)""", text)}
    from mailgitops.console import actions, message, pages, web

    # the words kept in a module's constants, translated where they are shown (ctx._(CONFLICT))
    kept = {actions.CC_CHANGED, actions.CONFLICT, *actions.DISCARDED_BY.values(),
            *actions.DISCARDED.values(), actions.SENT_BY, actions.SENT, pages.ALREADY_BY,
            *actions.HANDED_OVER_BY.values(), *actions.HANDED_OVER.values(),
            web.UNEXPECTED, web.URL_REFUSED, web.TOO_LARGE,
            *message.TODO.values()}
    return words | set(web.NOTICES.values()) | kept


def test_every_word_of_the_console_has_german_and_chinese() -> None:
    words = _console_words()
    assert "Yes, send this email to" in words and len(words) > 100
    for lang in LANGS:
        missing = sorted(w for w in words if w not in i18n.CATALOGS[lang])
        assert not missing, f"{lang}: {missing}"


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "not a single email address: 'boss(at)example.com'"),
    ("de", "Keine einzelne E-Mail-Adresse: 'boss(at)example.com' (Geben Sie jede CC-Adresse einzeln an"),
    ("zh", "不是单个电子邮件地址：&#39;boss(at)example.com&#39; (请逐个填写抄送地址"),
])
def test_a_bad_cc_is_told_in_the_operators_language(rig: ConsoleRig, client: TestClient,
                                                   lang: str, said: str) -> None:
    rig.add_operator("op", language=lang)
    sign_in(client, "op")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text
    resp = client.post(f"/draft/{draft_id}/save",
                       data={"csrf": csrf_of(page), "cc": "archive@example.com, boss(at)example.com"})
    assert resp.status_code == 422
    assert said.replace("'", "&#39;") in resp.text or said in resp.text, resp.text[:3000]


def test_a_status_named_in_a_core_message_is_translated() -> None:
    from mailgitops.errors import MailgitopsError

    e = MailgitopsError("draft 7 is already sent; it cannot be discarded", code="draft-not-discardable",
                        values={"id": 7, "status": "sent"})
    assert core_text.text("de", e) == "Entwurf 7 ist bereits gesendet; er kann nicht verworfen werden."
    assert core_text.text("en", e) == e.message


def test_an_email_that_cannot_be_made_is_told_in_the_operators_language(
        rig: ConsoleRig, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sending a draft makes its email; that can fail (too large here), and the German operator
    read the core's English ("the email is larger than 2,000,000 bytes")."""
    from mailgitops.render import email

    rig.add_operator("op", language="de")
    sign_in(client, "op")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text
    confirmed = re.search(r'name="confirmed_cc" value="([^"]*)"', page)
    version = re.search(r'name="version" value="([^"]*)"', page)
    assert confirmed and version, page[:1500]
    monkeypatch.setattr(email, "MAX_HTML_BYTES", 1000)  # the draft's own page previews its email
    resp = client.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(page), "version": version.group(1), "confirm": "yes",
        "cc": confirmed.group(1), "confirmed_cc": confirmed.group(1)})
    assert resp.status_code == 422, resp.text[:2000]
    assert "Die E-Mail ist größer als 1000 Bytes. (Kürzen Sie den Text.)" in resp.text, resp.text[:3000]
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"  # nothing was queued


def test_an_address_the_rule_now_refuses_is_told_in_the_operators_language(
        rig: ConsoleRig, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A draft made before the address rule refused its customer's address: sending it cannot make
    the email's headers, and the Chinese operator read render's English ("'ada@example.org' is
    not a valid address: ...")."""
    from mailgitops.render import mime

    rig.add_operator("op", language="zh")
    sign_in(client, "op")
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text
    confirmed = re.search(r'name="confirmed_cc" value="([^"]*)"', page)
    version = re.search(r'name="version" value="([^"]*)"', page)
    assert confirmed and version, page[:1500]
    customer = rig.service.dispatcher().outbox.get(draft_id).to[0]
    monkeypatch.setattr(mime, "problem", lambda addr: ("is not a valid address: refused now", "check it")
                        if addr == customer else None)
    resp = client.post(f"/draft/{draft_id}/send", data={
        "csrf": csrf_of(page), "version": version.group(1), "confirm": "yes",
        "cc": confirmed.group(1), "confirmed_cc": confirmed.group(1)})
    assert resp.status_code == 422, resp.text[:2000]
    shown = html.unescape(resp.text)
    assert f"'{customer}' 不是有效的电子邮件地址，因此无法生成邮件" in shown, shown[:3000]
    assert "is not a valid address" not in shown
    assert rig.service.dispatcher().outbox.get(draft_id).status == "draft"  # nothing was queued
