"""The dispatcher's Python API: load a bundle, handle one status event, get the outcome.

Order of work (RELIABILITY 1-3): check the event, decide the messages, render every one to its
final bytes with a Message-ID, commit them all in one transaction, and only then open a
connection. What cannot be delivered now stays queued."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mailgitops import bundle as bundle_mod
from mailgitops.dispatch import event as event_mod
from mailgitops.dispatch import rules
from mailgitops.dispatch.delivery import DeliveryMode, Original
from mailgitops.dispatch.outbox import NewMessage, Outbox, Row, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.sender import FlushReport, RetryPolicy, Sender
from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.errors import BacklogFull, EventConflict, ExitCode, MailgitopsError, UsageError
from mailgitops.jsonshape import obj, strings
from mailgitops.jsonshape import text as json_text

if TYPE_CHECKING:
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.jsonshape import JsonDict, JsonObject, JsonValue
    from mailgitops.render.compiled import CompiledTemplates
    from mailgitops.render.mime import FileAttachment


class Outcome(NamedTuple):  # not a dataclass: ~0.8 ms less at every cold dispatch
    event_id: str
    duplicate: bool
    messages: tuple[JsonDict, ...]
    flush: FlushReport | None = None  # how the send went (not part of the answer)
    delivery: str = "production"  # the installation's delivery mode when this answer was made

    def to_json(self) -> JsonDict:
        return {"event_id": self.event_id, "duplicate": self.duplicate, "delivery": self.delivery,
                "messages": list(self.messages)}


MAX_BACKLOG_ENV = "MAILGITOPS_MAX_BACKLOG"
MAX_BACKLOG = 5000  # at ~100 messages/s a minute of sending; past it the caller is told to come back


def max_backlog_from(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    text = env.get(MAX_BACKLOG_ENV, "")
    if not text:
        return MAX_BACKLOG
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{MAX_BACKLOG_ENV}={text!r} is not a positive whole number",
                         hint=f"set {MAX_BACKLOG_ENV} to the most messages that may wait, e.g. {MAX_BACKLOG}")
    return value


def payload_hash(event: JsonObject) -> str:
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_message_id(sender_address: str) -> str:
    """Made once, at enqueue, and kept on every retry (RELIABILITY 3). No DNS lookup for the
    host name: the sender's domain identifies us."""
    domain = sender_address.rpartition("@")[2] or "mailgitops.invalid"
    return f"<{datetime.now(UTC):%Y%m%d%H%M%S}.{os.urandom(10).hex()}@{domain}>"


def row_status(row: Row) -> tuple[str, str | None]:
    """The outbox's state in the words of the outcome: sent | queued | draft | skipped | failed."""
    if row.status == "sent":
        notes = [f"refused by the server for some recipients: {row.last_error}"] if row.last_error else []
        # accepted, then returned by a delivery status notification (mailgitops bounces ingest)
        notes += [f"bounced later for {r['address']}: {r.get('status') or ''} {r.get('text') or ''}".rstrip()
                  for r in row.recipients if r.get("result") == "bounced"]
        return "sent", "; ".join(notes) or None
    if row.status in ("queued", "sending", "ambiguous"):
        return "queued", row.last_error or "waiting to be sent"
    if row.status == "draft":
        return "draft", f"waiting for an operator: mailgitops drafts send {row.id}"
    if row.status == "discarded":
        return "skipped", "the operator discarded the draft"
    if row.status in ("expired", "corrupt"):
        return "failed", f"{row.status}: {row.last_error}"
    return "failed", row.last_error


def attachment_files(refs: Sequence[rules.FileRef]) -> list[FileAttachment]:
    from mailgitops.render.mime import FileAttachment

    out = []
    for ref in refs:
        try:
            data = ref.real.read_bytes()
        except OSError as e:
            raise MailgitopsError(f"cannot read attachment {ref.path}: {e.strerror}; nothing was queued",
                                  hint="let the dispatcher's user read the attachments root") from e
        out.append(FileAttachment(ref.filename, ref.mime_type, data))
    return out


