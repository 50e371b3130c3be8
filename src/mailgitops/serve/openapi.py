"""The OpenAPI 3.1 document of the API, written here by hand next to the routes it describes;
the event's schema is the one `dispatch` checks events with (schemas/event.schema.json). The
tests check that every route is documented and fuzz the API against it with schemathesis."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from mailgitops.dispatch.outbox import STATUSES

EVENT_SCHEMA = Path(__file__).parent.parent / "schemas" / "event.schema.json"
J = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {J: {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _err(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


RETRY = {"Retry-After": {"description": "seconds to wait before sending again", "schema": {"type": "string"}}}
COMMON = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "503": {"$ref": "#/components/responses/Unavailable"},
}
BODY = {  # what any endpoint that reads a JSON body may answer about the body itself
    "400": _err("the body is not JSON (or, on /plan, a query parameter other than `render`)"),
    "408": _err("the body did not arrive in time"),
    "411": _err("a chunked body (send a Content-Length)"),
    "413": _err("the body is larger than 1,000,000 bytes"),
    "415": _err("the body is not application/json"),
}
DRAFT_ID = {"name": "draft_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}}


def _event_schemas(event_schema: str | None) -> dict[str, Any]:
    """The event schema (the bundle's, with the repository's own fields, when given as JSON text)
    with its $defs as components (a $ref inside an OpenAPI document is resolved from the
    document's root)."""
    text = event_schema or EVENT_SCHEMA.read_text("utf-8")
    text = text.replace('"#/$defs/', '"#/components/schemas/Event_')
    schema = json.loads(text)
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return {"Event": schema, **{f"Event_{k}": v for k, v in defs.items()}}


def _schemas(event_schema: str | None) -> dict[str, Any]:
    s, n, b = {"type": "string"}, {"type": ["string", "null"]}, {"type": "boolean"}
    strings = {"type": "array", "items": s}
    problem = {"type": "object", "required": ["message"], "properties": {
        "file": s, "line": {"type": "integer"}, "col": {"type": "integer"}, "code": s, "message": s,
        "severity": s, "json_path": n, "hint": n}}
    # a draft whose stored record was damaged by a hand edit: listed, subject null, and why
    damaged = {"type": ["object", "null"], "properties": {"error": s, "hint": s}}
    summary = {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "integer"}, "event_id": s, "status": s, "subject": n, "to": strings, "cc": strings,
        "draft_damaged": damaged}}
    return {
        "Problem": problem,
        "Error": {"type": "object", "required": ["error", "problems", "hint"], "properties": {
            "error": s, "problems": {"type": "array", "items": _ref("Problem")}, "hint": n}},
        "Outcome": {"type": "object", "required": ["event_id", "duplicate", "messages"], "properties": {
            "event_id": s, "duplicate": b, "messages": {"type": "array", "items": {"type": "object"}}}},
        "DraftSummary": summary,
        "Draft": {"allOf": [summary, {"type": "object", "properties": {
            "markdown": n,
            # the change record (docs/console.md), once an operator has changed the draft
            "original": {"type": "object", "description": "what the draft said before the first change"},
            "history": {"type": "array", "description": "who changed what, when"},
            "diff": {"type": "array", "description": "at send: the original against what was sent"}}}]},
        "DraftSend": {"allOf": [summary, {"type": "object", "required": ["already"],
                                          "properties": {"already": b}}]},
        "DraftEdit": {"type": "object", "additionalProperties": False, "properties": {
            "subject": n, "body": n, "cc": {"type": ["array", "null"], "items": s},
            "attach": {"type": ["array", "null"], "items": s},
            "detach": {"type": ["array", "null"], "items": s}}},
        "Listing": {"type": "object", "required": ["counts", "messages", "more"], "properties": {
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "messages": {"type": "array", "items": {"type": "object"}}, "more": {"type": "integer"}}},
        "Health": {"type": "object", "required": ["status"], "properties": {
            "status": {"enum": ["up", "down", "ok", "smtp-unreachable", "paused", "outbox-unavailable"]},
            "reason": n, "bundle_hash": s, "outbox": {"type": ["object", "null"]},
            "backlog": {"type": ["object", "null"]}, "paused": {"type": ["object", "null"]},
            "outbox_error": n,
            "smtp": {"type": "object", "properties": {"reachable": {"type": "boolean"}, "reason": n,
                                                      "since": n, "tried": n}}}},
        "Plan": {"type": "object", "required": ["event_id", "trigger", "bundle", "delivery", "messages"],
                 "properties": {"event_id": s, "trigger": s, "bundle": s, "delivery": s,
                                "messages": {"type": "array", "items": _ref("PlannedMessage")}}},
        "PlannedMessage": {"type": "object", "required": ["role", "to", "status", "rule"],
                           "properties": {"status": {"enum": ["sent", "draft", "skipped"]}}},
        **_event_schemas(event_schema),
    }


