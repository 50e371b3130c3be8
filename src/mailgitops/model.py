"""The frozen value objects a validated config repository becomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailgitops.catalog import Catalog
from mailgitops.identity import Mailbox
from mailgitops.settings import AttachmentKind, AuthMode, LimitSettings, Role, Security, SendMode

# re-exported: model users see every config value type in one place
__all__ = ["AttachmentKind", "AuthMode", "Mailbox", "Role", "Security", "SendMode"]

DEFAULT_PORTS: Mapping[str, int] = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int
    security: Security = "none"
    allow_self_signed: bool = False
    ca_file: str | None = None  # relative to the repository root
    pin_sha256: str | None = None  # hex SHA-256 of the server certificate (DER)
    timeout_seconds: float = 30.0
    helo_name: str | None = None  # the EHLO name; None: this machine's fully qualified name


@dataclass(frozen=True, slots=True)
class Auth:
    mode: AuthMode = "anonymous"
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None


@dataclass(frozen=True, slots=True)
class Smtp:
    sender: Mailbox  # S1 S3
    server: Server  # S6 S8 S9
    auth: Auth  # S10
    cc: tuple[str, ...] = ()  # S4, already split and checked one by one
    allow_operator_cc: bool = False  # S5
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    reply_to: str | None = None
    limits: LimitSettings = LimitSettings()  # noqa: RUF009 -- immutable (a NamedTuple); bytes: message, one attachment, all attachments


@dataclass(frozen=True, slots=True)
class Languages:
    default: str
    active: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Webshop:
    id: str
    name: str
    sender: Mailbox | None = None  # S2: overrides Smtp.sender (its name inherited when left out)
    reply_to: str | None = None  # replaces Smtp.reply_to
    cc: tuple[str, ...] = ()  # added to Smtp.cc
    order_url: str | None = None  # replaces Workflow.order_url
    logo: str | None = None  # replaces the theme's logo in this shop's emails
    allow_remote_logo: bool = False  # as the theme's: `logo` may be an https URL
    # the theme keys this shop changes (`theme:`, with a top-level `logo` as theme.logo)
    theme: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Trigger:
    id: str
    template: str
    send: SendMode = "always"
    to: tuple[Role, ...] = ("customer",)  # repo.py fills in the catalog's default recipients
    edit_before_send: bool = False
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()  # envelope only
    templates: Mapping[str, str] = field(default_factory=dict)  # role -> template, instead of `template`

    def template_for(self, role: str) -> str:
        return self.templates.get(role, self.template)

    def template_ids(self) -> tuple[str, ...]:
        """Every template this trigger may send, `template` first."""
        return tuple(dict.fromkeys((self.template, *self.templates.values())))


@dataclass(frozen=True, slots=True)
class Workflow:
    triggers: Mapping[str, Trigger]
    allow_operator_attachments: bool = False  # A1
    order_url: str | None = None  # T7, e.g. "https://print.example.com/orders/{order_number}"
    timezone: str = "UTC"  # IANA name: dates and times in emails are shown in it
    # language -> {"date": pattern, "datetime": pattern}: what `date`/`datetime` print by default
    date_formats: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attachments:
    """T9: which files the order system's event provides are attached automatically."""

    document: bool = False
    ticket: bool = False
    preflight_report: bool = False

    def enabled(self) -> tuple[AttachmentKind, ...]:
        kinds: tuple[AttachmentKind, ...] = ("document", "ticket", "preflight_report")
        return tuple(k for k in kinds if getattr(self, k))


@dataclass(frozen=True, slots=True)
class TemplateText:
    """One language of one template: `<template-id>/<lang>.md`."""

    template_id: str
    lang: str
    file: str  # repository-relative path
    subject: str  # Jinja source
    body: str  # Markdown + Jinja source
    body_line: int  # 1-based line in `file` where `body` starts
    preheader: str | None = None
    front_matter: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    description: str
    audience: Role
    texts: Mapping[str, TemplateText]  # by language
    attachments: Attachments = Attachments()
    layout: str = "default"


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample order (the shape of a status event) that previews are rendered with."""

    name: str
    file: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Repo:
    root: Path
    smtp: Smtp
    languages: Languages
    workflow: Workflow
    webshops: Mapping[str, Webshop]
    templates: Mapping[str, Template]
    samples: Mapping[str, Sample]
    layouts: Mapping[str, str]  # layout name -> MJML source (templates/_layouts/<name>.mjml)
    theme: Mapping[str, Any]  # templates/_layouts/theme.yaml (T3)
    assets: Mapping[str, Path]  # file name -> absolute path (templates/_assets/)
    catalog: Catalog  # the package's, plus config/catalog.yaml's own variables and triggers
