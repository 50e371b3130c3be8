"""`bounces ingest`: DSNs from a Maildir, an mbox, one message file or standard input (a pipe
from the MTA), each failed recipient recorded as `bounced` on the outbox message it is about
(found by Message-ID), and optionally posted to the order system's webhook.

Safe to run again on the same mail: a bounce already recorded is not recorded twice, and one
whose webhook call failed is posted again."""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mailgitops.bounces.dsn import RecipientReport, parse
from mailgitops.dispatch.outbox import Outbox, Row, iso
from mailgitops.errors import ExitCode, MailgitopsError

WEBHOOK_ENV = "MAILGITOPS_BOUNCE_WEBHOOK"
WEBHOOK_TOKEN_ENV = "MAILGITOPS_BOUNCE_WEBHOOK_TOKEN"  # noqa: S105 -- the variable's name, not a token
MAX_MESSAGE_BYTES = 10_000_000


def messages(source: str) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every message in `source`: `-` (one message on stdin), a Maildir
    folder, an mbox file, or a file holding one message."""
    if source == "-":
        yield "stdin", sys.stdin.buffer.read(MAX_MESSAGE_BYTES)
        return
    path = Path(source)
    if path.is_dir():
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise MailgitopsError(f"{source} is a folder but not a Maildir (no cur/ and new/ in it)",
                                  hint="give a Maildir, an mbox file, or - for one message on stdin")
        # each message file in new/ and cur/, named by its own path (the Maildir key alone, as
        # printed before, named no file there is)
        for sub in ("new", "cur"):
            files = sorted(f for f in (path / sub).iterdir() if f.is_file() and not f.name.startswith("."))
            for file in files:
                with file.open("rb") as f:
                    yield str(file), f.read(MAX_MESSAGE_BYTES)
        return
    from mailgitops import private

    if private.known_sqlite(path):  # reading it here would drop SQLite's locks on it (private.py)
        raise MailgitopsError(f"{source} is the outbox (a SQLite database), not mail",
                              hint="give the Maildir, mbox or message file the bounces arrive in; --outbox "
                                   "names the outbox")
    try:
        with path.open("rb") as f:
            head = f.read(5)
    except OSError as e:
        raise MailgitopsError(f"cannot read {source}: {e.strerror}",
                              hint="give a Maildir, an mbox file, or - for one message on stdin") from e
    if head != b"From ":
        yield source, path.read_bytes()[:MAX_MESSAGE_BYTES]
        return
    mbox = mailbox.mbox(path, create=False)
    try:
        for n, key in enumerate(mbox.keys(), start=1):
            yield f"{source}#{n}", mbox.get_bytes(key)
    finally:
        mbox.close()


def _entry(row: Row, r: RecipientReport) -> int | None:
    """Index of the row's recipient the report is about (final, else original address)."""
    wanted = [a.lower() for a in (r.address, r.original) if a]
    for want in wanted:
        for i, rec in enumerate(row.recipients):
            if str(rec.get("address", "")).lower() == want:
                return i
    return None


MAX_MARKS = 8  # the reports remembered per recipient: more than a bounce ever has