def _paths() -> dict[str, Any]:
    outcome = _ref("Outcome")
    draft_404 = {"404": _err("there is no such draft")}
    damaged = _err("the draft's stored record was damaged by a hand edit; nothing was changed or sent")
    return {
        "/events": {"post": {
            "summary": "Accept a status event; 202 once its messages are committed to the outbox",
            "requestBody": {"required": True, "content": {J: {"schema": _ref("Event")}}},
            "responses": {"202": _json(outcome, "accepted: queued, drafts or skipped"),
                          "200": _json(outcome, "a duplicate of an event seen before"),
                          "409": _err("the same event_id with different content"),
                          "422": _err("the event was refused; every problem named"), **BODY, **COMMON}}},
        "/plan": {"post": {
            "summary": "What POST /events would do with this event, without storing or sending anything",
            "parameters": [{"name": "render", "in": "query", "schema": s_any()}],
            "requestBody": {"required": True, "content": {J: {"schema": _ref("Event")}}},
            "responses": {"200": _json(_ref("Plan"), "the plan, per recipient"),
                          "422": _err("the event would be refused; every problem named"), **BODY, **COMMON}}},
        "/drafts": {"get": {
            "summary": "The waiting drafts",
            "parameters": [{"name": "all", "in": "query", "schema": s_any()}],
            "responses": {"200": _json({"type": "array", "items": _ref("DraftSummary")}, "the drafts"),
                          "400": _err("a query parameter other than `all`"), **COMMON}}},
        "/drafts/{draft_id}": {
            "parameters": [DRAFT_ID],
            "get": {"summary": "One draft with its Markdown body",
                    "responses": {"200": _json(_ref("Draft"), "the draft"), **draft_404,
                                  "422": damaged, **COMMON}},
            "post": {"summary": "Edit a draft's subject, body, CC or files",
                     "requestBody": {"required": True, "content": {J: {"schema": _ref("DraftEdit")}}},
                     "responses": {"200": _json(_ref("Draft"), "the edited draft"), **draft_404,
                                   "409": _err("already sent or discarded"),
                                   "422": _err("a field or a rule refused the edit, or the draft's stored "
                                               "record was damaged by a hand edit"), **BODY, **COMMON}}},
        "/drafts/{draft_id}/send": {"parameters": [DRAFT_ID], "post": {
            "summary": "Queue a draft for sending (once, however often it is called)",
            "responses": {"202": _json(_ref("DraftSend"), "queued now"),
                          "200": _json(_ref("DraftSend"), "queued before"), **draft_404,
                          "409": _err("the draft was discarded"),
                          "422": _err("an attachment can no longer be read, or the draft's stored record "
                                      "was damaged by a hand edit"), **BODY, **COMMON}}},
        "/drafts/{draft_id}/discard": {"parameters": [DRAFT_ID], "post": {
            "summary": "Discard a draft",
            "responses": {"200": _json(_ref("DraftSummary"), "discarded"), **draft_404,
                          "409": _err("already sent"), "422": damaged, **BODY, **COMMON}}},
        "/outbox": {"get": {
            "summary": "The newest messages in the outbox and the count of each status",
            "parameters": [{"name": "status", "in": "query", "schema": {"enum": list(STATUSES)}},
                           {"name": "limit", "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100000}}],
            "responses": {"200": _json(_ref("Listing"), "the listing"),
                          "400": _err("a bad query: another status, a limit out of range, or another "
                                      "parameter"), **COMMON}}},
        "/health": {"get": {
            "summary": "Up or down for anyone; with the token, the outbox counts and the reason",
            "security": [{}, {"bearer": []}],
            "responses": {"200": _json(_ref("Health"), "up (with the token: ok, or smtp-unreachable while "
                                                         "the senders cannot reach the SMTP server)"),
                          "503": _json(_ref("Health"), "down: sending paused or the outbox unavailable",
                                       RETRY)}}},
        "/metrics": {"get": {
            "summary": "Prometheus text format",
            "responses": {"200": {"description": "the metrics",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}, **COMMON}}},
    }


def s_any() -> dict[str, Any]:
    return {"type": "string"}


@functools.cache
def document_bytes(event_schema: str | None = None) -> bytes:
    """The OpenAPI document; `event_schema`: the bundle's event schema as JSON text, present when
    the repository's config/catalog.yaml adds fields (the events it accepts are what it shows)."""
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "mailgitops serve", "version": "1",
                 "description": "The print room's email service: status events, drafts, the outbox, "
                                "health and metrics. See docs/serve.md."},
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "MAILGITOPS_API_TOKEN"}},
            "responses": {
                "Unauthorized": _json(_ref("Error"), "no or wrong token",
                                      {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}),
                "Unavailable": _json(_ref("Error"), "the outbox cannot be written, or too much is waiting "
                                     "to be sent: nothing was accepted, send it again later", RETRY)},
            "schemas": _schemas(event_schema)},
    }
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


def document(event_schema: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(document_bytes(event_schema))
    return value
