"""The settings model built from config files already checked against their schemas: each
builder reads what is there and falls back where a value is missing or mistyped (validate has
already reported it), so a partial repository still gives a model to check further."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mailgitops.catalog import Catalog
from mailgitops.model import (
    DEFAULT_PORTS,
    Auth,
    Languages,
    Mailbox,
    Security,
    Server,
    Smtp,
    Trigger,
    Webshop,
    Workflow,
)
from mailgitops.settings import ROLES, LimitSettings

# the theme keys a webshop may change (webshop.schema.json `theme`); the rest is theme.yaml's
SHOP_THEME_KEYS = ("logo", "allow_remote_logo", "logo_alt", "logo_width", "accent_color", "link_color",
                   "heading_color", "footer")


def split_cc(value: Any) -> tuple[str, ...]:
    """S4: `a@x; b@y` or a list; each part kept (and checked later), none dropped."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(p.strip() for p in re.split(r"[;,]", item) if p.strip())
    return tuple(out)


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sender_of(raw: Any) -> Mailbox | None:
    raw = as_dict(raw)
    addr = raw.get("address")
    return Mailbox(str(addr), raw.get("name")) if isinstance(addr, str) else None


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_SECURITY: dict[str, Security] = {"none": "none", "starttls": "starttls", "tls": "tls"}


def _seconds(value: Any, default: float) -> float:
    """A number of seconds as written, or `default` for one left out or not a number (`30s`)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return float(value) if ok else default


def _limits(raw: dict[str, Any]) -> LimitSettings:
    given = {k: v for k, v in raw.items() if k in LimitSettings._fields and type(v) is int and v > 0}
    return LimitSettings(**given)


def smtp_settings(raw: dict[str, Any]) -> Smtp:
    server = as_dict(raw.get("server"))
    raw_security = text_of(server.get("security"))  # a list or a mapping: validate says so
    security: Security = _SECURITY.get(raw_security, "none") if raw_security else "none"
    port = server.get("port")
    auth = as_dict(raw.get("auth"))
    return Smtp(
        sender=sender_of(raw.get("sender")) or Mailbox("invalid@invalid"),
        cc=split_cc(raw.get("cc")),
        bcc=split_cc(raw.get("bcc")),
        reply_to=text_of(raw.get("reply_to")),
        allow_operator_cc=raw.get("allow_operator_cc") is True,
        server=Server(
            host=str(server.get("host", "")),
            port=port if isinstance(port, int) else DEFAULT_PORTS[security],
            security=security,
            allow_self_signed=server.get("allow_self_signed") is True,
            ca_file=server.get("ca_file"),
            pin_sha256=server.get("pin_sha256"),
            timeout_seconds=_seconds(server.get("timeout_seconds"), 30.0),
            helo_name=server.get("helo_name") if isinstance(server.get("helo_name"), str) else None,
        ),
        limits=_limits(as_dict(raw.get("limits"))),
        auth=Auth(
            mode="custom" if auth.get("mode") == "custom" else "anonymous",
            username=auth.get("username"),
            password_env=auth.get("password_env"),
            password_file=auth.get("password_file"),
        ),
    )


def workflow_settings(raw: dict[str, Any], cat: Catalog) -> Workflow:
    specs = cat.triggers
    triggers: dict[str, Trigger] = {}
    for tid, entry in as_dict(raw.get("triggers")).items():
        t = as_dict(entry)
        to = t.get("to")
        if not isinstance(to, list):  # left out: whom the catalog says this trigger is for
            spec = specs.get(tid)
            to = list(spec.default_recipients) if spec is not None else ["customer"]
        to = [r for r in to if isinstance(r, str)]  # a list or a number in the list: said by validate
        per_role = as_dict(t.get("templates"))
        triggers[tid] = Trigger(
            id=tid,
            template=str(t.get("template", "")),
            send=text_of(t.get("send")) or "always",  # type: ignore[arg-type]  # checked by validate
            to=tuple(to),
            edit_before_send=t.get("edit_before_send") is True,
            cc=split_cc(t.get("cc")),
            bcc=split_cc(t.get("bcc")),
            templates={r: str(v) for r, v in per_role.items() if r in ROLES and isinstance(v, str)},
        )
    url = raw.get("order_url")
    return Workflow(
        triggers=triggers,
        allow_operator_attachments=raw.get("allow_operator_attachments") is True,
        order_url=url if isinstance(url, str) else None,
        timezone=text_of(raw.get("timezone")) or "UTC",
        date_formats=date_formats_of(raw.get("date_formats")),
    )


def date_formats_of(raw: Any) -> dict[str, dict[str, str]]:
    """workflow.yaml `date_formats`: `{de: "dd.MM.yyyy"}` is the date's pattern, `{de: {date: ...,
    datetime: ...}}` both; what is not text is left out (validate has said so)."""
    out: dict[str, dict[str, str]] = {}
    for lang, value in as_dict(raw).items():
        given = {"date": value} if isinstance(value, str) else as_dict(value)
        kinds = {k: v for k, v in given.items() if k in ("date", "datetime") and isinstance(v, str)}
        if kinds:
            out[str(lang)] = kinds
    return out


def languages_settings(raw: dict[str, Any]) -> Languages:
    active = raw.get("active")
    return Languages(
        default=str(raw.get("default", "en")),
        active=tuple(str(x) for x in active) if isinstance(active, list) else ("en",),
    )


def webshop_settings(path: Path, raw: dict[str, Any], smtp: Smtp) -> Webshop:
    sender = sender_of(raw.get("sender"))
    if sender is not None and not sender.name:  # an address-only override keeps the display name
        sender = Mailbox(sender.address, smtp.sender.name)
    theme = {k: v for k, v in as_dict(raw.get("theme")).items() if k in SHOP_THEME_KEYS and v is not None}
    for key in ("logo", "allow_remote_logo"):  # written at the top before `theme:` existed: the same
        if key not in theme and raw.get(key) is not None:
            theme[key] = raw[key]
    logo = text_of(theme.get("logo"))
    return Webshop(id=path.stem, name=str(raw.get("name", path.stem)), sender=sender,
                   cc=split_cc(raw.get("cc")), reply_to=text_of(raw.get("reply_to")),
                   order_url=text_of(raw.get("order_url")), logo=logo,
                   allow_remote_logo=theme.get("allow_remote_logo") is True, theme=theme)
