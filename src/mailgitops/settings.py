"""The runtime settings: what the bundle carries for the dispatcher, typed once for both sides.

The bundle writes them with `settings_of(repo)` (bundle.py) and `Settings.to_json()`; the
dispatcher reads them with `Settings.from_json()`. schemas/bundle.schema.json is their contract.
NamedTuples, not dataclasses: immutable all the same and cheaper to define, which every cold
`mailgitops dispatch` pays (dispatch/rules.py says how much)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from mailgitops.identity import Mailbox

Security = Literal["none", "starttls", "tls"]
AuthMode = Literal["anonymous", "custom"]
SendMode = Literal["always", "on_customer_request", "never"]
Role = Literal["customer", "operator", "approver"]
ROLES: tuple[Role, ...] = ("customer", "operator", "approver")
AttachmentKind = Literal["document", "ticket", "preflight_report"]


class ServerSettings(NamedTuple):
    host: str
    port: int
    security: Security
    allow_self_signed: bool
    ca_pem: str | None  # the ca_file's text: the dispatcher's machine need not have the file
    pin_sha256: str | None
    timeout_seconds: float
    helo_name: str | None = None  # None: this machine's fully qualified name, found when sending


class LimitSettings(NamedTuple):
    """Bytes. Defaults fit common providers' 20-25 MB: base64 makes 14 MiB of files ~19 MiB."""

    max_message_bytes: int = 20 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_attachment_bytes: int = 14 * 1024 * 1024


class AuthSettings(NamedTuple):
    mode: AuthMode
    username: str | None
    password_env: str | None
    password_file: str | None


class SmtpSettings(NamedTuple):
    sender: Mailbox
    cc: tuple[str, ...]
    allow_operator_cc: bool
    server: ServerSettings
    auth: AuthSettings
    limits: LimitSettings = LimitSettings()
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    reply_to: str | None = None


class LanguageSettings(NamedTuple):
    default: str
    active: tuple[str, ...]


class TriggerSettings(NamedTuple):
    template: str
    send: SendMode
    to: tuple[Role, ...]
    edit_before_send: bool
    cc: tuple[str, ...]
    bcc: tuple[str, ...] = ()
    templates: Mapping[str, str] = {}  # role -> template, where a role gets other wording

    def template_for(self, role: str) -> str:
        return self.templates.get(role, self.template)


class WorkflowSettings(NamedTuple):
    allow_operator_attachments: bool
    order_url: str | None
    triggers: Mapping[str, TriggerSettings]
    timezone: str = "UTC"  # IANA name for every date and time shown in emails
    date_formats: Mapping[str, Mapping[str, str]] = MappingProxyType({})  # language -> date/datetime


class WebshopSettings(NamedTuple):
    name: str
    sender: Mailbox | None  # None: the print room's sender
    reply_to: str | None = None  # None: the print room's
    cc: tuple[str, ...] = ()  # added to the print room's
    order_url: str | None = None  # None: the workflow's


class TemplateSettings(NamedTuple):
    audience: Role
    attachments: tuple[AttachmentKind, ...]  # attached automatically when the event names the file


class CatalogEntry(NamedTuple):
    """One trigger of the catalog, as far as sending needs it."""

    editable: bool
    default_recipients: tuple[Role, ...]
    default_template: str
    requires: tuple[str, ...] = ()  # values every event of the trigger carries (catalog `requires`)


