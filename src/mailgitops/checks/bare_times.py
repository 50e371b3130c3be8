"""A time printed as the order system sent it: `{{ order.submitted_at }}` shows
`2026-11-20T09:30:00Z` to the customer, in UTC whatever the print room's `timezone`, and in no
language. The `datetime` filter shows it in the print room's zone, with the zone's name, in the
email's language. Said as a warning, where it is printed. (A date printed as it is,
`2026-12-04`, names one day everywhere: it is left to the author.)"""

from __future__ import annotations

from jinja2 import nodes

from mailgitops.catalog import Catalog
from mailgitops.checks.jinja_names import Finding, Scope, catalog_name, chain, dotted
from mailgitops.diagnostics import Severity


def bare_time(node: nodes.Node, scope: Scope, cat: Catalog) -> Finding | None:
    """A finding when `node`, one item of `{{ ... }}`, is a datetime variable unfiltered."""
    if not isinstance(node, nodes.Getattr | nodes.Getitem):
        return None
    base, parts = chain(node)
    name = catalog_name(base, parts, scope, cat)
    spec = cat.variables.get(name) if name is not None else None
    if spec is None or spec.type != "datetime" or not isinstance(base, nodes.Name):
        return None
    shown = dotted(base.name, parts)
    return Finding(node.lineno, shown, "unformatted-time",
                   f"`{shown}` is printed as the order system sends it (`{spec.example}`): in UTC "
                   "whatever the print room's `timezone`, and in no language",
                   f"write {{{{ {shown} | datetime }}}} (or datetime('long'))", Severity.WARNING)
