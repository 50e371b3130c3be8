"""`mailgitops outbox ...`: what is queued, sent, failed; send what is due; migrate, prune, resume."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mailgitops.cli.dispatch import (
    attachments_root_option,
    bundle_option,
    delivery_option,
    outbox_option,
    with_outbox,
)
from mailgitops.cli.dispatch_core import echo_json
from mailgitops.cli.main import CONTEXT, run
from mailgitops.dispatch.outbox import STATUSES, Outbox, listing  # a light module: the value types

if TYPE_CHECKING:
    from mailgitops.jsonshape import JsonDict


def retry_message(ob: Outbox, message: str) -> JsonDict:
    """`outbox retry`: by outbox id or by Message-ID (with or without its angle brackets)."""
    from mailgitops.errors import MailgitopsError

    hint = "`mailgitops outbox list` shows each message's outbox id, Message-ID and status"
    if message.strip().isdigit():
        row_id, shown = int(message), f"message {int(message)}"
    else:
        wanted = message.strip()
        wanted = wanted if wanted.startswith("<") else f"<{wanted}>"
        found = ob.find_message(wanted)
        if found is None:
            raise MailgitopsError(f"no message in this outbox has the Message-ID {wanted} (or the outbox id "
                                  f"{message!r}: an outbox id is a number)", hint=hint)
        row_id, shown = found.id, f"message {found.id} ({wanted})"
    retried = ob.retry(row_id)
    row = ob.get(row_id)
    if not retried or row is None:
        why = ("does not exist" if row is None else
               "was pruned: its body is gone, only the delivery record is kept" if row.pruned_at
               else f"is {row.status}; only queued, failed, expired or ambiguous messages are retried")
        if row is not None and row.pruned_at:  # nothing here can make it again: the order system can
            hint = (f"the email cannot be sent from the outbox again; have the order system send event "
                    f"{row.event_id} again under a new event_id (it is made anew from the current bundle)")
        raise MailgitopsError(f"{shown} {why}", hint=hint)
    return row.to_json()


def register(group: click.Group) -> None:
    @group.group("outbox", context_settings=CONTEXT)
    def outbox_group() -> None:
        """What is queued, sent, failed; send what is due now.

        \b
        Examples:
          export MAILGITOPS_OUTBOX=/var/lib/mailgitops/outbox.sqlite
          mailgitops outbox list --status failed          # what did not go out, and why
          mailgitops outbox retry 42                      # queue it again once the cause is fixed
          mailgitops outbox flush --delivery production   # send what is due now
        """

    @outbox_group.command("list")
    @click.option("--status", type=click.Choice(STATUSES), default=None,
                  help="Only messages in this state.")
    @click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True,
                  help="How many of the newest messages to show.")
    @outbox_option
    def outbox_list(status: str | None, limit: int, outbox: str | None) -> None:
        """The newest messages (newest last) and the count of each status, as JSON.

        When more messages match than --limit shows, `more` says how many were left out.

        \b
        Examples:
          mailgitops outbox list --outbox /var/lib/mailgitops/outbox.sqlite --limit 20
          mailgitops outbox list --status failed     # what failed for good, with the server's reply
          mailgitops outbox list --status queued     # what still waits, and until when
        """
        run(with_outbox, outbox, lambda ob: listing(ob, status, limit))

    @outbox_group.command("retry")
    @click.argument("message")
    @outbox_option
    def outbox_retry(message: str, outbox: str | None) -> None:
        """Queue MESSAGE again: a failed, expired or ambiguous one, or a queued one without waiting
        for its backoff. It keeps its Message-ID; `flush` sends it. Its lifetime is counted afresh:
        its created_at becomes the time of the retry.

        MESSAGE is the `outbox_id` from the outcome or `outbox list`, or the Message-ID.

        \b
        Examples:
          mailgitops outbox retry 42
          mailgitops outbox retry '<20261130091500.5f3a9c0e7d1b2a4c6e8f@print.example.com>'"""
        run(with_outbox, outbox, lambda ob: retry_message(ob, message))

    @outbox_group.command("flush")
    @bundle_option
    @outbox_option
    @delivery_option
    @click.option("--now", "now", is_flag=True,
                  help="Also send the messages waiting for their next attempt, at once: once the "
                       "SMTP server is back after an outage (their backoff grew up to an hour).")
    def outbox_flush(bundle: str, outbox: str | None, delivery: str | None, now: bool) -> None:
        """Send every message that is due now, then say what still waits and until when.

        A pause after a TLS or server failure is tried again at once (run it once that is fixed).
        After a rejected password nothing is tried until the password changes or
        `mailgitops outbox resume` is run. Prints a JSON summary on standard output and one line
        for a person on standard error.

        Exit codes: 0 nothing is left waiting; 75 messages still wait (their backoff has not
        ended, the server is down, sending is paused, or another process is sending one): run it
        again later; 1 a message failed for good, expired or was found corrupt in this flush (see
        `mailgitops outbox list --status failed`), even when others still wait; 2 no delivery
        mode (--delivery or MAILGITOPS_DELIVERY), nothing is sent.

        \b
        Examples:
          export MAILGITOPS_DELIVERY=production
          mailgitops outbox flush --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops outbox flush >/dev/null   # from cron: the stderr line and exit code say enough
          mailgitops outbox flush --now        # the SMTP server is back: send what waits, at once
          mailgitops outbox flush --delivery redirect:qa@example.com   # staging: to that address only
        """
        run(_flush, bundle, outbox, delivery, now)

    @outbox_group.command("resume")
    @outbox_option
    def outbox_resume(outbox: str | None) -> None:
        """End a pause (after a rejected password, say): the next flush or sender loop tries again.

        \b
        Examples:
          mailgitops outbox resume --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops outbox resume && mailgitops outbox flush --delivery production   # send now
        """
        run(with_outbox, outbox, _resume)

    @outbox_group.command("prune")
    @click.option("--older-than", "older_than", required=True,
                  help="Drop the bodies of messages finished longer ago than this: 90d, 12h, 2w.")
    @outbox_option
    def outbox_prune(older_than: str, outbox: str | None) -> None:
        """Drop message bodies and attachments of finished messages (sent, failed, expired,
        discarded, corrupt); the delivery record stays: who, what, when, Message-ID and each
        recipient's result. Queued messages and drafts are never touched.

        \b
        Examples:
          mailgitops outbox prune --older-than 90d --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops outbox prune --older-than 2w     # keep the bodies of two weeks only
        """
        run(_prune, outbox, older_than)

    @outbox_group.command("forget")
    @click.option("--older-than", "older_than", required=True,
                  help="Forget who messages finished longer ago than this went to: 730d, 104w.")
    @attachments_root_option
    @outbox_option
    def outbox_forget(older_than: str, attachments_root: str | None, outbox: str | None) -> None:
        """Drop the addresses from finished messages older than that (To, CC, BCC, each recipient's
        address and the server's text), after dropping their bodies as prune does, and the files
        attached to them in the console. The Message-ID, times, status and each recipient's result
        stay, and an old event sent again is still a duplicate.

        \b
        Examples:
          mailgitops outbox forget --older-than 730d --attachments-root /srv/print/jobs
          mailgitops outbox forget --older-than 104w --outbox /var/lib/mailgitops/outbox.sqlite
        """
        run(_forget, outbox, older_than, attachments_root)

    @outbox_group.command("migrate")
    @click.option("--to", "to", type=int, default=None, metavar="VERSION",
                  help="Take the outbox back to this older schema version instead, for a rollback to "
                       "the mailgitops that knows only that one (SQLite: 3, what the versions of "
                       "2026-11-30 and 2026-12-01 read). Run by this version, before the older one is "
                       "installed.")
    @outbox_option
    def outbox_migrate(to: int | None, outbox: str | None) -> None:
        """Bring the outbox's schema up to this version of mailgitops (back it up first).

        A dispatcher, `serve` or `flush` never runs on an older schema: they stop and name this
        command. Stop everything that opens the outbox first. A SQLite outbox is copied to
        PATH.before-migrate-vN before it changes (the JSON names the copy as `backup`); dump a
        PostgreSQL one yourself. Running it again when the schema is current changes nothing.
        To roll back, `--to` takes a SQLite outbox back to the older version, keeping every
        message, draft and result.

        \b
        Examples:
          mailgitops outbox migrate --outbox /var/lib/mailgitops/outbox.sqlite
          pg_dump -Fc -f outbox-before-upgrade.dump postgresql://mailgitops@db.example.com/mailgitops
          mailgitops outbox migrate --outbox postgresql://mailgitops@db.example.com/mailgitops
          mailgitops outbox migrate --to 3 --outbox /var/lib/mailgitops/outbox.sqlite  # before a rollback
        """
        from mailgitops.dispatch.outbox_backends import migrate

        def apply() -> int:
            def waiting() -> None:
                click.echo("the outbox is busy (another `outbox migrate`, or a process that should have "
                           "been stopped first): waiting for it, up to 10 minutes...", err=True)

            echo_json(migrate(outbox, to, waiting))
            return 0

        run(apply)


def _flush(bundle: str, outbox: str | None, delivery: str | None, now: bool = False) -> int:
    import sys

    from mailgitops.cli.dispatch_core import dispatcher
    from mailgitops.dispatch.delivery import resolve
    from mailgitops.dispatch.summary import flush_summary, summary_line

    mode = resolve(delivery)  # first: without a delivery mode the outbox is not even opened
    with dispatcher(bundle, outbox, None, mode) as d:
        if now and (made := d.outbox.due_now()):
            sys.stderr.write(f"mailgitops outbox flush: {made} message(s) waiting for their next attempt "
                             "are sent now\n")
        summary, code = flush_summary(d.outbox, d.flush(force=True))
        zone = d.bundle.settings.workflow.timezone
    echo_json({**summary, "delivery": str(mode)})
    sys.stderr.write(f"mailgitops outbox flush: {summary_line(summary, zone)}\n")
    return code


def _resume(ob: Outbox) -> JsonDict:
    pause = ob.paused()
    ob.pause(0.0, "")
    return {"resumed": pause is not None, "was_paused_for": pause.reason if pause else None}


def _prune(outbox: str | None, older_than: str) -> int:
    import time

    from mailgitops.dispatch.outbox import parse_duration

    seconds = parse_duration(older_than)  # a bad duration is named before the outbox is opened
    return with_outbox(outbox, lambda ob: {"older_than": older_than, **ob.prune(time.time() - seconds)})


def _forget(outbox: str | None, older_than: str, attachments_root: str | None) -> int:
    import time
    from pathlib import Path

    from mailgitops.dispatch.forget import forget
    from mailgitops.dispatch.outbox import parse_duration

    seconds = parse_duration(older_than)  # a bad duration is named before the outbox is opened
    root = Path(attachments_root) if attachments_root else None
    cutoff = time.time() - seconds
    return with_outbox(outbox, lambda ob: {"older_than": older_than, **forget(ob, cutoff, root)})
