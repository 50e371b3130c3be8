"""The OpenAPI document is served, names every route the app has, and the API keeps to it under
schemathesis: generated requests (valid and not) never get a 500, and every answer's status,
content type, headers and body are the documented ones."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mailgitops.serve.app import API
from mailgitops.serve.openapi import document
from mailgitops.serve.server import Server
from mailgitops.serve.service import Service
from support.dispatchrepo import SAMPLES, build_bundle, make_repo, sample_event
from support.smtpd import SmtpServer

TOKEN = secrets.token_hex(24)  # 48 characters, made at each run: no token sits in git
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def test_every_route_is_documented_and_nothing_else() -> None:
    documented = {(path, method.upper()) for path, ops in document()["paths"].items()
                  for method in ops if method != "parameters"}
    routed = {(path.replace(":draft_id}", "}"), method) for path, methods in API for method in methods}
    assert documented == routed
    assert document()["openapi"] == "3.1.0"


@pytest.fixture(scope="module")
def served(smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("fuzz")
    bundle = build_bundle(make_repo(tmp / "repo", port=smtp_server.port))
    service = Service(bundle, outbox=str(tmp / "o.sqlite"), attachments_root=SAMPLES / "files", token=TOKEN)
    # a draft and a sent message, so that generated ids sometimes hit something real
    for trigger, event_id in (("quotation", "fuzz-draft"), ("order_received", "fuzz-sent")):
        service.dispatcher().handle(sample_event(trigger=trigger, event_id=event_id), deliver=False)
    server = Server(service, "127.0.0.1", 0, interval=0.05, shutdown_seconds=5).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_schema(served: Server) -> Any:
    return schemathesis.openapi.from_url(f"http://127.0.0.1:{served.port}/openapi.json")


OPERATIONS = sorted((path, method.upper()) for path, ops in document()["paths"].items()
                    for method in ops if method != "parameters")


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_keeps_to_its_document(api_schema: Any, path: str, method: str) -> None:
    """Each operation with generated requests, schema-valid ones and others (schemathesis's
    pytest plugin does not load under this pytest, so hypothesis drives its strategy here)."""
    operation = api_schema[path][method]
    both = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                     operation.as_strategy(GenerationMode.NEGATIVE))

    @hypothesis.given(both)
    @hypothesis.settings(max_examples=30, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)

    run()


def test_the_document_is_served_without_a_token(served: Server) -> None:
    import json
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{served.port}/openapi.json", timeout=10) as resp:
        assert resp.status == 200
        assert json.load(resp)["info"]["title"] == "mailgitops serve"


