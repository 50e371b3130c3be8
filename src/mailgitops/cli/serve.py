"""`mailgitops serve`: the HTTP service for the order system (docs/serve.md)."""

from __future__ import annotations

import os

import click

from mailgitops.cli.dispatch import attachments_root_option, bundle_option, delivery_option, outbox_option
from mailgitops.cli.main import CONTEXT, run


def console_for(service: object, host: str) -> object | None:
    """The operator console's ASGI app, when this installation has one (mounted at `/`)."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("mailgitops.console") is None or \
            importlib.util.find_spec("mailgitops.console.app") is None:
        return None
    made: object = importlib.import_module("mailgitops.console.app").console_app(service, host=host)
    return made


def serve(*, bundle: str, outbox: str | None, attachments_root: str | None, host: str, port: int,
          allow_tokenless: bool, senders: int, shutdown_seconds: float, delivery: str | None = None) -> int:
    from mailgitops.serve.auth import TOKEN_ENV, startup_token
    from mailgitops.serve.server import Server
    from mailgitops.serve.service import Service, log

    token = startup_token(os.environ.get(TOKEN_ENV), host, allow_tokenless=allow_tokenless)
    if token is None:
        log(f"warning: {TOKEN_ENV} is not set (--insecure-no-token): any local process can send emails")
    service = Service(bundle, outbox=outbox, attachments_root=attachments_root, token=token,
                      delivery=delivery)
    log(f"delivery: {service.delivery}")
    console = console_for(service, host)
    return Server(service, host, port, senders=senders, shutdown_seconds=shutdown_seconds,
                  console=console).run()  # type: ignore[arg-type]


def register(group: click.Group) -> None:
    @group.command("serve", context_settings=CONTEXT)
    @bundle_option
    @outbox_option
    @attachments_root_option
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="The address to listen on (loopback unless a proxy or the order system needs more).")
    @click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535),
                  help="The TCP port (0: any free port, printed at start).")
    @delivery_option
    @click.option("--senders", default=4, show_default=True, type=click.IntRange(1, 32),
                  help="How many SMTP sessions send in parallel.")
    @click.option("--shutdown-seconds", default=30.0, show_default=True, type=click.FloatRange(1, 3600),
                  help="On SIGTERM, how long to wait for requests and SMTP transactions in flight.")
    @click.option("--insecure-no-token", "allow_tokenless", is_flag=True,
                  help="Run without MAILGITOPS_API_TOKEN: only on a loopback host, only for local tests.")
    def serve_cmd(*, bundle: str, outbox: str | None, attachments_root: str | None, host: str, port: int,
                  allow_tokenless: bool, senders: int, shutdown_seconds: float, delivery: str | None) -> None:
        """The HTTP service for the order system: events, drafts, outbox, health, metrics.

        POST /events answers 202 once the messages are committed to the outbox; a few sender
        threads deliver them (with backoff, pausing on auth/TLS failures). Past
        MAILGITOPS_MAX_BACKLOG waiting messages, events get 503 with Retry-After. Every request
        except GET /health needs `Authorization: Bearer $MAILGITOPS_API_TOKEN` (at least 32
        bytes). SIGTERM or Ctrl-C stops it within --shutdown-seconds with exit 0. See docs/serve.md.

        \b
        Examples:
          export MAILGITOPS_API_TOKEN="$(openssl rand -hex 32)" MAILGITOPS_DELIVERY=production
          mailgitops serve --outbox /var/lib/mailgitops/outbox.sqlite --attachments-root /srv/print/jobs
          curl -H "Authorization: Bearer $MAILGITOPS_API_TOKEN" -H 'Content-Type: application/json' \\
               --data-binary @event.json http://127.0.0.1:8025/events
        """
        run(serve, bundle=bundle, outbox=outbox, attachments_root=attachments_root, host=host, port=port,
            allow_tokenless=allow_tokenless, senders=senders, shutdown_seconds=shutdown_seconds,
            delivery=delivery)
