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
    if len(raw) > MAX_EVENT_BYTES:
        raise too_large(source)
    if source.endswith((".yaml", ".yml")):  # sample orders (config/samples) are events in YAML
        from mailgitops.yamlsrc import load_yaml

        doc, diags = load_yaml(raw.decode("utf-8", "replace"), source)  # NaN/.inf: refused by require_valid
        if diags:
            raise MailgitopsError(f"{source} is not valid YAML", diagnostics=diags)
        return doc.data
    from mailgitops.dispatch.event import load_json

    return load_json(raw, source)  # checked against the schema by Dispatcher.handle


def dispatch_event(bundle: str, event: str, outbox: str | None, root: str | None, queue_only: bool,
                   *, delivery: str | None = None) -> int:
    """`mailgitops dispatch`: handle one event and print the outcome (PRODUCT.md section 3)."""
    from mailgitops.dispatch.delivery import resolve

    mode = resolve(delivery)  # first: without a delivery mode nothing is read, stored or sent
    data = read_event(event)
    with dispatcher(bundle, outbox, root, mode) as d:
        outcome = d.handle(data, deliver=not queue_only, source=event if event != "-" else "stdin")
    echo_json(outcome.to_json())
    return 0
