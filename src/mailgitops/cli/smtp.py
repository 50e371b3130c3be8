"""`mailgitops smtp check` and `smtp send-test --to ADDR`, against the configured server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailgitops.cli.main import CONTEXT, root_option, run

if TYPE_CHECKING:
    from mailgitops.dispatch.smtp import Connection
    from mailgitops.settings import Settings, SmtpSettings


def _settings(root: str, bundle: str | None) -> SmtpSettings:
    return _all_settings(root, bundle).smtp


def _all_settings(root: str, bundle: str | None) -> Settings:
    from mailgitops.errors import MailgitopsError

    if bundle is not None:
        from mailgitops.bundle import load

        return load(bundle).settings
    from mailgitops.bundle import settings_of
    from mailgitops.repo import load_repo

    loaded = load_repo(Path(root))
    smtp_diags = [d for d in loaded.diagnostics if d.file == "config/smtp.yaml"]
    if smtp_diags:
        raise MailgitopsError("config/smtp.yaml has problems", diagnostics=smtp_diags,
                              hint="run `mailgitops validate`")
    return settings_of(loaded.repo)


def _open(smtp: SmtpSettings) -> Connection:
    from mailgitops.dispatch.smtp import Connection, ServerConfig, TransportError
    from mailgitops.dispatch.smtp_check import STAGE_HINTS, TRANSIENT
    from mailgitops.errors import ExitCode, MailgitopsError

    cfg = ServerConfig.from_settings(smtp)
    conn = Connection(cfg)
    try:
        conn.open()
    except TransportError as e:
        # a server that is down for now is "try again later", as for every other command
        code = ExitCode.TEMPORARY if e.kind in TRANSIENT else ExitCode.PROBLEMS
        hint = None if e.kind == "cert" else STAGE_HINTS.get(conn.stage)
        where = f" (at {conn.stage})" if e.kind != "config" else ""  # no connection was tried
        if e.kind == "config":
            hint = "give the password where config/smtp.yaml's auth says: that environment variable or file"
        raise MailgitopsError(f"the test email was not sent{where}: {e.message}", hint=hint,
                              exit_code=code) from e
    return conn


def _describe(smtp: SmtpSettings) -> str:
    s, a = smtp.server, smtp.auth
    trust = ("pinned certificate" if s.pin_sha256 else "the configured ca_file" if s.ca_pem
             else "the system's trusted CAs")
    tls = "no TLS" if s.security == "none" else f"{s.security}, certificate verified against {trust}"
    auth = f"authenticated as {a.username}" if a.mode == "custom" else "anonymous"
    return f"{s.host}:{s.port} ({tls}; {auth})"


def _check(root: str, bundle: str | None, to: str | None) -> int:
    from mailgitops.addresses import problem
    from mailgitops.dispatch.rules import single_address
    from mailgitops.dispatch.smtp import ServerConfig
    from mailgitops.dispatch.smtp_check import dry_run
    from mailgitops.errors import MailgitopsError, UsageError

    settings = _all_settings(root, bundle)
    smtp = settings.smtp
    sender = smtp.sender.address
    # the sender as dispatch and send-test judge it: a check that says ok for an address every
    # email would be refused with is no check (a mail operations walk: printroom@printroom.test)
    if (wrong := problem(sender)) is not None:
        raise MailgitopsError(f"config/smtp.yaml sender.address {sender!r} {wrong[0]}", hint=wrong[1])
    to = to or sender
    if not single_address(to):
        why = problem(to)
        raise UsageError(f"--to {to!r} {why[0] if why else 'is not one email address'}",
                         hint=why[1] if why else "give one address, like you@example.org")
    from mailgitops.placeholders import warning

    # what a new repository ships with, still there before going live: said whether or not the
    # server answers (a server that is down said only why it failed)
    for n, line in enumerate(warning(settings)):
        click.echo(f"warning: {line}" if n == 0 else line, err=True)
    report = dry_run(ServerConfig.from_settings(smtp), sender, to,
                     warn=lambda text: click.echo(f"warning: {text}", err=True))
    for step in report.steps:
        click.echo(f"  {step}")
    limit = f"{report.size_limit:,} bytes" if report.size_limit else "not announced"
    click.echo(f"  the server's message size limit: {limit} (configured: "
               f"{smtp.limits.max_message_bytes:,} bytes)")
    click.echo(f"ok: {_describe(smtp)}; nothing was sent")
    return 0


def _send_test(root: str, bundle: str | None, to: str) -> int:
    from email.message import EmailMessage
    from email.policy import SMTP, SMTPUTF8

    from mailgitops.dispatch.compose import new_message_id
    from mailgitops.dispatch.rules import single_address
    from mailgitops.errors import ExitCode, MailgitopsError, UsageError
    from mailgitops.render.mime import address

    if not single_address(to):
        raise UsageError(f"--to {to!r} is not one email address")
    smtp = _settings(root, bundle)
    sender = smtp.sender
    # zoë@example.com cannot be an encoded word: UTF-8 headers (RFC 6532), downgraded when sent to
    # a server without SMTPUTF8 (the address is then refused by name)
    ascii_only = all(a.rpartition("@")[0].isascii() for a in (sender.address, to))
    msg = EmailMessage(policy=SMTP if ascii_only else SMTPUTF8)
    msg["From"] = address(sender.address, sender.name)
    msg["To"] = address(to)
    msg["Subject"] = "mailgitops test email"
    msg["Date"] = datetime.now(UTC)
    msg["Message-ID"] = new_message_id(sender.address)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(f"This is a test email from mailgitops, sent through {_describe(smtp)}.\n"
                    "If you can read it, the print room's emails can reach this address.\n")
    conn = _open(smtp)
    try:
        result = conn.deliver(sender.address, [to], msg.as_bytes())
    finally:
        conn.close()
    if result.accepted:
        click.echo(f"sent: {msg['Message-ID']} to {to} via {_describe(smtp)} ({result.reply})")
        return 0
    reason = result.reply or "; ".join({**result.temporary, **result.permanent}.values())
    later = bool(result.temporary) and not result.permanent  # a 4xx: the server asks to try again
    # what to do, as `smtp check` says it: a recipient refused is that address, not the setup
    hint = ("the server will take it later: send the test again in a few minutes" if later else
            f"the server refused {to}: try another address with --to" if result.permanent else None)
    raise MailgitopsError(f"the test email was not accepted: {reason}"
                          + (" (the server may still have it)" if result.ambiguous else ""), hint=hint,
                          exit_code=ExitCode.TEMPORARY if later else ExitCode.PROBLEMS)


bundle_opt = click.option("--bundle", default=None, type=click.Path(dir_okay=False),
                          help="Use the settings in this bundle instead of the repository's config/.")


def register(group: click.Group) -> None:
    @group.group("smtp", context_settings=CONTEXT)
    def smtp() -> None:
        """Test the SMTP server settings.

        \b
        Examples:
          mailgitops smtp check --to you@example.com       # a whole transaction; sends nothing
          mailgitops smtp send-test --to you@example.com   # a real test email
        """

    @smtp.command("check")
    @root_option
    @bundle_opt
    @click.option("--to", "to", default=None, metavar="ADDR",
                  help="The recipient to try with RCPT TO (default: the sender).")
    def check_cmd(root: str, bundle: str | None, to: str | None) -> None:
        """Try a whole transaction without sending anything: EHLO, STARTTLS or TLS, AUTH,
        MAIL FROM the sender, RCPT TO --to, then RSET and QUIT.

        Says plainly which step failed, with the server's reply and what to change: name not
        found, connection refused, timeout, a tls/starttls port mix-up, certificate not trusted or
        not matching the pin (with the fingerprint it saw), authentication rejected, sender or
        recipient refused. Warns when the EHLO name is not fully qualified, when the
        configured message size limit is above the server's, and for each example address
        (example.com and the like, where no mail arrives) still in the settings. Exit 75 when
        the server may just be down for now.

        \b
        Examples:
          mailgitops smtp check --to you@example.com
          mailgitops smtp check --bundle bundle/mailgitops.bundle.json   # what the dispatcher runs
        """
        run(_check, root, bundle, to)

    @smtp.command("send-test")
    @root_option
    @bundle_opt
    @click.option("--to", "to", required=True, metavar="ADDR", help="The address to send the test email to.")
    def send_test_cmd(root: str, bundle: str | None, to: str) -> None:
        """Send a short test email through the configured server.

        Exit 0 when the server accepted it; 75 when the server may just be down for now or asks
        to try again later (a 4xx); 1 for anything a retry will not fix (a refused password or
        recipient, an untrusted certificate, a missing password).

        \b
        Examples:
          MAILGITOPS_SMTP_PASSWORD=... mailgitops smtp send-test --to you@example.com
          mailgitops smtp send-test --to you@example.com --bundle bundle/mailgitops.bundle.json
        """
        run(_send_test, root, bundle, to)