def _mark(r: RecipientReport) -> str:
    """A report about one recipient, by what it says (the same report read again: the same mark)."""
    said = "\n".join((r.action, r.status, r.diagnostic, r.reporter, str(r.code)))
    return hashlib.sha256(said.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _record(ob: Outbox, row: Row, reports: list[RecipientReport], found: dict[str, Any]) -> None:
    recips = [dict(r) for r in row.recipients]
    changed = False
    for r in reports:
        i = _entry(row, r)
        if i is None:
            found["unmatched"].append({"message_id": row.message_id, "address": r.address,
                                       "why": "not one of the message's recipients"})
            continue
        rec = recips[i]
        # each report is known by what it says: two about one recipient (a relay's and the final
        # server's) were each taken for new on every run, recorded and posted again, and the
        # stored result flipped between them (a mail operations walk)
        kept = rec.get("reports")
        seen = [str(x) for x in kept] if isinstance(kept, list) else []
        mark = _mark(r)
        before = not seen and rec.get("result") == "bounced" and rec.get("status") == r.status
        new = mark not in seen and not before  # `before`: recorded by a version keeping no marks
        if new:
            rec.update(result="bounced", code=r.code, text=r.diagnostic, status=r.status,
                       reported_by=r.reporter, bounced_at=iso(time.time()), notified=False)
        if mark not in seen:
            rec["reports"] = [*seen, mark][-MAX_MARKS:]
            changed = True
        # `new`: recorded by this run; false for a report read again (a Maildir left in place
        # is read whole by every run: the summary must not count its bounces again each time).
        # `first_post`: no post carrying it was made before; a bounce posted again after a post
        # that failed said only `new: false`, which told its receiver nothing it could use
        item = {"outbox_id": row.id, "event_id": row.event_id, "role": row.role,
                "message_id": row.message_id, "address": rec["address"], "kind": rec.get("kind"),
                "status": r.status, "code": r.code, "diagnostic": r.diagnostic,
                "bounced_at": rec["bounced_at"], "new": new, "first_post": not rec.get("posted")}
        found["bounced"].append(item)
        if not rec.get("notified"):
            found["to_notify"].append((row.id, i, item))
    if changed:
        ob.update(row.id, None, recipients=recips)


def _notify(ob: Outbox, url: str, found: dict[str, Any]) -> str | None:
    """POST the bounces the webhook has not taken; mark them posted, and notified when it took
    them. The error, or None."""
    items = [item for _, _, item in found["to_notify"]]
    body = json.dumps({"bounces": items}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    token = os.environ.get(WEBHOOK_TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    error = _post(urllib.request.Request(url, data=body, headers=headers, method="POST"))  # noqa: S310 -- scheme checked
    for row_id, i, _ in found["to_notify"]:
        row = ob.get(row_id)
        if row is not None and i < len(row.recipients):
            recips = [dict(r) for r in row.recipients]
            # posted even when it failed: the webhook may have had it (an answer lost on the way)
            recips[i]["posted"] = True
            if error is None:
                recips[i]["notified"] = True
            ob.update(row_id, None, recipients=recips)
    return error


def _post(request: urllib.request.Request) -> str | None:
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 -- scheme checked
            if not 200 <= resp.status < 300:
                return f"the webhook answered {resp.status}"
    except urllib.error.HTTPError as e:
        return f"the webhook answered {e.code}"
    except (urllib.error.URLError, OSError) as e:
        why = getattr(e, "reason", e)
        if isinstance(why, ConnectionRefusedError):  # in words, as `smtp check` says it: no errno
            return "the webhook refused the connection (is it running, on that port?); run again later"
        if isinstance(why, OSError) and why.strerror:
            return f"the webhook could not be reached: {why.strerror}; run again later"
        return f"the webhook could not be reached: {why}; run again later"
    return None


def _refuse_cleartext(url: str) -> None:
    """The posts carry customers' addresses and the bearer token: plain http only to this machine."""
    from urllib.parse import urlsplit

    from mailgitops.dispatch.smtp_trust import is_loopback

    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise MailgitopsError(f"the bounce webhook on {parts.hostname} is plain http: customers' addresses "
                              "and the webhook's token would cross the network unencrypted",
                              exit_code=ExitCode.USAGE,
                              hint=f"set {WEBHOOK_ENV} (or --webhook) to an https:// URL; plain http is for "
                                   "127.0.0.1 only")


def ingest(ob: Outbox, source: str, webhook: str | None = None) -> tuple[dict[str, Any], int]:
    """Record every failed recipient of every DSN in `source`; the summary and the exit code."""
    webhook = webhook or os.environ.get(WEBHOOK_ENV) or None
    if webhook and not webhook.startswith(("http://", "https://")):
        raise MailgitopsError(f"the bounce webhook {webhook!r} is not an http(s) URL",
                              exit_code=ExitCode.USAGE, hint=f"set {WEBHOOK_ENV} (or --webhook) to https://…")
    if webhook:
        _refuse_cleartext(webhook)
    found: dict[str, Any] = {"read": 0, "reports": 0, "not_reports": [], "not_understood": [],
                             "bounced": [], "unmatched": [], "to_notify": []}
    for where, raw in messages(source):
        found["read"] += 1
        report = parse(raw)
        if report is None:
            found["not_reports"].append(where)
            continue
        found["reports"] += 1
        if not report.recipients:  # a report, damaged or cut short: named, never dropped unseen
            found["not_understood"].append({"where": where, "why": "its delivery-status part names no "
                                             "recipient (no Final-Recipient line): look at it by hand"})
            continue
        failed = [r for r in report.recipients if r.action == "failed"]
        row = ob.find_message(report.message_id) if report.message_id else None
        if row is None:
            why = ("no message in the outbox has this Message-ID" if report.message_id else
                   "the report does not return the message's headers, so which message bounced "
                   "cannot be told: look at it by hand")
            found["unmatched"] += [{"message_id": report.message_id, "address": r.address, "why": why,
                                    "where": where} for r in failed]
            continue
        _record(ob, row, failed, found)
    error = _notify(ob, webhook, found) if webhook and found["to_notify"] else None
    summary = {k: v for k, v in found.items() if k != "to_notify"}
    summary["webhook"] = None if not webhook else (error or f"posted {len(found['to_notify'])} bounce(s)")
    return summary, int(ExitCode.TEMPORARY) if error else 0
