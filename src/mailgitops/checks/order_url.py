"""`order_url` (workflow.yaml and each webshop's): the link an email's `order.url` is made from.
Only the placeholders the renderer fills in may appear: any other `{name}` (a typo, a Jinja
`{{ order.number }}`, the original product's `%OrderNumber%`) would reach the customer literally,
as a link that leads nowhere. A link to a domain reserved for examples (the `init` scaffold's
print.example.com) is a warning: every email's link to the order would lead nowhere too."""

from __future__ import annotations

import re
from dataclasses import replace

from mailgitops import placeholders
from mailgitops.checks.placeholders import PLACEHOLDER
from mailgitops.diagnostics import Diagnostic, Severity
from mailgitops.render.context import ORDER_URL_PLACEHOLDERS
from mailgitops.repo import LoadedRepo
from mailgitops.suggest import closest
from mailgitops.yamlsrc import YamlDoc

WORKFLOW_FILE = "config/workflow.yaml"
WEBSHOPS_DIR = "config/webshops/"
# `{name}`, `{{ name }}` (Jinja habit) and `%Name%` (the original product's placeholders)
_CANDIDATE = re.compile(r"\{\{?\s*([^{}]*?)\s*\}?\}|" + PLACEHOLDER.pattern)
_PERCENT_ESCAPE = re.compile(r"[0-9A-Fa-f]{2}")
KNOWN = ", ".join(f"`{{{p}}}`" for p in ORDER_URL_PLACEHOLDERS)


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for file, doc in sorted(loaded.docs.items()):
        if file == WORKFLOW_FILE or (file.startswith(WEBSHOPS_DIR) and file.endswith((".yaml", ".yml"))):
            out.extend(_check_doc(doc, loaded.sources.get(file, "")))
    return out


def _check_doc(doc: YamlDoc, source: str) -> list[Diagnostic]:
    url = doc.data.get("order_url") if isinstance(doc.data, dict) else None
    if not isinstance(url, str):
        return []  # absent, or not text: the schema says so
    out = _example_link(doc, url)
    for m in _CANDIDATE.finditer(url):
        written = m.group(0)
        name = (m.group(1) if m.group(1) is not None else m.group(2) or "").strip()
        if written == f"{{{name}}}" and name in ORDER_URL_PLACEHOLDERS:
            continue
        if m.group(2) is not None and _PERCENT_ESCAPE.fullmatch(m.group(2)):
            continue  # `%E2%` of `%E2%82%AC`: a URL's own escape, not a placeholder
        guess = _guess(name)
        hint = (f"did you mean `{{{guess}}}`?" if guess else
                f"write {KNOWN} where the order number goes; nothing else is filled in")
        diag = doc.at(("order_url",), "unknown-order-url-placeholder",
                      f"order_url: `{written}` is not a placeholder mailgitops fills in (known: {KNOWN}); "
                      "it would appear literally in every order link", hint=hint)
        out.append(replace(diag, col=diag.col + _offset(source, diag.line, diag.col) + m.start()))
    return out


def _example_link(doc: YamlDoc, url: str) -> list[Diagnostic]:
    """A warning when the link's host is a domain reserved for examples (as example addresses)."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(_CANDIDATE.sub("x", url)).hostname
    except ValueError:
        return []  # not a URL at all: the schema's pattern says so
    if not host or not placeholders.reserved(f"x@{host}"):
        return []
    diag = doc.at(("order_url",), "example-link",
                  f"order_url: `{url}` is on `{host}`, a domain reserved for examples: every "
                  "email's link to the order would lead nowhere",
                  hint="put the address of the print room's own order pages there before going live")
    return [replace(diag, severity=Severity.WARNING)]


def _guess(name: str) -> str | None:
    """The known placeholder `name` most likely means (`order.number`, `OrderNumber`, `order_nubmer`)."""
    flat = name.lower().replace(".", "_")
    if flat.replace("_", "") in {p.replace("_", "") for p in ORDER_URL_PLACEHOLDERS}:
        return next(p for p in ORDER_URL_PLACEHOLDERS if p.replace("_", "") == flat.replace("_", ""))
    return closest(flat, ORDER_URL_PLACEHOLDERS)


def _offset(source: str, line: int, col: int) -> int:
    """1 when the value at (line, col) starts with a quote, so that columns point into the text."""
    lines = source.splitlines()
    if 0 < line <= len(lines) and lines[line - 1][col - 1:col] in ("'", '"'):
        return 1
    return 0
