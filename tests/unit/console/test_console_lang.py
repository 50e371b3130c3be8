"""The console's answers outside its usual pages speak the operator's language too: a link with a
password in it, a form too large, a bug's error page, the preview of a draft that is gone, a file a
draft can no longer attach, a message a process that ended was holding, and a delivery record
whose addresses `outbox forget` took. Each in German and in Chinese, never the English."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mailgitops.console import core_text, i18n, web
from mailgitops.dispatch.forget import FORGOTTEN
from mailgitops.dispatch.lease import IN_FLIGHT
from support.console import ConsoleRig, csrf_of, sign_in
from support.dispatchrepo import sample_event
from support.smtpd import SmtpServer

LANGS = ("de", "zh")
OPERATOR = {"de": "greta", "zh": "li"}


def _said(lang: str, english: str) -> str:
    """The catalog's words (a KeyError when the translation is gone: the test fails)."""
    return i18n.CATALOGS[lang][english]


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def operator(rig: ConsoleRig, lang: str) -> Iterator[TestClient]:
    rig.add_operator(OPERATOR[lang], language=lang)
    with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as c:
        yield sign_in(c, OPERATOR[lang])


def test_a_password_in_the_address_is_refused_in_the_browsers_language(client: TestClient, lang: str) -> None:
    got = client.get("/?token=abc", headers={"accept-language": f"{lang},en;q=0.5"})
    assert got.status_code == 400
    assert html.unescape(got.text) == _said(lang, web.URL_REFUSED)


def test_a_password_in_the_address_is_refused_in_the_signed_in_operators_language(operator: TestClient,
                                                                                  lang: str) -> None:
    """A German operator whose browser asks for English reads the refusal in German, as every
    other page of hers."""
    got = operator.get("/deliveries?password=abc", headers={"accept-language": "en"})
    assert got.status_code == 400
    assert html.unescape(got.text) == _said(lang, web.URL_REFUSED)


def test_a_form_too_large_is_refused_in_the_operators_language(operator: TestClient, lang: str) -> None:
    got = operator.post("/language", content=b"x", headers={"content-length": str(web.MAX_FORM_BYTES + 1)})
    assert got.status_code == 413
    assert html.unescape(got.text) == _said(lang, web.TOO_LARGE)


def test_a_bug_is_named_in_the_operators_language(operator: TestClient, lang: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgitops.console import deliveries

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(deliveries, "page", broken)
    got = operator.get("/deliveries")
    assert got.status_code == 500
    assert html.unescape(got.text) == _said(lang, web.UNEXPECTED)


def test_the_preview_of_a_draft_that_is_gone_says_so_in_the_operators_language(
        operator: TestClient, lang: str) -> None:
    got = operator.post("/draft/987654/preview", data={"csrf": csrf_of(operator.get("/").text),
                                                        "subject": "x", "message": "y"})
    assert _said(lang, "There is no such draft.") in html.unescape(got.text)
    assert "There is no such draft." not in got.text


def test_a_file_the_draft_can_no_longer_attach_is_named_in_the_operators_language(
        rig: ConsoleRig, operator: TestClient, lang: str) -> None:
    from mailgitops.dispatch import drafts

    draft_id = rig.draft(f"gone-{lang}")
    rel = "gone-proof.pdf"
    (rig.attachments / rel).write_bytes(b"%PDF-1.4 proof")
    drafts.edit(rig.service.dispatcher(), draft_id, attach=[rel])
    (rig.attachments / rel).unlink()  # moved away on the file server meanwhile
    page = html.unescape(operator.get(f"/draft/{draft_id}").text)
    assert core_text.CORE["attachment-missing"][lang][0].format(path=repr(rel)) in page
    assert "does not exist under the attachments root" not in page


def test_a_message_a_process_that_ended_was_sending_reads_in_the_operators_language(
        rig: ConsoleRig, operator: TestClient, lang: str) -> None:
    disp = rig.service.dispatcher()
    disp.handle(sample_event("flyers", trigger="order_received", event_id=f"held-{lang}"), deliver=False)
    row_id = max(r.id for r in disp.outbox.rows(None, 50))
    disp.outbox.update(row_id, None, status="ambiguous", last_error=IN_FLIGHT)  # as recovery leaves it
    for page in (operator.get("/deliveries").text, operator.get(f"/deliveries/{row_id}").text):
        assert _said(lang, IN_FLIGHT) in html.unescape(page)
        assert IN_FLIGHT not in html.unescape(page)


def test_a_record_outbox_forget_has_emptied_reads_in_the_operators_language(
        rig: ConsoleRig, operator: TestClient, lang: str, sink: SmtpServer) -> None:
    from mailgitops.dispatch import drafts
    from mailgitops.dispatch.forget import forget

    customer = {**sample_event("flyers")["customer"], "email": "nobody@refused.example", "language": "en"}
    refused = rig.draft(f"forgotten-{lang}", customer=customer)
    sink.faults.refuse["nobody@refused.example"] = "550 5.1.1 User unknown"
    disp = rig.service.dispatcher()
    drafts.send(disp, refused, deliver=False)
    disp.sender.flush()
    assert disp.outbox.get(refused).status == "failed"
    forget(disp.outbox, time.time() + 60)
    page = html.unescape(operator.get(f"/deliveries/{refused}").text)
    assert page.count(_said(lang, FORGOTTEN)) >= 2, page[:3000]  # the reason and each recipient's address
    assert FORGOTTEN not in page
