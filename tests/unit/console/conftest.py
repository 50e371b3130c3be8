"""The console in-process: a rig per test, a TestClient over plain http://testserver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from support.console import ConsoleRig, console_bundle, make_rig, sign_in
from support.smtpd import SmtpServer


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer) -> Path:
    return console_bundle(tmp_path_factory.mktemp("console"), smtp_server.port)


@pytest.fixture
def rig(tmp_path: Path, bundle: Path, sink: SmtpServer) -> Iterator[ConsoleRig]:
    yield from make_rig(tmp_path, bundle)


@pytest.fixture
def client(rig: ConsoleRig) -> Iterator[TestClient]:
    with TestClient(rig.app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def signed_in(rig: ConsoleRig, client: TestClient) -> TestClient:
    rig.add_operator()
    return sign_in(client)
