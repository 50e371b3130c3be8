"""The runtime side of `dispatch` without click: read an event, hand it to the dispatcher, print
the outcome. Used by the click command and by the fast console entry (cli/entry.py)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailgitops.dispatch.api import Dispatcher
    from mailgitops.dispatch.delivery import DeliveryMode

DEFAULT_BUNDLE = "bundle/mailgitops.bundle.json"


def echo_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def dispatcher(bundle: str, outbox: str | None, attachments_root: str | None,
               delivery: str | DeliveryMode | None = None) -> Dispatcher:
    from mailgitops.dispatch.api import Dispatcher

    return Dispatcher.load(bundle, outbox=outbox, attachments_root=attachments_root, delivery=delivery)


def read_event(source: str) -> Any:
    """The event from a JSON file, stdin (-) or a sample order in YAML; not yet checked."""
    return read_event_text(source)[0]


def placed(e: Exception, text: str | None, source: str) -> Exception:
    """A refusal with each problem at its line and column of the event's JSON text (`event.json:
    7:18`), so an editor jumps there; `e` itself for YAML or a refusal with nothing to place."""
    from mailgitops.errors import MailgitopsError

    if text is None or not isinstance(e, MailgitopsError) or not e.diagnostics:
        return e
    from mailgitops.dispatch.event_lines import with_lines  # only now: a refusal, not the send path

    return with_lines(e, text, source)


def read_event_text(source: str) -> tuple[Any, str | None]:
    """The event and, for JSON, its text (to place problems at their lines)."""
    from mailgitops.dispatch.event import MAX_EVENT_BYTES, too_large
    from mailgitops.errors import MailgitopsError

    # at most one byte over the cap is read: a 300 MB event is refused without reading it whole
    if source == "-":
        raw = sys.stdin.buffer.read(MAX_EVENT_BYTES + 1)
    else:
        try:
            with open(source, "rb") as f:
                raw = f.read(MAX_EVENT_BYTES + 1)
        except OSError as e:
            raise MailgitopsError(f"cannot read the event {source}: {e.strerror}",
                                  hint="pass --event a readable JSON file, or --event - for stdin") from e
    named = "stdin" if source == "-" else source  # as the refusal of its values names it
    if len(raw) > MAX_EVENT_BYTES:
        raise too_large(named)
    if source.endswith((".yaml", ".yml")):  # sample orders (config/samples) are events in YAML
        from mailgitops.yamlsrc import load_yaml

        try:  # "replace" let a Latin-1 sample through: the customer's name went out with U+FFFD in it
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            at = f"byte 0x{raw[e.start]:02x} at offset {e.start}"
            raise MailgitopsError(f"{source}: not UTF-8 text ({at}); nothing was queued",
                                  hint="save the event as UTF-8") from None
        doc, diags = load_yaml(text, source)  # NaN/.inf: refused by require_valid
        if diags:
            raise MailgitopsError(f"{source} is not valid YAML", diagnostics=diags)
        return doc.data, None
    from mailgitops.dispatch.event import load_json

    data = load_json(raw, named)  # checked against the schema by Dispatcher.handle
    return data, raw.decode("utf-8-sig")  # load_json read it as UTF-8 already


def dispatch_event(bundle: str, event: str, outbox: str | None, root: str | None, queue_only: bool,
                   *, delivery: str | None = None) -> int:
    """`mailgitops dispatch`: handle one event and print the outcome (docs/dispatcher.md)."""
    from mailgitops.dispatch.delivery import resolve

    mode = resolve(delivery)  # first: without a delivery mode nothing is read, stored or sent
    data, text = read_event_text(event)
    source = event if event != "-" else "stdin"
    with dispatcher(bundle, outbox, root, mode) as d:
        try:
            outcome = d.handle(data, deliver=not queue_only, source=source)
        except Exception as e:
            raise placed(e, text, source) from None
    echo_json(outcome.to_json())
    return 0
