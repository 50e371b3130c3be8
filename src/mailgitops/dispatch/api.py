"""The dispatcher's Python API: load a bundle, handle one status event, get the outcome.

Order of work (RELIABILITY 1-3): check the event, decide the messages, render every one to its
final bytes with a Message-ID, commit them all in one transaction, and only then open a
connection. What cannot be delivered now stays queued."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mailgitops import bundle as bundle_mod
from mailgitops.dispatch import event as event_mod
from mailgitops.dispatch import rules
from mailgitops.dispatch.attachments import attachments_root_from
from mailgitops.dispatch.compose import compose
from mailgitops.dispatch.delivery import DeliveryMode, Original
from mailgitops.dispatch.outbox import NewMessage, Outbox, StoredEvent
from mailgitops.dispatch.outbox_backends import open_outbox
from mailgitops.dispatch.outcome import Outcome, entries
from mailgitops.dispatch.sender import Sender
from mailgitops.dispatch.sending import FlushReport, RetryPolicy
from mailgitops.dispatch.smtp import Connection, ServerConfig
from mailgitops.errors import BacklogFull, EventConflict, ExitCode, UsageError

if TYPE_CHECKING:
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.dispatch.required import TriggerReads
    from mailgitops.jsonshape import JsonDict, JsonObject, JsonValue
    from mailgitops.render.compiled import CompiledTemplates


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


# The stored event keeps only its content's hash, so what differs cannot be named: the hint says
# what usually does (a retry that rebuilds the event).
CONFLICT_HINT = ("a retry of the same status change must send the very same content, value for value "
                 "(occurred_at too: the same moment written in another zone, or 500.0 for 500, differs); "
                 "a new status change needs its own event_id")


def payload_hash(event: JsonObject) -> str:
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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

    @cached_property
    def _reads(self) -> TriggerReads:
        """Which typed values each trigger's emails read (an event is refused only for those)."""
        from mailgitops.dispatch.required import TriggerReads

        return TriggerReads(self.settings, self.bundle.compiled_raw["templates"])

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
        root = Path(attachments_root) if attachments_root else attachments_root_from(None)
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
            messages.append(compose(self.compiled, self.settings, data, p, mode,
                                    bundle_hash=self.bundle.hash))
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
        return Outcome(event_id, False, self._entries_of(stored_event.with_rows(ids)), report, str(mode))

    def _check_backlog(self) -> None:
        """Refuse (temporarily) what could not be sent soon: the caller keeps it and retries,
        instead of a queue that grows for ever while every answer says "accepted"."""
        depth, _ = self.outbox.backlog(self.max_backlog)
        if depth >= self.max_backlog:
            raise BacklogFull(f"{depth} messages are waiting to be sent (the limit is {self.max_backlog}); "
                              "nothing was accepted, send the event again later",
                              hint=f"sending is behind or stopped: check the SMTP server; {MAX_BACKLOG_ENV} "
                                   "sets the limit", exit_code=ExitCode.TEMPORARY)

    def _entries_of(self, stored: StoredEvent) -> tuple[JsonDict, ...]:
        return entries(self.outbox, self.sender.current_pause(), stored)

    def _unknown_trigger(self, data: JsonValue, source: str) -> list[Diagnostic]:
        """An unknown trigger and the values the trigger requires, named with the schema's problems,
        so one answer lists them all."""
        from mailgitops.dispatch import required

        got = rules.unknown_trigger(self.settings, data.get("trigger")) if isinstance(data, dict) else None
        unknown = [replace(got, file=source)] if got is not None else []
        return unknown + required.check(self.settings, data, source, self._reads)

    def _duplicate(self, prior: StoredEvent, digest: str) -> Outcome:
        if prior.payload_hash != digest:
            raise EventConflict(f"event {prior.event_id} was already handled with different content; "
                                "refused, nothing was queued",
                                hint=CONFLICT_HINT)
        return Outcome(prior.event_id, True, self._entries_of(prior), delivery=str(self.delivery()))

    def flush(self, *, force: bool = False) -> FlushReport:
        self._check_open()
        report = self.sender.flush(force=force)
        report.recovered, self.recovered = self.recovered, 0
        return report
