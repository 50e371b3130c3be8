"""`plan`: what `dispatch` would do with one event, and why, without an outbox or a connection.

The decisions are dispatch's own (dispatch/rules.py `plan`, the same event check, the same
rendering); this module only says them out loud: the rule of config/workflow.yaml that applied,
the language fallback taken, the attachments found, and the email each recipient would get."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from mailgitops.dispatch import event as event_mod
from mailgitops.dispatch import rules
from mailgitops.filenames import distinct
from mailgitops.jsonshape import text

if TYPE_CHECKING:
    from mailgitops.bundle import Bundle
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.jsonshape import JsonDict, JsonObject, JsonValue
    from mailgitops.render.compiled import CompiledTemplates
    from mailgitops.render.email import RenderedEmail
    from mailgitops.settings import Settings, TriggerSettings


def language_path(requested: str | None, active: Sequence[str], default: str, used: str) -> list[str]:
    """The steps from the recipient's language to the one used, as `rules.resolve_language` and
    then the template's own fallback take them: ["de-CH: not active", "de"]."""
    steps: list[str] = []
    chosen = None
    candidates = (requested, requested.replace("_", "-").split("-")[0]) if requested else ()
    for cand in dict.fromkeys(c.lower() for c in candidates):
        chosen = next((lang for lang in active if lang.lower() == cand), None)
        if chosen:
            break
        steps.append(f"{cand}: not active")
    if not requested:
        steps.append("the recipient has no language")
    steps.append(chosen or f"{default}: the default language")
    chosen = chosen or default
    if used != chosen:
        steps.append(f"{used}: the template has no {chosen} text")
    return steps


def _rule(trigger_id: str, trig: TriggerSettings | None, planned: rules.Planned | rules.Skipped) -> str:
    where = f"config/workflow.yaml triggers.{trigger_id}"
    if isinstance(planned, rules.Skipped):
        return f"{where}: {planned.reason}"
    assert trig is not None  # a planned message comes from a configured trigger
    send = f"send: {trig.send}"
    if trig.send == "on_customer_request" and planned.role == "customer":
        send += f" (the customer asked: {trigger_id} is in customer.notify)"
    elif trig.send == "on_customer_request":
        send += f" (applies to customers only; the {planned.role} always gets it)"
    draft = ("edit_before_send: true (held as a draft for an operator)" if planned.draft
             else "edit_before_send: true, but an operator's own copy is sent as it is"
             if trig.edit_before_send and planned.role == "operator" else "edit_before_send: false")
    return f"{where}: {send}; to: [{', '.join(trig.to)}]; {draft}"


def _render(bundle: Bundle, compiled: CompiledTemplates, data: JsonObject,
            p: rules.Planned) -> RenderedEmail:
    from mailgitops.identity import Mailbox
    from mailgitops.render.context import build_context
    from mailgitops.render.email import draft_source, render_email, render_markdown

    ctx = build_context(data, recipient=p.person, order_url=p.order_url,
                        timezone=bundle.settings.workflow.timezone,
                        date_formats=bundle.settings.workflow.date_formats,
                        namespaces=bundle.settings.namespaces,
                        sender=Mailbox(p.sender[0], p.sender[1]), webshop_name=p.webshop_name)
    if not p.draft:
        return render_email(compiled, p.template_id, p.lang, ctx)
    # a draft goes out as the operator leaves it; unedited, that is the template's own text
    subject, markdown = draft_source(compiled, p.template_id, p.lang, ctx)
    return render_markdown(compiled, p.template_id, p.lang, subject, markdown, context=ctx)


def _address(name: str | None, address: str) -> str:
    return f"{name} <{address}>" if name else address


