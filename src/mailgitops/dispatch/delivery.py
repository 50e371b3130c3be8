"""The installation's delivery mode: `production`, or `redirect:ADDRESS` (every message to one
address, the real recipients shown in a banner). It is set outside the config repository, per
machine, and there is no default: a staging copy with real orders must never guess."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from mailgitops.errors import UsageError
from mailgitops.render.htmlesc import escape

if TYPE_CHECKING:
    from mailgitops.jsonshape import JsonValue
    from mailgitops.render.email import RenderedEmail

ENV = "MAILGITOPS_DELIVERY"
FLAG = "--delivery"
VALUES = ("`production` (send to the real recipients) or `redirect:ADDRESS` (send every message to "
          "ADDRESS only)")
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


class DeliveryMode(NamedTuple):
    redirect: str | None  # None: production

    def __str__(self) -> str:
        return "production" if self.redirect is None else f"redirect:{self.redirect}"


def parse(value: str, where: str) -> DeliveryMode:
    if value.strip() == "production":
        return DeliveryMode(None)
    kind, _, address = value.strip().partition(":")
    if kind == "redirect":
        from mailgitops.dispatch.rules import single_address

        if single_address(address.strip()):
            return DeliveryMode(address.strip())
        raise UsageError(f"{where}={value!r}: `{address.strip()}` is not one email address",
                         hint="write one address after redirect:, e.g. redirect:qa@example.com")
    raise UsageError(f"{where}={value!r} is not a delivery mode", hint=f"use {VALUES}")


def resolve(flag: str | None = None) -> DeliveryMode:
    """--delivery, else MAILGITOPS_DELIVERY; neither set is refused (exit 2), never defaulted."""
    if flag:
        return parse(flag, FLAG)
    value = os.environ.get(ENV, "")
    if not value.strip():
        raise UsageError(f"no delivery mode is set, so nothing is sent: set {ENV} (or {FLAG}) to {VALUES}",
                         hint=f"on a staging or test installation: {ENV}=redirect:you@example.com; "
                              f"on the real one: {ENV}=production")
    return parse(value, ENV)


class Original(NamedTuple):
    """Who a redirected message was meant for."""

    to: tuple[tuple[str | None, str], ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]

    def headers(self) -> list[tuple[str, str]]:
        out = [("X-Original-To", ", ".join(a for _, a in self.to))]
        return out + ([("X-Original-Cc", ", ".join(self.cc))] if self.cc else [])

    def to_json(self) -> dict[str, JsonValue]:
        return {"to": [a for _, a in self.to], "cc": list(self.cc), "bcc": list(self.bcc)}

    def lines(self) -> list[str]:
        named = [f"{n} <{a}>" if n else a for n, a in self.to]
        out = [f"To: {', '.join(named)}"]
        out += [f"Cc: {', '.join(self.cc)}"] if self.cc else []
        return out + ([f"Bcc: {', '.join(self.bcc)}"] if self.bcc else [])


def with_banner(email: RenderedEmail, mode: DeliveryMode, original: Original) -> RenderedEmail:
    """The email with a banner at the top of both parts naming the real recipients."""
    title = f"Redirected by mailgitops ({mode}): not sent to the real recipients."
    lines = original.lines()
    text = "\n".join(["*** " + title, *[f"    {line}" for line in lines], "***", "", ""]) + email.text
    banner = ('<div style="background:#fff3cd;color:#5c4400;border:2px solid #e0a800;padding:12px 16px;'
              'margin:0;font-family:Arial,sans-serif;font-size:14px;line-height:1.5;" role="note">'
              f"<strong>{escape(title)}</strong><br>"
              + "<br>".join(escape(line) for line in lines) + "</div>")
    m = _BODY.search(email.html)
    at = m.end() if m else 0
    return email._replace(text=text, html=email.html[:at] + banner + email.html[at:])


def envelope_allowed(mode: DeliveryMode, rcpts: Sequence[str]) -> bool:
    """In redirect mode only the redirect address may be an envelope recipient: a message queued
    while the installation was in production is not sent to its real recipients from staging."""
    return mode.redirect is None or all(r.lower() == mode.redirect.lower() for r in rcpts)
