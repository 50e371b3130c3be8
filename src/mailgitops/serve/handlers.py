"""The endpoints for events, drafts and the outbox (health and metrics: monitor.py). Each takes
the Service and the Request and returns a Response; the rules live in dispatch/, not here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailgitops.dispatch import event_values
from mailgitops.errors import HttpError, MailgitopsError
from mailgitops.serve.service import Service
from mailgitops.serve.shapes import (
    Request,
    Response,
    from_error,
    json_body,
    json_response,
    problem,
)

if TYPE_CHECKING:
    from mailgitops.dispatch.drafts import EditArgs
    from mailgitops.dispatch.outbox import Row

EDIT_FIELDS = {"subject": str, "body": str, "cc": list, "attach": list, "detach": list}


def post_event(service: Service, req: Request) -> Response:
    """202 once the rows are committed (RELIABILITY 1); the sender loop delivers them."""
    from mailgitops.errors import BacklogFull, EventConflict

    event = json_body(req, event_values.loads)  # NaN, huge numbers, a field twice: named at their field
    try:
        with service.accepting:  # a few at a time: the senders keep their share of the CPU
            outcome = service.dispatcher().handle(event, deliver=False, source="event")
    except EventConflict as e:
        service.count("conflict")
        raise from_error(e, 409) from None
    except BacklogFull as e:
        service.count("backlog")
        raise from_error(e, 503) from None
    except MailgitopsError as e:
        err = from_error(_placed(e, req.body), 422)
        service.count("unavailable" if err.status == 503 else "invalid")
        raise err from None
    if outcome.duplicate:
        service.count("duplicate")
        return json_response(200, outcome.to_json())
    service.count("accepted")
    service.wake.set()
    return json_response(202, outcome.to_json())


def _placed(e: MailgitopsError, body: bytes) -> MailgitopsError:
    """A refused event's problems at their line and column of the body, as `mailgitops dispatch`
    places them in a file (`\"line\": 3, \"col\": 14` where it said 0 and 0)."""
    if not e.diagnostics:
        return e
    from mailgitops.dispatch.event_lines import with_lines  # only for a refusal: not the send path

    return with_lines(e, body.decode("utf-8"), "event")  # json_body read the same bytes so


def only_query(req: Request, *names: str) -> None:
    """400 for a query parameter this endpoint does not take: `?statuss=failed` listed every
    message, as if the filter had matched them all."""
    from mailgitops.suggest import did_you_mean

    unknown = [k for k in req.query if k not in names]
    if unknown:
        takes = f"{req.path} takes {', '.join(f'`{n}`' for n in names)}" if names else \
            f"{req.path} takes no query parameters"
        raise HttpError(400, f"unknown query parameter{'s' * (len(unknown) > 1)} "
                             f"{', '.join(f'`{k}`' for k in unknown)}; nothing was done",
                        problems=[problem(f"unknown query parameter `{k}`", json_path=k,
                                          hint=did_you_mean(k, names) or takes) for k in unknown],
                        hint=takes)


def post_plan(service: Service, req: Request) -> Response:
    """200 with what POST /events would do with this event (`mailgitops plan`); nothing is stored
    or sent. `?render=1` adds each message's HTML and text."""
    from mailgitops.dispatch.explain import explain

    only_query(req, "render")
    event = json_body(req, event_values.loads)  # NaN, huge numbers, a field twice: named at their field
    plan = explain(service.bundle, event, service.attachments_root, source="event",
                   delivery=str(service.delivery))  # an event dispatch would refuse: 422, as for /events
    if req.query.get("render", "") in ("", "0", "false"):
        plan["messages"] = [{k: v for k, v in m.items() if k not in ("html", "text")}
                            for m in plan["messages"]]
    return json_response(200, plan)


def _draft_row(service: Service, draft_id: str) -> Row:
    row = service.dispatcher().outbox.get(int(draft_id))
    if row is None or (row.draft is None and row.draft_problem is None):
        raise HttpError(404, f"there is no draft {draft_id}", hint="GET /drafts lists them")
    if (damaged := row.damaged()) is not None:  # 422 naming the key; nothing is changed or sent
        raise damaged
    return row


def list_drafts(service: Service, req: Request) -> Response:
    from mailgitops.dispatch import drafts

    only_query(req, "all")
    include_done = req.query.get("all", "") not in ("", "0", "false")
    return json_response(200, drafts.list_drafts(service.dispatcher().outbox, include_done=include_done))