class Settings(NamedTuple):
    smtp: SmtpSettings
    languages: LanguageSettings
    workflow: WorkflowSettings
    webshops: Mapping[str, WebshopSettings]
    templates: Mapping[str, TemplateSettings]
    catalog: Mapping[str, CatalogEntry]
    # what config/catalog.yaml adds (absent without one): the event schema with its fields, which
    # events are checked against, and its own value namespaces, which the email's values copy
    event_schema: Mapping[str, Any] | None = None
    namespaces: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values in the bundle's shape (schemas/bundle.schema.json `$defs.settings`)."""
        s, wf = self.smtp, self.workflow
        return {
            "smtp": {"sender": _sender_json(s.sender), "cc": list(s.cc),
                     "allow_operator_cc": s.allow_operator_cc,
                     "server": s.server._asdict(), "auth": s.auth._asdict(), "limits": s.limits._asdict(),
                     "bcc": list(s.bcc), "reply_to": s.reply_to},
            "languages": {"default": self.languages.default, "active": list(self.languages.active)},
            "workflow": {"allow_operator_attachments": wf.allow_operator_attachments,
                         "order_url": wf.order_url, "timezone": wf.timezone,
                         # only when set: a bundle without them keeps its bytes
                         **({"date_formats": {k: dict(v) for k, v in sorted(wf.date_formats.items())}}
                            if wf.date_formats else {}),
                         "triggers": {k: {**t._asdict(), "to": list(t.to), "cc": list(t.cc),
                                          "bcc": list(t.bcc), "templates": dict(t.templates)}
                                      for k, t in wf.triggers.items()}},
            "webshops": {k: {"name": w.name, "sender": _sender_json(w.sender), "cc": list(w.cc),
                             "reply_to": w.reply_to, "order_url": w.order_url}
                         for k, w in self.webshops.items()},
            "templates": {k: {"audience": t.audience, "attachments": list(t.attachments)}
                          for k, t in self.templates.items()},
            "catalog": {k: {**c._asdict(), "default_recipients": list(c.default_recipients),
                            "requires": list(c.requires)}
                        for k, c in self.catalog.items()},
            **({"event_schema": self.event_schema} if self.event_schema is not None else {}),
            **({"namespaces": list(self.namespaces)} if self.namespaces else {}),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Settings:
        """The typed settings from a bundle's JSON, which has already passed the bundle schema's
        structural check (bundle.load), so the keys and types are known to be there."""
        s, wf = raw["smtp"], raw["workflow"]
        return cls(
            smtp=SmtpSettings(sender=_sender(s["sender"]), cc=tuple(s["cc"]),
                              allow_operator_cc=s["allow_operator_cc"],
                              server=ServerSettings(**s["server"]), auth=AuthSettings(**s["auth"]),
                              limits=LimitSettings(**s.get("limits", {})), bcc=tuple(s.get("bcc", ())),
                              reply_to=s.get("reply_to")),
            languages=LanguageSettings(raw["languages"]["default"], tuple(raw["languages"]["active"])),
            workflow=WorkflowSettings(
                allow_operator_attachments=wf["allow_operator_attachments"], order_url=wf["order_url"],
                triggers={k: TriggerSettings(t["template"], t["send"], tuple(t["to"]), t["edit_before_send"],
                                             tuple(t["cc"]), tuple(t.get("bcc", ())),
                                             dict(t.get("templates", {})))
                          for k, t in wf["triggers"].items()},
                timezone=wf.get("timezone", "UTC"), date_formats=dict(wf.get("date_formats", {}))),
            webshops={k: WebshopSettings(w["name"], _sender(w["sender"]) if w["sender"] else None,
                                         w.get("reply_to"), tuple(w.get("cc", ())), w.get("order_url"))
                      for k, w in raw["webshops"].items()},
            templates={k: TemplateSettings(t["audience"], tuple(t["attachments"]))
                       for k, t in raw["templates"].items()},
            catalog={k: CatalogEntry(c["editable"], tuple(c["default_recipients"]), c["default_template"],
                                         tuple(c.get("requires", ())))
                     for k, c in raw["catalog"].items()},
            event_schema=raw.get("event_schema"),
            namespaces=tuple(raw.get("namespaces", ())),
        )


def _sender(raw: Mapping[str, Any]) -> Mailbox:
    return Mailbox(raw["address"], raw.get("name"))


def _sender_json(s: Mailbox | None) -> dict[str, str | None] | None:
    return None if s is None else {"address": s.address, "name": s.name}
