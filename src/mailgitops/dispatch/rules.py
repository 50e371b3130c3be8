"""Who gets which email: W2 send modes and roles, S1-S5 sender and CC, A1/T9 attachments (resolved
in dispatch/attachments.py), and the recipient's language. Every refusal is named; none is silent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from mailgitops.addresses import unique
from mailgitops.dispatch.attachments import ROOT_MISSING, FileRef, per_template_files
from mailgitops.dispatch.attachments import problem as _bad
from mailgitops.jsonshape import JsonObject, obj, strings, text
from mailgitops.people import people as named_people

if TYPE_CHECKING:  # made only when something is refused: an accepted event does not import them
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.settings import Settings

# The plan's records are NamedTuples, not frozen dataclasses: immutable all the same, and each is
# ~0.3 ms cheaper to define, which every cold `mailgitops dispatch` pays (issue 4).


class Planned(NamedTuple):
    role: str
    person: JsonObject  # the recipient as the event gave it
    to: tuple[tuple[str | None, str], ...]
    cc: tuple[str, ...]
    lang: str  # requested: the recipient's language or the default
    template_id: str
    sender: tuple[str, str | None]  # (address, display name)
    webshop_name: str | None
    attachments: tuple[FileRef, ...]
    draft: bool
    notes: tuple[str, ...] = ()  # said in the outcome's reason (e.g. an attachment the event lacked)
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    reply_to: str | None = None  # the webshop's, else the print room's
    order_url: str | None = None  # the webshop's, else the workflow's


class Skipped(NamedTuple):
    role: str
    to: tuple[str, ...]
    lang: str | None
    reason: str
    bad_address: str | None = None  # why the address cannot be sent to, when that is the reason


def single_address(value: str) -> bool:
    """One bare address, checked on its own, never re-parsed from a header: addresses.py's rule."""
    from mailgitops.addresses import is_address

    return is_address(value)


def resolve_language(requested: str | None, active: Sequence[str], default: str) -> str:
    """The recipient's language if active, else its base language (de-CH -> de), else the default."""
    if requested:
        for cand in (requested, requested.replace("_", "-").split("-")[0]):
            for lang in active:
                if lang.lower() == cand.lower():
                    return lang
    return default


def address_problem(addr: str) -> str | None:
    """Why `addr` cannot be a recipient (addresses.py's rule, its own words), or None."""
    from mailgitops.addresses import problem

    found = problem(addr)
    return None if found is None else f"{addr!r} {found[0]}"


def plan(settings: Settings, event: JsonObject,
         attachments_root: Path | None, source: str = "event") -> list[Planned | Skipped]:
    """The messages one (schema-valid) event leads to; raises MailgitopsError naming every problem."""
    trigger_id = str(event["trigger"])
    unknown = unknown_trigger(settings, trigger_id)
    if unknown is not None:
        _refuse(event, [unknown], source)
    trig = settings.workflow.triggers.get(trigger_id)
    if trig is None:
        return [Skipped(role, (), None, f"trigger `{trigger_id}` is not configured in config/workflow.yaml")
                for role in settings.catalog[trigger_id].default_recipients]
    problems: list[Diagnostic] = []
    extra_cc = strings(event.get("operator_cc"))
    if extra_cc and not settings.smtp.allow_operator_cc:
        problems.append(_bad("$.operator_cc", "operator-cc-not-allowed",
                             "operators may not add CC addresses",
                             "set allow_operator_cc: true in config/smtp.yaml, or drop operator_cc"))
    extra_files = strings(event.get("operator_attachments"))
    if extra_files and not settings.workflow.allow_operator_attachments:
        problems.append(_bad("$.operator_attachments", "operator-attachments-not-allowed",
                             "operators may not attach files",
                             "set allow_operator_attachments: true in config/workflow.yaml"))
    out = _recipients(settings, event, trigger_id, extra_cc)
    bad = [s for s in out if isinstance(s, Skipped) and s.bad_address]
    if bad and not any(isinstance(p, Planned) for p in out):
        # no message could go anywhere: the order system hears it as a refusal, not a skip
        problems += [_bad(f"$.{s.role}.email", "bad-address", f"the {s.role}'s address {s.bad_address}",
                          "send one address per person, like name@example.com") for s in bad]
    used = list(dict.fromkeys(p.template_id for p in out if isinstance(p, Planned)))
    if used:  # files are only looked at when something is sent
        per_template = per_template_files(settings, used, event, attachments_root, problems)
        out = [p._replace(attachments=per_template[p.template_id][0],
                          notes=(*p.notes, *per_template[p.template_id][1]))
               if isinstance(p, Planned) else p for p in out]
    if problems:  # every refusal at once: S5, A1 and each attachment path
        _refuse(event, problems, source, attachments_root)
    return out