def show_draft(service: Service, req: Request, draft_id: str) -> Response:
    from mailgitops.dispatch import drafts

    _draft_row(service, draft_id)
    return json_response(200, drafts.show(service.dispatcher().outbox, int(draft_id)))


def _edit_args(value: object) -> EditArgs:
    """The request's fields, each checked; every problem named at once."""
    if not isinstance(value, dict):
        raise HttpError(422, "the body must be a JSON object",
                        problems=[problem("expected an object with subject, body, cc, attach, detach")])
    problems = []
    for key, val in value.items():
        kind = EDIT_FIELDS.get(key)
        if kind is None:
            problems.append(problem(f"unknown field {key!r}", json_path=f"$.{key}",
                                    hint=f"use one of {', '.join(EDIT_FIELDS)}"))
        elif val is not None and (not isinstance(val, kind)
                                  or (kind is list and not all(isinstance(v, str) for v in val))):
            want = "a list of strings" if kind is list else "a string"
            problems.append(problem(f"{key} must be {want}", json_path=f"$.{key}"))
    if problems:
        raise HttpError(422, f"the edit was refused ({len(problems)} problem{'s' * (len(problems) > 1)}); "
                             "nothing was changed", problems=problems)
    return {"subject": value.get("subject"), "markdown": value.get("body"), "cc": value.get("cc"),
            "attach": value.get("attach") or (), "detach": value.get("detach") or ()}


def _refused(service: Service, draft_id: str, e: MailgitopsError) -> HttpError:
    """No longer a draft (sent or discarded meanwhile) is a conflict; anything else is the request's."""
    err = from_error(e, 422)
    if err.status == 422 and _draft_row(service, draft_id).status != "draft":
        err.status = 409
    return err


def edit_draft(service: Service, req: Request, draft_id: str) -> Response:
    from mailgitops.dispatch import drafts

    args = _edit_args(json_body(req))
    disp = service.dispatcher()
    row = _draft_row(service, draft_id)
    if row.status == "draft" and row.draft is not None:  # else edit() says why (409)
        found = drafts.edit_problems(disp, row.draft, **args)
        if found:
            raise HttpError(422, f"the edit was refused ({len(found)} problem{'s' * (len(found) > 1)}); "
                                 "nothing was changed",
                            problems=[problem(e.message, json_path=path, code="bad-edit", hint=e.hint)
                                      for path, e in found])
    try:
        from mailgitops.dispatch.draft_record import API, recorder

        drafts.edit(disp, int(draft_id), **args, record=recorder(API, "edited"))
    except MailgitopsError as e:
        raise _refused(service, draft_id, e) from None
    return json_response(200, drafts.show(disp.outbox, int(draft_id)))


def send_draft(service: Service, req: Request, draft_id: str) -> Response:
    """Queued once however often it is called (RELIABILITY 7): 202 the first time, 200 after."""
    from mailgitops.dispatch import drafts

    disp = service.dispatcher()
    if _draft_row(service, draft_id).status == "discarded":
        raise HttpError(409, f"draft {draft_id} was discarded; it is never sent",
                        extra={"draft": drafts.summary(_draft_row(service, draft_id))})
    result = drafts.send(disp, int(draft_id), deliver=False)
    if result["already"]:
        return json_response(200, result)
    service.wake.set()
    return json_response(202, result)


def discard_draft(service: Service, req: Request, draft_id: str) -> Response:
    from mailgitops.dispatch import drafts

    _draft_row(service, draft_id)
    try:
        disp = service.dispatcher()
        return json_response(200, drafts.discard(disp.outbox, int(draft_id), disp.attachments_root))
    except MailgitopsError as e:
        raise _refused(service, draft_id, e) from None


def outbox(service: Service, req: Request) -> Response:
    from mailgitops.dispatch.outbox import STATUSES, listing

    only_query(req, "status", "limit")
    status = req.query.get("status") or None
    problems = []
    if status is not None and status not in STATUSES:
        problems.append(problem(f"unknown status {status!r}", json_path="status",
                                hint=f"use one of {', '.join(STATUSES)}"))
    limit = req.query.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 100_000:
        problems.append(problem("limit must be a whole number from 1 to 100000", json_path="limit"))
    if problems:
        raise HttpError(400, "bad query", problems=problems)
    return json_response(200, listing(service.dispatcher().outbox, status, int(limit)))
