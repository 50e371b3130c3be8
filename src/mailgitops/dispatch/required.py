"""The values a trigger's events must carry (the catalog's `requires`), checked before anything is
planned: an event without one is refused at that field, so a template may print a required value
as it is, and validate asks for a guard around every other value. The values a template formats
are checked here too (dispatch/value_types.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mailgitops.dispatch.event_places import places
from mailgitops.jsonshape import JsonObject, JsonValue

if TYPE_CHECKING:  # made only for an event that lacks a value
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.settings import Settings


def missing(event: JsonObject, dotted: str) -> Iterator[str]:
    """The JSON path of each place `dotted` (e.g. `order.number`, `job.product.name`) is absent."""
    head, *parts = dotted.split(".")
    for base, start in places(event, head):
        node = start
        for part in parts:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None or node == "":
            yield ".".join([base, *parts])


def check(settings: Settings, event: JsonValue, source: str,
          reads: TriggerReads | None = None) -> list[Diagnostic]:
    """What the trigger requires and is not there, and what a template formats and could not:
    with `reads` (the bundle's templates), only the values the trigger's templates read; without,
    every typed value."""
    if not isinstance(event, dict):
        return []
    from mailgitops.dispatch import value_types

    read = None if reads is None else reads(event.get("trigger"))
    return _missing(settings, event, source) + value_types.check(event, source, read)


class TriggerReads:
    """What each trigger's emails read, worked out once per trigger for a loaded bundle: searching
    every template text of every language took about 1 ms, at every event."""

    def __init__(self, settings: Settings, templates: Mapping[str, Any]) -> None:
        self._settings = settings
        self._templates = templates
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, trigger: object) -> frozenset[str]:
        if not isinstance(trigger, str):
            return frozenset()
        got = self._known.get(trigger)
        if got is None:  # two threads may both work it out: the same answer, stored twice
            got = self._known[trigger] = read_by_trigger(self._settings, self._templates, trigger)
        return got


def read_by_trigger(settings: Settings, templates: Mapping[str, Any], trigger: object) -> frozenset[str]:
    """The typed variables any email of `trigger` reads: every template it sends (each role's),
    every language, subject, preheader and body. An unknown trigger reads none (it is refused)."""
    from mailgitops.dispatch import value_types

    entry = settings.workflow.triggers.get(trigger) if isinstance(trigger, str) else None
    if entry is None:
        return frozenset()
    ids = {entry.template, *entry.templates.values()}
    texts = [str(text.get(part) or "") for tid in sorted(ids) if isinstance(templates.get(tid), Mapping)
             for text in templates[tid].get("texts", {}).values() if isinstance(text, Mapping)
             for part in ("subject", "preheader", "body")]
    return value_types.read_by(texts)


def _missing(settings: Settings, event: JsonObject, source: str) -> list[Diagnostic]:
    trigger = event.get("trigger")
    entry = settings.catalog.get(trigger) if isinstance(trigger, str) else None
    if entry is None or not entry.requires:
        return []
    holes = [(path, name) for name in entry.requires for path in missing(event, name)]
    if not holes:
        return []
    from mailgitops.diagnostics import error

    return [error(source, 0, 0, "missing-value",
                  f"{path}: `{name}` is required for `{trigger}` events (its emails print it)",
                  json_path=path, hint=f"send `{name}` with every `{trigger}` event")
            for path, name in holes]