class Dispatcher:
    """Holds one bundle, one outbox and one sender (its SMTP connection is reused across events)."""

    def __init__(self, bundle: bundle_mod.Bundle, outbox: Outbox, *, attachments_root: Path | None = None,
                 policy: RetryPolicy | None = None, server: ServerConfig | None = None,
                 delivery: str | DeliveryMode | None = None, max_backlog: int | None = None) -> None:
        self.bundle = bundle
        self.settings = bundle.settings
        self.outbox = outbox
        self.attachments_root = attachments_root
        self.server = server or ServerConfig.from_settings(self.settings.smtp)
        # --delivery or MAILGITOPS_DELIVERY, resolved when something is to be sent: listing the
        # outbox or drafts needs no mode, queueing or sending refuses without one
        self._delivery = delivery
        self.sender = Sender(outbox, self.server, policy or RetryPolicy.from_env(), Connection,
                             delivery=self.delivery)
        self.owns_outbox = False
        self.closed = False
        # rows a killed dispatcher on this host left `sending`: due again now, not after the lease
        self.recovered = outbox.recover()
        self.max_backlog = max_backlog_from() if max_backlog is None else max_backlog

    @cached_property
    def compiled(self) -> CompiledTemplates:
        """The templates, made ready at the first message to render: `outbox flush` and the
        listings never import Jinja or the locale data."""
        from mailgitops.render import diskcache, formats, preparsed

        # the bundle is reviewed and rarely changes: its compiled Jinja and parsed Markdown are
        # worth keeping for the next process (render/diskcache.py says why that is never stale)
        diskcache.enable()
        preparsed.use(self.bundle.preparsed)  # the Markdown the bundle carries parsed: no parser needed
        formats.use(self.bundle.formats)  # Babel's data for the languages: no locale data loaded
        return self.bundle.compiled()

    def delivery(self) -> DeliveryMode:
        if not isinstance(self._delivery, DeliveryMode):
            from mailgitops.dispatch.delivery import resolve

            self._delivery = resolve(self._delivery)
        return self._delivery

    @classmethod
    def load(cls, bundle_path: str | Path, *, outbox: str | Path | Outbox | None = None,
             attachments_root: str | Path | None = None, policy: RetryPolicy | None = None,
             delivery: str | DeliveryMode | None = None) -> Dispatcher:
        if not (outbox is None or isinstance(outbox, str | Path) or hasattr(outbox, "record_event")):
            raise TypeError(f"outbox must be a file path, a postgresql:// URL or an Outbox, not "
                            f"{type(outbox).__name__}")  # it failed later with "no attribute 'recover'"
        if isinstance(delivery, str):  # a wrong mode is named here, not at the first handle()
            from mailgitops.dispatch.delivery import resolve

            delivery = resolve(delivery)
        loaded = bundle_mod.load(bundle_path)  # first: a refused bundle leaves no outbox file behind
        owned = outbox is None or isinstance(outbox, str | Path)
        if outbox is None or isinstance(outbox, str | Path):  # a file, a postgresql:// URL, or the default
            ob = open_outbox(None if outbox is None else str(outbox))
        else:
            ob = outbox
        root = Path(attachments_root) if attachments_root else rules.attachments_root_from(None)
        d = cls(loaded, ob, attachments_root=root, policy=policy, delivery=delivery)
        d.owns_outbox = owned
        return d

    def close(self) -> None:
        """Ends the SMTP session; closes the outbox too when load() opened it (given one, the caller
        does). A second call does nothing."""
        if self.closed:
            return
        self.closed = True
        self.sender.close()
        if self.owns_outbox:
            self.outbox.close()

    def _check_open(self) -> None:
        """A closed Dispatcher refuses in words: its outbox answered a duplicate from a stale
        connection and a flush with sqlite3's "Cannot operate on a closed database"."""
        if self.closed:
            raise UsageError("this Dispatcher was closed; nothing was accepted or sent",
                             hint="use it inside its `with Dispatcher.load(...) as d:` block, "
                                  "or load a new one")

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def handle(self, event: JsonValue, *, deliver: bool = True, source: str = "event") -> Outcome:
        self._check_open()
        mode = self.delivery()  # before anything is checked or stored: no mode, nothing accepted
        data = event_mod.require_valid(event, source, more=lambda ev: self._unknown_trigger(ev, source),
                                       schema=self.settings.event_schema)
        digest = payload_hash(data)
        event_id = str(data["event_id"])  # the schema says: a string
        prior = self.outbox.get_event(event_id)
        if prior is not None:
            return self._duplicate(prior, digest)
        self._check_backlog()
        planned = rules.plan(self.settings, data, self.attachments_root, source)
        entries: list[JsonDict] = []
        messages: list[NewMessage] = []
        for p in planned:
            if isinstance(p, rules.Skipped):
                entries.append({"role": p.role, "to": list(p.to), "cc": [], "language": p.lang,
                                "status": "skipped", "reason": p.reason, "message_id": None,
                                "draft_id": None})
                continue
            original = Original(p.to, p.cc, ()) if mode.redirect else None
            entries.append({"row": len(messages), "notes": list(p.notes),
                            **({"redirected_from": original.to_json()} if original else {})})
            messages.append(self._prepare(data, p, mode))
        deliver = (deliver and any(m.status == "queued" for m in messages)
                   and self.sender.current_pause() is None)
        claim = (self.sender.worker, self.sender.policy.lease_seconds) if deliver else None
        try:
            stored_event = StoredEvent(event_id, digest, self.bundle.hash, entries)
            ids = self.outbox.record_event(stored_event, messages, claim_for=claim)
        except EventConflict:
            prior = self.outbox.get_event(event_id)  # a concurrent delivery of the same event
            if prior is None:
                raise
            return self._duplicate(prior, digest)
        # committed (and claimed by this worker) before any connection opens: RELIABILITY 1
        report = None
        if deliver:
            report = FlushReport()
            rows = [r for r in map(self.outbox.get, ids) if r is not None and r.status == "sending"]
            self.sender.deliver(rows, report)
        # what record_event stored (its entries are never changed afterwards): no read back
        return Outcome(event_id, False, self._entries(stored_event.with_rows(ids)), report, str(mode))

    def _check_backlog(self) -> None:
        """Refuse (temporarily) what could not be sent soon: the caller keeps it and retries,
        instead of a queue that grows for ever while every answer says "accepted"."""
        depth, _ = self.outbox.backlog(self.max_backlog)
        if depth >= self.max_backlog:
            raise BacklogFull(f"{depth} messages are waiting to be sent (the limit is {self.max_backlog}); "
                              "nothing was accepted, send the event again later",
                              hint=f"sending is behind or stopped: check the SMTP server; {MAX_BACKLOG_ENV} "
                                   "sets the limit", exit_code=ExitCode.TEMPORARY)

    def _unknown_trigger(self, data: JsonValue, source: str) -> list[Diagnostic]:
        """An unknown trigger and the values the trigger requires, named with the schema's problems,
        so one answer lists them all."""
        from mailgitops.dispatch import required

        got = rules.unknown_trigger(self.settings, data.get("trigger")) if isinstance(data, dict) else None
        unknown = [replace(got, file=source)] if got is not None else []
        return unknown + required.check(self.settings, data, source)

    def _duplicate(self, prior: StoredEvent, digest: str) -> Outcome:
        if prior.payload_hash != digest:
            raise EventConflict(f"event {prior.event_id} was already handled with different content; "
                                "refused, nothing was queued",
                                hint="give each distinct status change its own event_id")
        return Outcome(prior.event_id, True, self._entries(prior), delivery=str(self.delivery()))

    def _entries(self, stored: StoredEvent) -> tuple[JsonDict, ...]:
        out = []
        pause = self.sender.current_pause()
        for e in stored.entries:
            row_id = e.get("row")
            if not isinstance(row_id, int):  # skipped at once: the entry is the outcome
                # with every key a queued message has (a client reading m["recipients"] of each
                # message met a KeyError on a skipped one), also for events stored before
                out.append({**e, "outbox_id": None, "recipients": []})
                continue
            row = self.outbox.get(row_id)
            assert row is not None
            status, reason = row_status(row)
            if status == "queued" and pause is not None and not (reason or "").startswith("sending paused"):
                reason = f"sending paused: {pause[1]}"
            if notes := strings(e.get("notes")):
                reason = "; ".join([*([reason] if reason else []), *notes])
            out.append({"role": row.role, "to": list(row.to), "cc": list(row.cc), "language": row.lang,
                        "status": status, "reason": reason, "message_id": row.message_id,
                        "draft_id": row.id if row.status == "draft" else None, "outbox_id": row.id,
                        "recipients": [dict(r) for r in row.recipients],
                        **({"redirected_from": e["redirected_from"]} if "redirected_from" in e else {})})
        return tuple(out)

    def _prepare(self, data: JsonObject, p: rules.Planned, mode: DeliveryMode) -> NewMessage:
        from mailgitops.addresses import ascii_form
        from mailgitops.identity import Mailbox
        from mailgitops.render.context import build_context

        compiled = self.compiled  # first: it makes the bundle's locale data the one in use
        sender = Mailbox(p.sender[0], p.sender[1])
        ctx = build_context(data, recipient=p.person, order_url=p.order_url,
                            timezone=self.settings.workflow.timezone, namespaces=self.settings.namespaces,
                            sender=sender, webshop_name=p.webshop_name)
        message_id = new_message_id(sender.address)
        # redirect mode: the envelope and the headers name only the redirect address; the real
        # recipients travel in a banner and X-Original-To (rendered now for an email, at send
        # time for a draft)
        original = Original(p.to, p.cc, p.bcc) if mode.redirect else None
        to_pairs = ((None, mode.redirect),) if mode.redirect else p.to
        cc = () if mode.redirect else p.cc
        # the envelope carries each address as it travels without SMTPUTF8 (IDNA domains)
        to = tuple(ascii_form(a) for _, a in to_pairs)
        cc = tuple(ascii_form(a) for a in cc)
        envelope_from = ascii_form(sender.address)
        bcc = () if mode.redirect else tuple(ascii_form(a) for a in p.bcc)  # redirected: no hidden copies
        if p.draft:
            from mailgitops.dispatch.draft_shape import AttachmentRef, Draft, Redirected
            from mailgitops.render.email import draft_source

            subject, markdown = draft_source(compiled, p.template_id, p.lang, ctx)
            draft = Draft(
                subject, markdown, p.sender, to_pairs, printroom=ctx["printroom"],
                attachments=tuple(AttachmentRef(f.kind, f.path) for f in p.attachments),
                bundle_hash=self.bundle.hash, reply_to=p.reply_to,
                # what the console's inbox lists and searches by (the event itself is not kept)
                trigger=json_text(data["trigger"]), customer=json_text(obj(data.get("customer")).get("name")),
                order_number=json_text(obj(data.get("order")).get("number")),
                webshop=ctx.get("webshop"),  # the edited draft keeps the shop's look (its logo)
                redirected_from=Redirected(original.to, original.cc) if original else None)
            return NewMessage(p.role, p.lang, p.template_id, message_id, envelope_from, to, cc,
                              raw=None, draft=draft, status="draft", bcc=bcc)
        from mailgitops.render.email import render_email
        from mailgitops.render.mime import build_message
        from mailgitops.render.mime_bytes import serialise

        email = render_email(compiled, p.template_id, p.lang, ctx)
        if original:
            from mailgitops.dispatch.delivery import with_banner

            email = with_banner(email, mode, original)
        msg = build_message(email, sender=sender, to=to_pairs, cc=cc, message_id=message_id,
                            date=datetime.now(UTC), attachments=attachment_files(p.attachments),
                            extra_headers=original.headers() if original else (), reply_to=p.reply_to)
        raw, bodies = serialise(msg)
        return NewMessage(p.role, email.lang, p.template_id, message_id, envelope_from, to, cc,
                          raw=raw, bcc=bcc, bodies=None if bodies is None else tuple(bodies))

    def flush(self, *, force: bool = False) -> FlushReport:
        self._check_open()
        report = self.sender.flush(force=force)
        report.recovered, self.recovered = self.recovered, 0
        return report
