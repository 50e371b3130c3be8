"""The waiting-drafts notice: when drafts wait, one digest email per interval to the operators'
address (not one per draft). It goes through the outbox like every other email: stored first,
sent by the sender loop, retried, listed under Deliveries."""

from __future__ import annotations

import hashlib
import html
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailgitops.dispatch.outbox import NewMessage, Row, StoredEvent
from mailgitops.errors import MailgitopsError

if TYPE_CHECKING:
    from mailgitops.console.accounts import Accounts
    from mailgitops.console.state import ConsoleSettings
    from mailgitops.render.email import RenderedEmail
    from mailgitops.serve.service import Service

LAST_SENT = "notice.last_sent"
NEWEST_SEEN = "notice.newest_draft"
TEMPLATE_ID = "drafts-notice"


def notice_language(service: Service, settings: ConsoleSettings) -> str:
    """The digest's language: the one set, else the print room's default when the console speaks
    it (German, Chinese), else English. It goes to one shared address, not to one operator."""
    from mailgitops.console.i18n import CATALOGS

    default = service.bundle.settings.languages.default.split("-")[0].lower()
    return settings.notice_language or (default if default in CATALOGS else "en")


def _email(drafts: list[Row], console_url: str | None, lang: str = "en") -> RenderedEmail:
    from mailgitops.console.i18n import translator, trigger_name
    from mailgitops.render.email import RenderedEmail

    tr = translator(lang)
    n = len(drafts)
    subject = tr("{n} draft waiting for review" if n == 1 else "{n} drafts waiting for review").format(n=n)
    lines = []
    base = console_url.rstrip("/") if console_url else None
    for r in sorted(drafts, key=lambda r: -r.created_at):
        if (d := r.draft) is not None:  # every row in the `draft` state holds one, or a damaged one
            trigger = d.trigger or r.template_id
            # with the console's address, each line leads straight to its draft
            lines.append(f"- {d.order_number or '-'} · {trigger_name(lang, trigger)} · "
                         f"{d.customer or '-'} · {d.subject}" + (f" · {base}/draft/{r.id}" if base else ""))
        elif r.draft_problem is not None:
            damaged = tr("damaged draft (outbox message {id}): {problem}").format(
                id=r.id, problem=r.draft_problem)
            lines.append(f"- {r.template_id} · {damaged}")
    where = (tr("Open the console: {url}").format(url=console_url) if console_url
             else tr("Open the mailgitops console to review them."))
    colon = "\uff1a" if lang == "zh" else ":"  # Chinese text takes the full-width colon
    text = f"{subject}{colon}\n\n" + "\n".join(lines) + f"\n\n{where}\n"
    items = "".join(f"<li>{html.escape(line[2:])}</li>" for line in lines)
    link = (f'<p><a href="{html.escape(console_url)}">{html.escape(tr("Open the console"))}</a></p>'
            if console_url else f"<p>{html.escape(where)}</p>")
    body = (f'<!doctype html><html lang="{lang}"><body><p>{html.escape(subject)}{colon}</p><ul>{items}</ul>'
            f"{link}</body></html>")
    return RenderedEmail(TEMPLATE_ID, lang, subject, "", body, text, (), ())


def check(service: Service, settings: ConsoleSettings, accounts: Accounts, *,
          now: float | None = None) -> int | None:
    """Queue a digest when drafts wait, one arrived since the last digest, and the last digest is
    at least an interval old. The outbox row's id, or None when nothing was due."""
    from mailgitops.dispatch.compose import new_message_id
    from mailgitops.render.mime import build_message

    now = time.time() if now is None else now
    disp = service.dispatcher()
    drafts = disp.outbox.rows("draft", 100_000)
    if not drafts:
        return None
    newest = max(r.created_at for r in drafts)
    if newest <= float(accounts.get_meta(NEWEST_SEEN) or 0):
        return None  # every waiting draft was in a digest already
    if now - float(accounts.get_meta(LAST_SENT) or 0) < settings.notice_interval_seconds:
        return None
    sender = service.bundle.settings.smtp.sender
    # a staging installation (MAILGITOPS_DELIVERY=redirect:ADDRESS) sends its digest there too
    to = disp.delivery().redirect or settings.notice_to or sender.address
    message_id = new_message_id(sender.address)
    lang = notice_language(service, settings)
    msg = build_message(_email(drafts, settings.console_url, lang), sender=sender, to=[(None, to)], cc=[],
                        message_id=message_id, date=datetime.fromtimestamp(now, UTC), attachments=[])
    # the event id names the interval: two processes sharing the outbox record one digest, not two
    event_id = f"{TEMPLATE_ID}-{int(now // settings.notice_interval_seconds)}"
    if disp.outbox.get_event(event_id) is not None:
        return None
    raw = msg.as_bytes()
    stored = StoredEvent(event_id, hashlib.sha256(raw).hexdigest(), service.bundle.hash,
                         [{"row": 0, "notes": []}])
    (row_id,) = disp.outbox.record_event(stored, [NewMessage("operator", lang, TEMPLATE_ID, message_id,
                                                             sender.address, (to,), (), raw)])
    accounts.set_meta(LAST_SENT, str(now))
    accounts.set_meta(NEWEST_SEEN, str(newest))
    service.wake.set()
    return row_id


class NoticeLoop:
    """Checks every `every` seconds. A daemon thread: it only ever commits whole transactions,
    so a process that stops without waiting for it loses nothing."""

    def __init__(self, service: Service, settings: ConsoleSettings, accounts: Accounts, *,
                 every: float = 30.0) -> None:
        self.service, self.settings, self.accounts = service, settings, accounts
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mailgitops-notice", daemon=True)

    def start(self) -> NoticeLoop:
        self.thread.start()
        return self

    def _run(self) -> None:
        last_problem = None
        while not self.stop.wait(self.every):
            try:
                check(self.service, self.settings, self.accounts)
                problem = None
            except MailgitopsError as e:  # an outbox that is away now is back later; say so once
                problem = e.message
            except Exception as e:  # a bug: named as one, and the loop goes on
                problem = f"unexpected {type(e).__name__}: {e}"
            if problem != last_problem and problem is not None:
                sys.stderr.write(f"mailgitops console: drafts notice not sent: {problem}\n")
            last_problem = problem
