"""Where the values of a variable namespace sit in an event: `order.*` under $.order, `job.*` in
each of $.order.jobs, `approver.*` in each of $.approvers (and $.approver). What the required
values and the formatted values' checks both walk."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mailgitops.jsonshape import JsonObject, JsonValue


def places(event: JsonObject, head: str) -> Iterator[tuple[str, JsonValue]]:
    """(JSON path, node) of each place a value of namespace `head` comes from."""
    if head == "job":
        order = event.get("order")
        jobs = order.get("jobs") if isinstance(order, Mapping) else None
        for i, job in enumerate(jobs if isinstance(jobs, list) else []):
            yield f"$.order.jobs[{i}]", job
    elif head == "approver":
        approvers = event.get("approvers")
        listed = approvers if isinstance(approvers, list) else []
        for i, person in enumerate(listed):
            yield f"$.approvers[{i}]", person
        if "approver" in event or not listed:
            yield "$.approver", event.get("approver")
    else:
        yield f"$.{head}", event.get(head)
