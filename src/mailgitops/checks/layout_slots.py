"""A layout is made into HTML once for every email and language, and the slots (`slot.lang`,
`slot.content`, `slot.footer`, ...) are filled in afterwards. So a layout can print a slot, but a
test or filter on one (`{% if slot.lang == "de" %}` for a German legal line) sees a placeholder,
gives the same answer for every email and language, and the difference the admin meant never
happens: an error here, not a German email with the English imprint."""

from __future__ import annotations

from jinja2 import TemplateSyntaxError, nodes

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.render.jinja_env import environment
from mailgitops.repo import LoadedRepo


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for name, source in sorted(loaded.repo.layouts.items()):
        out.extend(_layout(f"templates/_layouts/{name}.mjml", source))
    return out


def _layout(file: str, source: str) -> list[Diagnostic]:
    try:
        tree = environment("en").parse(source)
    except TemplateSyntaxError:
        return []  # the layout's compile reports it at its line
    printed = {id(n) for out in tree.find_all(nodes.Output) for n in out.nodes}
    lines = source.splitlines()
    found: list[Diagnostic] = []
    for node in tree.find_all(nodes.Getattr):
        if not (isinstance(node.node, nodes.Name) and node.node.name == "slot") or id(node) in printed:
            continue
        shown = f"slot.{node.attr}"
        line = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
        found.append(error(
            file, node.lineno, line.find(shown) + 1 if shown in line else 1, "slot-not-printed",
            f"`{shown}` is filled in after the layout is made, so a test or filter on it gives the same "
            "result in every email and language (a branch for one language would never be taken)",
            hint=f"only print it, as {{{{ {shown} }}}}; words that differ by language belong in each "
            "template's <lang>.md (e.g. a last paragraph with {.note})"))
    return found
