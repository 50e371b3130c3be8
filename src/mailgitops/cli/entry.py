"""The console script. `dispatch` with plain options runs without importing click.

The order system starts `mailgitops dispatch` once per status event, so its cold start counts
(issue 4: at most 2x the bare imports of smtplib, sqlite3 and jinja2); click alone costs ~20 ms.
Only the exact, well-formed option forms are handled here; anything else (--help, a typo, a
missing value) goes to the click command, which owns the help text and the usage errors."""

from __future__ import annotations

import os
import sys

_VALUED = {"--bundle": "bundle", "--event": "event", "--outbox": "outbox",
           "--attachments-root": "attachments_root", "--delivery": "delivery"}
_FLAGS = {"--queue-only": "queue_only"}


def parse_dispatch(argv: list[str]) -> dict[str, object] | None:
    """The options of `dispatch` as the click command would see them, or None to defer to click."""
    from mailgitops.cli.dispatch_core import DEFAULT_BUNDLE

    opts: dict[str, object] = {
        "bundle": os.environ.get("MAILGITOPS_BUNDLE") or DEFAULT_BUNDLE,
        "event": None,
        "outbox": os.environ.get("MAILGITOPS_OUTBOX") or None,
        "attachments_root": os.environ.get("MAILGITOPS_ATTACHMENTS_ROOT") or None,
        "queue_only": False,
        "delivery": None,  # None: MAILGITOPS_DELIVERY, read (and required) by the dispatcher
    }
    seen: set[str] = set()
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name in _FLAGS and not eq:
            key = _FLAGS[name]
            opts[key] = True
        elif name in _VALUED:
            key = _VALUED[name]
            if not eq:
                i += 1
                if i >= len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                    return None
                value = argv[i]
            if not value:
                return None
            opts[key] = value
        else:
            return None
        if key in seen:  # click would take the last; let it say so in its own words
            return None
        seen.add(key)
        i += 1
    return opts if opts["event"] is not None else None


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["dispatch"]:
        opts = parse_dispatch(argv[1:])
        if opts is not None:
            from mailgitops.cli.dispatch_core import dispatch_event
            from mailgitops.cli.runner import run

            run(dispatch_event, opts["bundle"], opts["event"], opts["outbox"], opts["attachments_root"],
                opts["queue_only"], delivery=opts["delivery"])
    from mailgitops.cli.main import main as click_main

    click_main()
