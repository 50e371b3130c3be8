# Chinese punctuation (full-width comma and parentheses) is right in the Chinese words tested here:
# ruff: noqa: RUF001
"""The Send confirmation names every address the email goes to: To, CC and the hidden copy
(BCC); a CC typed after the confirmation named other addresses is not sent without a new tick."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.console import ConsoleRig, console_bundle, csrf_of, make_rig, sign_in
from support.smtpd import SmtpServer

HIDDEN = "files@printroom.example"


@pytest.fixture
def bcc_rig(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[ConsoleRig]:
    bundle = console_bundle(tmp_path / "b", smtp_server.port, triggers={"quotation": {"bcc": [HIDDEN]}})
    yield from make_rig(tmp_path, bundle)


def _confirmation(page: str) -> str:
    """The tick box's label and the copies it is described by, as a screen reader reads them."""
    label = re.search(r'<label for="confirm-send">(.*?)</label>', page, re.S)
    copies = re.search(r'<p id="send-copies"[^>]*>(.*?)</p>', page, re.S)
    assert label and copies, "no Send confirmation on the page"
    # (after a refusal about the tick box, the refusal is read first: "problem send-copies")
    assert re.search(r'id="confirm-send"[^>]*aria-describedby="(?:problem )?send-copies"', page)
    text = f"{label.group(1)} {copies.group(1)}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def _version(page: str) -> str:
    m = re.search(r'name="version" value="([^"]+)"', page)
    assert m
    return m.group(1)


def test_the_confirmation_names_to_cc_and_the_hidden_copy(bcc_rig: ConsoleRig) -> None:
    bcc_rig.add_operator()
    bcc_rig.add_operator("greta", language="de")
    bcc_rig.add_operator("li", language="zh")
    draft_id = bcc_rig.draft()
    row = bcc_rig.service.dispatcher().outbox.get(draft_id)
    assert row is not None and row.bcc == (HIDDEN,)
    with TestClient(bcc_rig.app, follow_redirects=False) as client:
        text = _confirmation(sign_in(client).get(f"/draft/{draft_id}").text)
        assert text == ("Yes, send this email to Ada Lovelace <ada@example.org> "
                        f"CC: archive@example.com; Hidden copy (BCC): {HIDDEN}")
        client.cookies.clear()
        de = _confirmation(sign_in(client, "greta").get(f"/draft/{draft_id}").text)
        assert de == ("Ja, diese E-Mail jetzt senden an Ada Lovelace <ada@example.org> "
                      f"CC: archive@example.com; Blindkopie (BCC): {HIDDEN}")
        client.cookies.clear()
        zh = _confirmation(sign_in(client, "li").get(f"/draft/{draft_id}").text)
        assert zh == ("是的，现在发送此邮件给 Ada Lovelace <ada@example.org> "
                      f"抄送: archive@example.com; 密送（BCC）: {HIDDEN}")


def test_no_cc_is_named_as_nobody(rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    resp = signed_in.post(f"/draft/{draft_id}/save", data={
        "csrf": csrf_of(page), "version": _version(page), "cc": ""})
    assert resp.status_code == 303
    text = _confirmation(signed_in.get(f"/draft/{draft_id}").text)
    assert "CC: nobody" in text and "BCC" not in text


def test_a_cc_typed_after_the_confirmation_is_not_sent_until_confirmed(
        rig: ConsoleRig, signed_in: TestClient) -> None:
    draft_id = rig.draft()
    page = signed_in.get(f"/draft/{draft_id}").text
    assert 'name="confirmed_cc" value="archive@example.com"' in page
    form = {"csrf": csrf_of(page), "version": _version(page), "confirm": "yes",
            "cc": "archive@example.com, boss@example.com", "confirmed_cc": "archive@example.com"}
    refused = signed_in.post(f"/draft/{draft_id}/send", data=form)
    assert refused.status_code == 422
    assert "nothing was sent" in refused.text
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "draft" and row.cc == ("archive@example.com",)  # nothing stored either
    # the page now names the typed CC, with the box to tick again
    assert "CC: archive@example.com, boss@example.com" in _confirmation(refused.text)
    assert 'value="archive@example.com, boss@example.com" form="editor"' in refused.text
    again = signed_in.post(f"/draft/{draft_id}/send",
                           data={**form, "confirmed_cc": "archive@example.com, boss@example.com"})
    assert again.status_code == 303 and "notice=sent" in again.headers["location"]
    row = rig.service.dispatcher().outbox.get(draft_id)
    assert row.status == "queued" and "boss@example.com" in row.cc
