"""`mailgitops serve`: the HTTP service for the order system (docs/serve.md)."""

from __future__ import annotations

import os

import click

from mailgitops.cli.dispatch import bundle_option, delivery_option, outbox_option, root_option
from mailgitops.cli.main import CONTEXT, run


def serve(*, bundle: str, outbox: str | None, attachments_root: str | None, host: str, port: int,
          allow_tokenless: bool, delivery: str | None = None) -> int:
    from mailgitops.serve.auth import TOKEN_ENV, startup_token
    from mailgitops.serve.http import Server
    from mailgitops.serve.loop import log
    from mailgitops.serve.service import Service

    token = startup_token(os.environ.get(TOKEN_ENV), host, allow_tokenless=allow_tokenless)
    if token is None:
        log(f"warning: {TOKEN_ENV} is not set (--insecure-no-token): any local process can send emails")
    service = Service(bundle, outbox=outbox, attachments_root=attachments_root, token=token,
                      delivery=delivery)
    log(f"delivery: {service.delivery}")
    return Server(service, host, port).run()


def register(group: click.Group) -> None:
    @group.command("serve", context_settings=CONTEXT)
    @bundle_option
    @outbox_option
    @root_option
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="The address to listen on (loopback unless a proxy or the order system needs more).")
    @click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535),
                  help="The TCP port (0: any free port, printed at start).")
    @delivery_option
    @click.option("--insecure-no-token", "allow_tokenless", is_flag=True,
                  help="Run without MAILGITOPS_API_TOKEN: only on a loopback host, only for local tests.")
    def serve_cmd(*, bundle: str, outbox: str | None, attachments_root: str | None, host: str, port: int,
                  allow_tokenless: bool, delivery: str | None) -> None:
        """The HTTP service for the order system: events, drafts, outbox, health, metrics.

        POST /events answers 202 once the messages are committed to the outbox; a sender loop
        delivers them (with backoff, pausing on auth/TLS failures). Every request except
        GET /health needs `Authorization: Bearer $MAILGITOPS_API_TOKEN`. SIGTERM or Ctrl-C stops
        it cleanly (the SMTP transaction in flight is finished) with exit 0. See docs/serve.md.
        """
        run(serve, bundle=bundle, outbox=outbox, attachments_root=attachments_root, host=host, port=port,
            allow_tokenless=allow_tokenless, delivery=delivery)