def unknown_trigger(settings: Settings, trigger_id: object) -> Diagnostic | None:
    """A trigger the catalog lacks, with a "did you mean"; None when it is known (or not a string:
    the schema names that)."""
    catalog = settings.catalog
    if not isinstance(trigger_id, str) or trigger_id in catalog:
        return None
    from mailgitops.suggest import did_you_mean

    return _bad("$.trigger", "unknown-trigger", f"`{trigger_id}` is not in the trigger catalog",
                did_you_mean(trigger_id, sorted(catalog)) or "see schema/triggers.yaml")


def _refuse(event: JsonObject, problems: Sequence[Diagnostic], source: str,
            attachments_root: Path | None = None) -> NoReturn:
    """Every problem at once (exit 1, HTTP 422). When the only problem is an attachments root
    that is not there (a share not mounted yet), the event is not at fault: exit 75 / HTTP 503,
    so the order system keeps it and sends it again, instead of showing someone a bug of its own."""
    from mailgitops.dispatch.event import refusal
    from mailgitops.errors import ExitCode, MailgitopsError

    refused = refusal(source, problems, event_id=str(event["event_id"]))
    if problems and all(p.code == ROOT_MISSING for p in problems):
        raise MailgitopsError(f"the attachments root {attachments_root} is not a folder on this machine; "
                              "nothing was queued, send the event again once it is",
                              diagnostics=refused.diagnostics, exit_code=ExitCode.TEMPORARY,
                              hint=problems[0].hint)
    raise refused


def _recipients(settings: Settings, event: JsonObject, trigger_id: str,
                extra_cc: Sequence[str]) -> list[Planned | Skipped]:
    """W2: the configured roles, each person on their own, with sender (S1-S3) and CC (S4, S5)."""
    langs = settings.languages
    trig = settings.workflow.triggers[trigger_id]
    shop_id = text(event.get("webshop")) or ""
    shop = settings.webshops.get(shop_id)
    notes: tuple[str, ...] = ()
    if shop_id and shop is None:  # never silent: the outcome says so (docs/dispatcher.md)
        known = ", ".join(sorted(settings.webshops)) or "none"
        notes = (f"webshop `{shop_id}` is not configured (known: {known}): sent with the print room's "
                 "sender and settings",)
    sender = (shop.sender if shop else None) or settings.smtp.sender  # S2 overrides S1/S3
    # S4 + the shop's + the trigger's own + S5
    cc_base = [*settings.smtp.cc, *(shop.cc if shop else ()), *trig.cc, *extra_cc]
    reply_to = (shop.reply_to if shop else None) or settings.smtp.reply_to
    order_url = (shop.order_url if shop else None) or settings.workflow.order_url
    out: list[Planned | Skipped] = []
    for role in trig.to:
        people = named_people(event, role)
        if trig.send == "never":
            out.append(Skipped(role, tuple(p["email"] for p in people), None,
                               "send: never is set for this trigger in config/workflow.yaml"))
            continue
        if not people:
            out.append(Skipped(role, (), None, f"the event names no {role}"))
            continue
        notify = strings(obj(event.get("customer")).get("notify"))
        for p in people:
            lang = resolve_language(p.get("language"), langs.active, langs.default)
            bad = address_problem(p["email"])
            if bad is not None:  # this person's message alone is skipped, not the whole event
                out.append(Skipped(role, (p["email"],), lang, f"the {role}'s address {bad}; this "
                                   "message was skipped, the event's other messages were not", bad))
                continue
            if trig.send == "on_customer_request" and role == "customer" and trigger_id not in notify:
                out.append(Skipped(role, (p["email"],), lang,
                                   f"the customer did not ask for emails about {trigger_id} (send: "
                                   "on_customer_request)"))
                continue
            out.append(Planned(
                role=role, person=p, to=((p.get("name"), p["email"]),),
                cc=unique(cc_base, [p["email"]]), lang=lang, template_id=trig.template_for(role),
                sender=(sender.address, sender.name),
                webshop_name=shop.name if shop else None, attachments=(), notes=notes,
                reply_to=reply_to, order_url=order_url,
                # edit_before_send lets operators review what others get; their own copy goes out as it is
                draft=trig.edit_before_send and settings.catalog[trigger_id].editable and role != "operator",
                bcc=unique([*settings.smtp.bcc, *trig.bcc], [p["email"], *cc_base])))
    return out
