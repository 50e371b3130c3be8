"""`mailgitops bounces ingest`: delivery status notifications into the outbox."""

from __future__ import annotations

import sys

import click

from mailgitops.cli.dispatch import outbox_option
from mailgitops.cli.dispatch_core import echo_json
from mailgitops.cli.main import CONTEXT, run


def _ingest(source: str, outbox: str | None, webhook: str | None) -> int:
    from mailgitops.bounces.ingest import ingest
    from mailgitops.dispatch.outbox_backends import open_outbox
    from mailgitops.errors import ExitCode, MailgitopsError

    try:  # a mistyped outbox made an empty one, and every report went to `unmatched` in it
        ob = open_outbox(outbox, existing=True)
    except MailgitopsError as e:
        # 75: an MTA pipe keeps the report and hands it over again once the path is fixed
        raise MailgitopsError(e.message, hint=e.hint, exit_code=ExitCode.TEMPORARY) from None
    try:
        summary, code = ingest(ob, source, webhook)
    finally:
        ob.close()
    echo_json(summary)
    sys.stderr.write(f"mailgitops bounces ingest: {summary['read']} message(s) read, {summary['reports']} "
                     f"delivery report(s), {sum(1 for b in summary['bounced'] if b['new'])} bounce(s) "
                     f"recorded, {sum(1 for b in summary['bounced'] if not b['new'])} recorded before, "
                     f"{len(summary['unmatched'])} not matched"
                     + (f", {len(summary['not_understood'])} not understood (see not_understood)"
                        if summary["not_understood"] else "")
                     + (f"; webhook: {summary['webhook']}" if summary["webhook"] else "") + "\n")
    return code


def register(group: click.Group) -> None:
    @group.group("bounces", context_settings=CONTEXT)
    def bounces() -> None:
        """Bounces that arrive after the server said 250, recorded on the message they are about.

        \b
        Examples:
          mailgitops bounces ingest /var/mail/printroom/Maildir --outbox /var/lib/mailgitops/outbox.sqlite
        """

    @bounces.command("ingest")
    @click.argument("source", default="-", metavar="[MAILDIR|MBOX|FILE|-]")
    @outbox_option
    @click.option("--webhook", default=None, metavar="URL",
                  help="POST the bounces URL has not taken yet to it, as JSON (else "
                       "MAILGITOPS_BOUNCE_WEBHOOK; MAILGITOPS_BOUNCE_WEBHOOK_TOKEN is sent as a bearer "
                       "token).")
    def ingest_cmd(source: str, outbox: str | None, webhook: str | None) -> None:
        """Read delivery status notifications (RFC 3464) and record each failed recipient as
        `bounced`, with the DSN's status code and diagnostic, on the outbox message whose
        Message-ID the DSN returns.

        SOURCE is a Maildir, an mbox file, a file with one message, or - (default) for one
        message on standard input, so the MTA can pipe bounces to it. Other mail is skipped.
        Running it again on the same mail records nothing twice. Exit 0; 75 when the outbox
        cannot be opened or the webhook failed (the MTA retries; bounces already recorded stay);
        1 when SOURCE cannot be read.

        \b
        Examples:
          mailgitops bounces ingest /var/mail/printroom/Maildir
          mailgitops bounces ingest - < bounce.eml
        """
        run(_ingest, source, outbox, webhook)
