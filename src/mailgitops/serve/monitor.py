"""What monitoring reads: /health (up or down for anyone, details with the token) and /metrics
(Prometheus text), both from one look at the outbox."""

from __future__ import annotations

import time
from typing import Any

from mailgitops.dispatch.outbox import iso
from mailgitops.errors import MailgitopsError
from mailgitops.serve.auth import authorized
from mailgitops.serve.service import Service
from mailgitops.serve.shapes import RETRY_AFTER, Request, Response, json_response

# a monitoring probe's timeout is often a few seconds: past this, /health says the outbox does
# not answer (503) instead of keeping the probe waiting for the outbox's usual 15 s
PROBE_SECONDS = 2.0


def _state(service: Service, *, recipients: bool = False) -> dict[str, Any]:
    """What /health and /metrics report; the outbox may be unavailable (then it says why, and
    every figure read from it is None: unknown, not 0). `recipients`: /metrics' per-recipient
    counts too, in the same look, so an outbox that does not answer is waited for once."""
    state: dict[str, Any] = {"bundle_hash": service.bundle.hash, "delivery": str(service.delivery),
                             "outbox": None, "paused": None, "outbox_error": None, "backlog": None}
    try:
        disp = service.dispatcher()
        ob = disp.outbox
        with ob.answer_within(PROBE_SECONDS):
            state["outbox"] = ob.counts()
            pause = disp.sender.current_pause()  # as it applies to this machine's password
            depth, oldest = ob.backlog()
            due = ob.next_attempt()
            if recipients:
                state["recipients"] = ob.recipient_counts()
    except MailgitopsError as e:
        state["outbox_error"] = e.message
        return state
    state["backlog"] = {"depth": depth, "oldest_age_seconds": round(max(0.0, time.time() - oldest), 3)
                        if oldest is not None else 0.0, "limit": service.max_backlog,
                        # when the next waiting message is tried: past, it is due now
                        "next_attempt_at": iso(due)}
    if pause is not None:
        state["paused"] = {"reason": pause[1], "until": iso(pause[0])}
    down = service.smtp_unreachable  # what the senders last met: since when, and their last try
    state["smtp"] = {"reachable": down is None, "reason": down and down.reason,
                     "since": down and iso(down.since), "tried": down and iso(down.tried)}
    return state


def health(service: Service, req: Request) -> Response:
    """200 when events are accepted and sent; 503 when sending is paused or the outbox cannot be
    opened. Without the token only "up" or "down": counts and pause reasons are for the operator."""
    state = _state(service)
    if not authorized(req.headers.get("authorization"), service.token):
        up = state["outbox_error"] is None and state["paused"] is None
        return json_response(200 if up else 503, {"status": "up" if up else "down"})
    if state["outbox_error"] is not None:
        return json_response(503, {"status": "outbox-unavailable", "reason": state["outbox_error"], **state},
                             {"Retry-After": RETRY_AFTER})
    if state["paused"] is not None:
        reason = f"sending paused: {state['paused']['reason']}"
        return json_response(503, {"status": "paused", "reason": reason, **state})
    if not state["smtp"]["reachable"]:
        # still 200: events are accepted and kept, and the senders retry by themselves; but not
        # "ok", which let a monitor stay green while nothing went out
        smtp = state["smtp"]  # the last try may be a backoff ago: the server may be back since
        reason = (f"could not reach the SMTP server since {smtp['since']}, the last try at {smtp['tried']}: "
                  f"{smtp['reason']}")
        return json_response(200, {"status": "smtp-unreachable", "reason": reason, **state})
    return json_response(200, {"status": "ok", "reason": None, **state})


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics(service: Service, req: Request) -> Response:
    """Prometheus text format (version 0.0.4)."""
    from mailgitops.dispatch.outbox import STATUSES, recipient_metric_lines

    state = _state(service, recipients=True)
    known = state["outbox_error"] is None  # else the outbox's figures are left out, not said as 0

    def sample(line: str) -> list[str]:
        return [line] if known else []

    counts = state["outbox"] or {}
    events = service.counts()
    lines = ["# HELP mailgitops_outbox_messages Messages in the outbox, by status.",
             "# TYPE mailgitops_outbox_messages gauge"]
    lines += [f'mailgitops_outbox_messages{{status="{s}"}} {counts.get(s, 0)}' for s in STATUSES if known]
    lines += [line for line in recipient_metric_lines(state.get("recipients") or {})
              if known or line.startswith("#")]
    lines += ["# HELP mailgitops_ambiguous_redeliveries_total Messages sent again after a lost reply "
              "(same Message-ID).",
              "# TYPE mailgitops_ambiguous_redeliveries_total counter",
              *sample(f"mailgitops_ambiguous_redeliveries_total {counts.get('ambiguous_redeliveries', 0)}"),
              "# HELP mailgitops_sending_paused 1 while sending is paused after an auth or TLS failure.",
              "# TYPE mailgitops_sending_paused gauge",
              *sample(f"mailgitops_sending_paused {int(state['paused'] is not None)}"),
              "# HELP mailgitops_smtp_reachable 0 while the senders cannot reach the SMTP server "
              "(they retry by themselves), else 1.",
              "# TYPE mailgitops_smtp_reachable gauge",
              f"mailgitops_smtp_reachable {int(service.smtp_unreachable is None)}",
              "# HELP mailgitops_outbox_available 0 while the outbox cannot be opened (events get 503).",
              "# TYPE mailgitops_outbox_available gauge",
              f"mailgitops_outbox_available {int(state['outbox_error'] is None)}",
              "# HELP mailgitops_events_accepted_total Events accepted (202) since this process started.",
              "# TYPE mailgitops_events_accepted_total counter",
              f"mailgitops_events_accepted_total {events['accepted']}",
              "# HELP mailgitops_events_duplicate_total Events answered as duplicates since start.",
              "# TYPE mailgitops_events_duplicate_total counter",
              f"mailgitops_events_duplicate_total {events['duplicate']}",
              "# HELP mailgitops_events_refused_total Events refused since start, by reason.",
              "# TYPE mailgitops_events_refused_total counter"]
    lines += [f'mailgitops_events_refused_total{{reason="{r}"}} {events[r]}'
              for r in ("invalid", "conflict", "unavailable", "backlog")]
    backlog = state["backlog"] or {"depth": 0, "oldest_age_seconds": 0.0, "limit": service.max_backlog}
    lines += ["# HELP mailgitops_backlog_messages Messages waiting to be sent (queued, sending, ambiguous).",
              "# TYPE mailgitops_backlog_messages gauge",
              *sample(f"mailgitops_backlog_messages {backlog['depth']}"),
              "# HELP mailgitops_backlog_oldest_age_seconds Age of the oldest message waiting to be sent.",
              "# TYPE mailgitops_backlog_oldest_age_seconds gauge",
              *sample(f"mailgitops_backlog_oldest_age_seconds {backlog['oldest_age_seconds']}"),
              "# HELP mailgitops_backlog_limit Past this many waiting messages, events get 503.",
              "# TYPE mailgitops_backlog_limit gauge",
              f"mailgitops_backlog_limit {backlog['limit']}"]
    lines += ["# HELP mailgitops_bundle_info The bundle this process runs.",
              "# TYPE mailgitops_bundle_info gauge",
              f'mailgitops_bundle_info{{hash="{_label(service.bundle.hash)}"}} 1']
    body = ("\n".join(lines) + "\n").encode("utf-8")
    return Response(200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}, body)
