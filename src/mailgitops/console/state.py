"""The console's settings and the state its pages share: the operators' store, the templates,
the service (bundle, dispatcher, outbox), and the time zone dates are shown in."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, select_autoescape

from mailgitops.console.accounts import Accounts, default_path

if TYPE_CHECKING:
    from mailgitops.serve.service import Service
    from mailgitops.settings import Settings

SECURE_ENV = "MAILGITOPS_CONSOLE_SECURE_COOKIES"
NOTICE_TO_ENV = "MAILGITOPS_NOTICE_TO"
NOTICE_INTERVAL_ENV = "MAILGITOPS_NOTICE_INTERVAL_MINUTES"
URL_ENV = "MAILGITOPS_CONSOLE_URL"
NOTICE_LANGUAGE_ENV = "MAILGITOPS_NOTICE_LANGUAGE"
# a message goes out within seconds; one waiting this long means the mail server is not taking mail
STUCK_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    operators_path: Path
    secure_cookies: bool = True  # off only for http://127.0.0.1 (the demo, the browser tests)
    notice_to: str | None = None  # the digest's address; None: the print room's own sender address
    notice_interval_seconds: float = 3600.0
    console_url: str | None = None  # the link in the notice, e.g. https://mail.printroom.example/
    # the digest's language: en, de or zh; None: the print room's default language when the
    # console speaks it, else English
    notice_language: str | None = None

    @classmethod
    def from_env(cls, outbox: str | None, operators: str | None = None,
                 env: Mapping[str, str] | None = None) -> ConsoleSettings:
        e = os.environ if env is None else env
        minutes = e.get(NOTICE_INTERVAL_ENV, "60")
        try:
            interval = max(1.0, float(minutes)) * 60
        except ValueError:
            from mailgitops.errors import UsageError

            raise UsageError(f"{NOTICE_INTERVAL_ENV}={minutes!r} is not a number of minutes",
                             hint=f"for example {NOTICE_INTERVAL_ENV}=60") from None
        language = (e.get(NOTICE_LANGUAGE_ENV) or "").strip().lower() or None
        if language is not None:
            from mailgitops.console.i18n import CATALOGS

            if language not in CATALOGS:
                from mailgitops.errors import UsageError

                raise UsageError(f"{NOTICE_LANGUAGE_ENV}={language!r} is not a language the console speaks",
                                 hint=f"choose one of {', '.join(CATALOGS)}, or leave it unset for the "
                                      "print room's default language")
        return cls(operators_path=Path(operators) if operators else default_path(outbox),
                   secure_cookies=e.get(SECURE_ENV, "1").strip().lower() not in ("0", "no", "false", "off"),
                   notice_to=e.get(NOTICE_TO_ENV) or None, notice_interval_seconds=interval,
                   console_url=e.get(URL_ENV) or None, notice_language=language)


def refuse_cleartext(settings: ConsoleSettings, host: str) -> None:
    """Cookies without Secure work only over plain http: on an address other machines reach, the
    operators' passwords and session cookies would cross the network readable by anyone on it."""
    from mailgitops.dispatch.smtp_trust import is_loopback

    if not settings.secure_cookies and not is_loopback(host):
        from mailgitops.errors import UsageError

        raise UsageError(f"{SECURE_ENV}=0 is refused on {host}: the console's passwords and session "
                         "cookies would cross the network unencrypted",
                         hint="put an HTTPS reverse proxy in front and keep the default (docs/security.md); "
                              "for a local test only, listen on 127.0.0.1")


class Console:
    def __init__(self, service: Service, settings: ConsoleSettings) -> None:
        self.service = service
        self.settings = settings
        self.accounts = Accounts(settings.operators_path)
        self.send_lock = threading.Lock()  # one Send at a time: two tabs or clicks, one winner
        # the __Host- prefix makes the browser insist on Secure, path / and no Domain
        prefix = "__Host-" if settings.secure_cookies else ""
        self.cookie = f"{prefix}mailgitops-session"
        self.signin_cookie = f"{prefix}mailgitops-signin"
        self.env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        # workflow.yaml `timezone` once the settings carry it; UTC until then
        self.timezone = _zone(getattr(service.bundle.settings.workflow, "timezone", None))
        self.env.filters["shown"] = self.shown

    @property
    def bundle_settings(self) -> Settings:
        return self.service.bundle.settings

    def when(self, ts: float | None) -> str:
        """ISO 8601 with the zone: in workflow.yaml's timezone, else UTC."""
        if not ts:
            return ""
        return datetime.fromtimestamp(ts, self.timezone).isoformat(timespec="seconds")

    def shown(self, iso: str) -> str:
        """A time from `when` as an operator reads it: to the minute, with the zone's name
        (2026-11-30 17:45 CET); the ISO form stays in the <time datetime> attribute."""
        if not iso:
            return ""
        moment = datetime.fromisoformat(iso).astimezone(self.timezone)
        return f"{moment:%Y-%m-%d %H:%M} {zone_label(moment)}"

    def waiting(self) -> int:
        disp = self.service.opened()
        return disp.outbox.counts().get("draft", 0) if disp is not None else 0

    def stuck(self) -> dict[str, object] | None:
        """Messages waiting to be sent while the oldest has waited STUCK_SECONDS: the server is
        down or refusing for now (without a pause, nothing else on the page says so)."""
        disp = self.service.opened()
        if disp is None:
            return None
        count, oldest = disp.outbox.backlog()
        if not count or oldest is None or time.time() - oldest < STUCK_SECONDS:
            return None
        return {"count": count, "since": self.when(oldest)}

    def paused(self) -> dict[str, str] | None:
        disp = self.service.opened()
        got = disp.sender.current_pause() if disp is not None else None  # as it applies here
        return {"until": self.when(got[0]), "reason": got[1]} if got else None


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation (CET, IST); for a zone without one, whose abbreviation is a bare
    number (Asia/Kathmandu's "+0545", America/Sao_Paulo's "-03"), its offset as UTC+05:45."""
    name = moment.tzname() or ""
    if name[:1].isalpha():
        return name
    offset = moment.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:5]}" if offset else "UTC"


def _zone(name: object) -> tzinfo:
    if isinstance(name, str) and name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC
