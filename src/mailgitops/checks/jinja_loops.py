"""A `{% for %}` over something that is no list: one value (`order.number`: its letters) or a
group of values (`customer`: its key names). Found at the loop, so that the loop's body is not
judged by a wrong binding (an error for every value it prints)."""

from __future__ import annotations

from jinja2 import nodes

from mailgitops.catalog import Catalog
from mailgitops.checks.jinja_names import Scope, catalog_name, chain, dotted


def not_a_list(value: nodes.Node, scope: Scope, cat: Catalog) -> tuple[str, str] | None:
    """(what is written, what it is) when a `{% for %}` goes through a catalog value that is no
    list (`order.number`: its letters) or a group of values (`customer`: its key names)."""
    if not isinstance(value, (nodes.Name, nodes.Getattr)):
        return None  # a filter, a call, a literal: what it gives is not known here
    base, parts = chain(value)
    cur = catalog_name(base, parts, scope, cat)
    if cur is None or not isinstance(base, nodes.Name):
        return None
    spec = cat.variables.get(cur)
    if spec is not None:
        return None if spec.type == "list" else (dotted(base.name, parts), f"a single value ({spec.type})")
    if any(n.startswith(f"{cur}.") for n in cat.variables):
        return dotted(base.name, parts), "a group of values"
    return None
