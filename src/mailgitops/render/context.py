"""The Jinja context of one email, made from a status event (and, in previews, catalog examples)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mailgitops.identity import Mailbox
from mailgitops.people import approver_for

if TYPE_CHECKING:
    from mailgitops.catalog import VariableSpec

_NAMESPACES = ("order", "customer", "operator", "cost_centre", "quote", "decision", "delivery", "export")


def _dict(value: Any) -> dict[str, Any]:
    return _copy(dict(value), {}) if isinstance(value, Mapping) else {}


_ATOMS = (str, int, float, bool, type(None))


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    """copy.deepcopy (the same memo: a dict or list met twice is copied once and shared, as
    deepcopy does) for what an event holds, JSON's dicts, lists, text and numbers, at a fraction of
    its cost per event; anything else (a preview's YAML dates) goes through deepcopy itself. An
    event is at most event_values.MAX_DEPTH deep, so the recursion is bounded."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is not dict and kind is not list:
        return copy.deepcopy(value, memo)
    got = memo.get(id(value))
    if got is not None:
        return got
    if kind is dict:
        new: dict[str, Any] = {}
        memo[id(value)] = new
        for k, v in value.items():
            new[k] = _copy(v, memo)
        return new
    items: list[Any] = []
    memo[id(value)] = items
    items.extend(_copy(v, memo) for v in value)
    return items


ORDER_URL_PLACEHOLDERS = ("order_number",)  # what order_link fills in; validate refuses any other


def order_link(order_url: str, number: Any) -> str:
    """workflow.yaml's (or a webshop's) `order_url` with `{order_number}` filled in (URL-quoted)."""
    return order_url.replace("{order_number}", quote(str(number), safe=""))


def _set_missing(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = target
    for key in parents:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {} if child is None else child
            if not isinstance(child, dict):
                return
        node = child
    if node.get(leaf) is None:
        node[leaf] = copy.deepcopy(value)


def _fill_examples(ctx: dict[str, Any], examples: Mapping[str, VariableSpec] | None) -> None:
    """Previews only: a value the sample lacks is taken from the variable catalog's example (the
    repository's catalog when given: its own variables have their own examples)."""
    if examples is None:
        from mailgitops import catalog  # here, not at the top: the send path never loads yaml

        examples = catalog.variables()
    job_vars = {}
    for name, spec in examples.items():
        if spec.per_job:
            job_vars[name.removeprefix("job.")] = spec.example
        elif name not in ("order.jobs", "order.url"):  # the link comes from the repository's order_url
            _set_missing(ctx, name, spec.example)
    order = ctx["order"]
    if not order.get("jobs"):
        order["jobs"] = [{}]
        order["job_count"] = 1
    for job in order["jobs"]:
        for name, example in job_vars.items():
            _set_missing(job, name, example)


def build_context(
    event: Mapping[str, Any],
    *,
    recipient: Mapping[str, Any] | None,
    order_url: str | None,
    sender: Mailbox,
    webshop_name: str | None,
    preview: bool = False,
    timezone: str = "UTC",
    date_formats: Mapping[str, Mapping[str, str]] | None = None,
    namespaces: Sequence[str] = (),
    examples: Mapping[str, VariableSpec] | None = None,
) -> dict[str, Any]:
    """Namespaces the event lacks stay missing at dispatch (StrictUndefined names them);
    with `preview=True` they are filled from the catalog's examples (`examples`: the repository's
    catalog's variables). `namespaces`: the repository's own (config/catalog.yaml), copied too."""
    ctx: dict[str, Any] = {}
    for ns in (*_NAMESPACES, *namespaces):
        if isinstance(event.get(ns), Mapping):
            ctx[ns] = _dict(event[ns])
    if "order" in ctx or preview:
        order = ctx.setdefault("order", {})
        jobs = [_dict(j) for j in order.get("jobs") or [] if isinstance(j, Mapping)]
        order["jobs"] = jobs
        order.setdefault("job_count", len(jobs))
        if order_url and order.get("number") is not None and not order.get("url"):
            order["url"] = order_link(order_url, order["number"])
    approver = approver_for(event, recipient)
    if approver is not None:
        ctx["approver"] = _dict(approver)
    shop = event.get("webshop")
    if isinstance(shop, str):
        ctx["webshop"] = {"id": shop, "name": webshop_name or shop}
    # the timezone travels with the print room: the date filters read it (render/formats.py)
    ctx["printroom"] = {"name": sender.name or sender.address, "email": sender.address, "timezone": timezone}
    if date_formats:  # workflow.yaml `date_formats`, read by the same filters
        ctx["printroom"]["date_formats"] = {k: dict(v) for k, v in date_formats.items()}
    if preview:
        _fill_examples(ctx, examples)
        # the link a preview shows is the one the repository would send (never the catalog's
        # example), made from the example order number when the sample has none
        order = ctx["order"]
        if order_url and not order.get("url"):
            order["url"] = order_link(order_url, order["number"])
    return ctx
