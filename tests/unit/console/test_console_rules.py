"""Where the config says no: CC and attachments are not offered, and a forged form is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.console import ConsoleRig, console_bundle, csrf_of, make_rig, sign_in
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def strict_bundle(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer) -> Path:
    return console_bundle(tmp_path_factory.mktemp("strict"), smtp_server.port, allow_operator_cc=False,
                          allow_operator_attachments=False)


@pytest.fixture
def strict(tmp_path: Path, strict_bundle: Path) -> Iterator[tuple[ConsoleRig, TestClient]]:
    for rig in make_rig(tmp_path, strict_bundle):
        rig.add_operator()
        with TestClient(rig.app, follow_redirects=False) as client:
            sign_in(client)
            yield rig, client


def test_no_cc_field_and_no_upload_where_the_config_says_no(strict: tuple[ConsoleRig, TestClient]) -> None:
    rig, client = strict
    draft_id = rig.draft()
    page = client.get(f"/draft/{draft_id}").text
    assert 'id="cc"' not in page
    assert "Attach a file" not in page
    forged = client.post(f"/draft/{draft_id}/save", data={"csrf": csrf_of(page), "subject": "x",
                                                          "message": "y", "cc": "spy@example.com"})
    assert forged.status_code == 422
    assert "may not change CC" in forged.text
    assert rig.service.dispatcher().outbox.get(draft_id).cc == ("archive@example.com",)
    upload = client.post(f"/draft/{draft_id}/upload", data={"csrf": csrf_of(page)},
                         files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")})
    assert upload.status_code == 422
    assert "may not attach files" in upload.text