def _message(bundle: Bundle, compiled: CompiledTemplates | None, data: JsonObject, trigger_id: str,
             p: rules.Planned | rules.Skipped) -> JsonDict:
    settings: Settings = bundle.settings
    trig = settings.workflow.triggers.get(trigger_id)
    person: JsonObject = p.person if isinstance(p, rules.Planned) else {}
    entry: JsonDict = {
        "role": p.role,
        "to": [a for _, a in p.to] if isinstance(p, rules.Planned) else list(p.to),
        "cc": list(p.cc) if isinstance(p, rules.Planned) else [],
        "bcc": list(p.bcc) if isinstance(p, rules.Planned) else [],  # envelope only, never a header
        "status": "skipped" if isinstance(p, rules.Skipped) else ("draft" if p.draft else "sent"),
        "reason": p.reason if isinstance(p, rules.Skipped) else None,
        "rule": _rule(trigger_id, trig, p),
        "template": (p.template_id if isinstance(p, rules.Planned)
                     else trig.template_for(p.role) if trig else None),
    }
    if isinstance(p, rules.Skipped):
        entry["language"] = {"requested": None, "used": p.lang, "path": []}
        return entry
    assert compiled is not None  # loaded whenever something is planned
    email = _render(bundle, compiled, data, p)
    requested = text(person.get("language"))
    entry["language"] = {"requested": requested, "used": email.lang,
                         "path": language_path(requested, settings.languages.active,
                                               settings.languages.default, email.lang)}
    entry.update({
        "from": _address(p.sender[1], p.sender[0]),
        "reply_to": p.reply_to,
        "subject": email.subject,
        "preheader": email.preheader,
        "attachments": [{"kind": f.kind, "path": f.path, "filename": name,  # as the email names it
                         "mime_type": f.mime_type, "size": f.size}
                        for f, name in zip(p.attachments, distinct(f.filename for f in p.attachments),
                                           strict=True)],
        "notes": list(p.notes),
        "warnings": list(email.warnings),
        "html": email.html,
        "text": email.text,
    })
    return entry


def _delivery(flag: str | None) -> tuple[str, str | None]:
    """The mode as text, and the redirect address; a missing mode is said, not refused: plan sends
    nothing, and the integrator may be asking exactly what is missing."""
    import os

    from mailgitops.dispatch.delivery import ENV, resolve

    if not flag and not os.environ.get(ENV, "").strip():
        return f"not set: dispatch would refuse to send (set {ENV} or --delivery)", None
    mode = resolve(flag)  # a wrong value is refused here as dispatch would
    return str(mode), mode.redirect


class Plan(TypedDict):
    """`mailgitops plan` and POST /plan: what dispatch would do with one event."""

    event_id: str
    trigger: str
    bundle: str
    delivery: str
    messages: list[JsonDict]


def explain(bundle: Bundle, event: JsonValue, attachments_root: Path | None,
            source: str = "event", delivery: str | None = None) -> Plan:
    """The plan for `event` (raises MailgitopsError, as dispatch would, for an event it refuses)."""
    mode, redirect = _delivery(delivery)

    def unknown(data: JsonValue) -> list[Diagnostic]:
        from mailgitops.dispatch import required  # the values the trigger requires, as dispatch

        got = rules.unknown_trigger(bundle.settings, data.get("trigger")) if isinstance(data, dict) else None
        reads = required.TriggerReads(bundle.settings, bundle.compiled_raw["templates"])
        return ([replace(got, file=source)] if got is not None else []) + required.check(
            bundle.settings, data, source, reads)

    data = event_mod.require_valid(event, source, more=unknown, schema=bundle.settings.event_schema,
                                   nothing="dispatch would refuse it too")  # plan never queues anything
    planned = rules.plan(bundle.settings, data, attachments_root, source)
    compiled = bundle.compiled() if any(isinstance(p, rules.Planned) for p in planned) else None
    messages = [_message(bundle, compiled, data, str(data["trigger"]), p) for p in planned]
    for m in messages:
        if redirect and m["status"] != "skipped":
            m["redirected_to"] = redirect  # `to` and `cc` stay the real recipients the banner names
    return {"event_id": str(data["event_id"]), "trigger": str(data["trigger"]), "bundle": bundle.hash,
            "delivery": mode, "messages": messages}
