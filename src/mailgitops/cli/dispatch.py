"""`mailgitops dispatch`, `drafts ...` and `outbox ...`: the runtime side.

Kept light on purpose: the dispatcher modules are imported inside the commands, and nothing
here pulls in the validator (jsonschema, yaml) or the layout compiler (mjml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from mailgitops.cli.dispatch_core import DEFAULT_BUNDLE, dispatch_event, dispatcher, echo_json
from mailgitops.cli.main import CONTEXT, run

if TYPE_CHECKING:
    from mailgitops.dispatch.api import Dispatcher
    from mailgitops.dispatch.outbox import Outbox
    from mailgitops.jsonshape import JsonDict


def with_dispatcher(bundle: str, outbox: str | None, root: str | None,
                    fn: Callable[[Dispatcher], object], delivery: str | None = None) -> int:
    with dispatcher(bundle, outbox, root, delivery) as d:
        echo_json(fn(d))
    return 0


def with_outbox(outbox: str | None, fn: Callable[[Outbox], object]) -> int:
    """For the commands that read or change what is stored (`outbox list/retry/resume/prune`,
    `drafts list/show/discard`): a SQLite outbox that is not there is named, not made."""
    from mailgitops.dispatch.outbox_backends import open_outbox

    ob = open_outbox(outbox, existing=True)
    try:
        echo_json(fn(ob))
    finally:
        ob.close()
    return 0


bundle_option = click.option("--bundle", envvar="MAILGITOPS_BUNDLE", default=DEFAULT_BUNDLE,
                             show_default=True, type=click.Path(dir_okay=False),
                             help="The bundle to run (MAILGITOPS_BUNDLE).")
outbox_option = click.option("--outbox", envvar="MAILGITOPS_OUTBOX", default=None,
                             help="The outbox: a SQLite file (MAILGITOPS_OUTBOX; default "
                                  "./mailgitops-outbox.sqlite) or a postgresql://USER@HOST/DB URL "
                                  "(password from PGPASSWORD or ~/.pgpass).")
delivery_option = click.option(
    "--delivery", default=None, metavar="production|redirect:ADDRESS",
    help="Where messages go (else MAILGITOPS_DELIVERY): production, or redirect:ADDRESS to send every "
         "message to ADDRESS only. Required to send: there is no default.")
attachments_root_option = click.option(
    "--attachments-root", "attachments_root", envvar="MAILGITOPS_ATTACHMENTS_ROOT", default=None,
    type=click.Path(file_okay=False),
    help="The folder event attachment paths are relative to (MAILGITOPS_ATTACHMENTS_ROOT); nothing "
         "outside it is read.")


def register(group: click.Group) -> None:
    @group.command("dispatch", context_settings=CONTEXT)
    @bundle_option
    @click.option("--event", "event", required=True,
                  help="The status event: a JSON file (or a YAML sample like config/samples/flyers.yaml), "
                       "or - for JSON on stdin.")
    @outbox_option
    @attachments_root_option
    @click.option("--queue-only", is_flag=True, help="Queue the messages; leave delivery to `outbox flush`.")
    @delivery_option
    def dispatch_cmd(*, bundle: str, event: str, outbox: str | None, attachments_root: str | None,
                     queue_only: bool, delivery: str | None) -> None:
        """Handle one status event and print the outcome as JSON.

        The messages are committed to the outbox (with their Message-IDs) before any connection
        opens, then delivered at once; what cannot be delivered stays queued for `outbox flush`.
        The same event_id again sends nothing ("duplicate": true). An event the schema rejects
        is refused with every problem named (exit 1) and nothing is queued. When the outbox
        cannot be written, nothing is accepted and the exit code is 75 (temporary: retry).
        Without a delivery mode (--delivery or MAILGITOPS_DELIVERY) nothing is accepted (exit 2).

        \b
        Examples:
          export MAILGITOPS_DELIVERY=production       # or redirect:qa@example.com on staging
          mailgitops dispatch --event event.json --attachments-root /srv/print/jobs
          mailgitops dispatch --event - < event.json  # the event on standard input
          mailgitops dispatch --event config/samples/flyers.yaml --delivery redirect:you@example.com
        """
        run(dispatch_event, bundle, event, outbox, attachments_root, queue_only, delivery=delivery)

    @group.group("drafts", context_settings=CONTEXT)
    def drafts() -> None:
        """Emails held for an operator to edit and send by hand.

        \b
        Examples:
          export MAILGITOPS_OUTBOX=/var/lib/mailgitops/outbox.sqlite
          mailgitops drafts list                            # what waits for an operator
          mailgitops drafts edit 42 --subject "Your quotation for order 1001, revised"
          mailgitops drafts send 42 --delivery production   # nothing goes out before this
        """

    @drafts.command("list")
    @outbox_option
    @click.option("--all", "include_done", is_flag=True, help="Also drafts already sent or discarded.")
    def drafts_list(outbox: str | None, include_done: bool) -> None:
        """The drafts waiting for an operator, as JSON.

        \b
        Examples:
          mailgitops drafts list --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops drafts list --all      # also the drafts already sent or discarded
        """
        from mailgitops.dispatch import drafts as d

        run(with_outbox, outbox, lambda ob: d.list_drafts(ob, include_done=include_done))

    @drafts.command("show")
    @click.argument("draft_id", type=int)
    @outbox_option
    def drafts_show(draft_id: int, outbox: str | None) -> None:
        """One draft: recipients, subject and the Markdown body with the values filled in.

        \b
        Examples:
          mailgitops drafts show 42 --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops drafts show 42 | jq -r .markdown > body.md   # the body, to edit for --body
        """
        from mailgitops.dispatch import drafts as d

        run(with_outbox, outbox, lambda ob: d.show(ob, draft_id))

    @drafts.command("edit")
    @click.argument("draft_id", type=int)
    @click.option("--subject", default=None, help="The new subject (one line).")
    @click.option("--body", "body_file", default=None, type=click.Path(dir_okay=False, allow_dash=True),
                  help="A file with the new Markdown body, or - for stdin.")
    @click.option("--cc", "cc", multiple=True,
                  help="Replace CC with these addresses (repeat the option; needs allow_operator_cc).")
    @click.option("--no-cc", is_flag=True, help="Remove every CC address (needs allow_operator_cc).")
    @click.option("--attach", multiple=True,
                  help="Add a file under the attachments root (needs allow_operator_attachments).")
    @click.option("--detach", multiple=True, help="Remove a file the operator attached.")
    @bundle_option
    @outbox_option
    @attachments_root_option
    def drafts_edit(*, draft_id: int, subject: str | None, body_file: str | None, cc: tuple[str, ...],
                    no_cc: bool, attach: tuple[str, ...], detach: tuple[str, ...], bundle: str,
                    outbox: str | None, attachments_root: str | None) -> None:
        """Change a draft's subject, Markdown body, CC (if allowed) or extra files (if allowed).

        Prints the draft as it is now. Nothing is sent until `mailgitops drafts send`.

        \b
        Examples:
          export MAILGITOPS_OUTBOX=/var/lib/mailgitops/outbox.sqlite
          mailgitops drafts edit 42 --subject "Your quotation for order 1001, revised"
          mailgitops drafts edit 42 --body body.md    # body.md: the new Markdown (see drafts show)
          mailgitops drafts edit 42 --cc buyer@example.org --cc accounts@example.org   # or --no-cc
          mailgitops drafts edit 42 --cc "Boss <boss@example.org>"   # kept as boss@example.org
          mailgitops drafts edit 42 --attach po-1001/terms.pdf --attachments-root /srv/print/jobs
          mailgitops drafts send 42 --delivery production   # then send it
        """
        from mailgitops.dispatch import drafts as d

        def edit(disp: Dispatcher) -> JsonDict:
            body = None
            if body_file is not None:
                try:
                    with click.open_file(body_file, encoding="utf-8") as f:  # "-" is stdin, left open
                        body = f.read()
                except (OSError, UnicodeDecodeError) as e:  # the operator's file: theirs to fix
                    from mailgitops.errors import UsageError

                    why = e.strerror if isinstance(e, OSError) else "it is not UTF-8 text"
                    raise UsageError(f"--body {body_file}: cannot read the new body ({why})",
                                     hint="give a UTF-8 Markdown file, or - for stdin") from e
            new_cc = [] if no_cc else (list(cc) if cc else None)
            from mailgitops.dispatch.draft_record import command_line, recorder

            d.edit(disp, draft_id, subject=subject, markdown=body, cc=new_cc, attach=attach, detach=detach,
                   record=recorder(command_line(), "edited"))
            for entry in d.named_cc(cc):  # copied from a mail program: the address is what is kept
                click.echo(f"note: --cc {entry!r}: the CC keeps {d.cc_address(entry)} without the name "
                           "(a draft's CC holds addresses only)", err=True)
            return d.show(disp.outbox, draft_id)

        run(with_dispatcher, bundle, outbox, attachments_root, edit)

    @drafts.command("send")
    @click.argument("draft_id", type=int)
    @bundle_option
    @outbox_option
    @attachments_root_option
    @delivery_option
    def drafts_send(draft_id: int, bundle: str, outbox: str | None, attachments_root: str | None,
                    delivery: str | None) -> None:
        """Render the draft through the layout and send it; a second send sends nothing.
        Needs a delivery mode (--delivery or MAILGITOPS_DELIVERY; exit 2 without one).

        \b
        Examples:
          mailgitops drafts send 42 --delivery production --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops drafts send 42 --delivery redirect:qa@example.com   # staging: to that address only
        """
        from mailgitops.dispatch import drafts as d

        def send() -> int:
            from mailgitops.dispatch.delivery import resolve

            mode = resolve(delivery)  # first: without a delivery mode the outbox is not opened
            return with_dispatcher(bundle, outbox, attachments_root, lambda disp: d.send(disp, draft_id),
                                   str(mode))

        run(send)

    @drafts.command("discard")
    @click.argument("draft_id", type=int)
    @attachments_root_option
    @outbox_option
    def drafts_discard(draft_id: int, attachments_root: str | None, outbox: str | None) -> None:
        """Drop a draft: it is never sent. With the attachments root, the files an operator
        attached to it in the console go with it.

        \b
        Examples:
          mailgitops drafts discard 42 --outbox /var/lib/mailgitops/outbox.sqlite
          mailgitops drafts discard 42 --attachments-root /srv/print/jobs   # and its console uploads
        """
        from pathlib import Path

        from mailgitops.dispatch import drafts as d

        root = Path(attachments_root) if attachments_root else None
        run(with_outbox, outbox, lambda ob: d.discard(ob, draft_id, root))
