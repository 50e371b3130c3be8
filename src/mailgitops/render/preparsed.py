"""Markdown parsed when the bundle is built, so that `dispatch` sends without a Markdown parser.

A body's structure (markdown.Structure) depends only on its Jinja output with every value a
token: which `{% if %}` branches ran and how often each loop ran, never the values themselves.
The bundle carries the structure of every template and language rendered with each sample event
(as the dispatcher would render it, and as the preview shows it). An event of another shape (a
branch or a job count no sample has) is parsed at send time as before, and kept in the per-user
disk cache; nothing is ever sent differently, only found sooner.

The entries are keyed by the Jinja output, the theme and the direction, and stamped with the
code that made them (markdown.py, text.py, markers.py, markdown-it and its plugins): a
dispatcher whose code differs ignores them and parses, so a bundle from another version never
changes what this one renders."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailgitops.render import diskcache, markdown

if TYPE_CHECKING:  # build time only
    from mailgitops.model import Repo
    from mailgitops.render.compiled import CompiledTemplates

JOB_COUNTS = (1, 2, 3)  # besides each sample's own: how many jobs an order most often has


@cache
def fingerprint() -> str:
    """The code the structures are made by, without the Python version (unlike the disk cache's
    key): the same Markdown and the same code give the same HTML on any Python."""
    from importlib.util import find_spec

    here = Path(markdown.__file__).parent
    files = [markdown.__file__, str(here / "text.py"), str(here / "markers.py"),
             *(getattr(find_spec(name), "origin", None) for name in ("markdown_it", "mdit_py_plugins"))]
    parts: list[str | bytes] = []
    for f in files:
        try:
            parts.append(Path(f).read_bytes() if f else b"missing")
        except OSError:
            parts.append(b"unreadable")
    return diskcache.digest(*parts)


def use(stored: Mapping[str, Any] | None) -> int:
    """Take a bundle's structures (`{"code": ..., "entries": {key: packed}}`) when this code made
    them; otherwise none are used. Returns how many are in use."""
    markdown._PREPARSED.clear()
    markdown._structure.cache_clear()
    if not stored or stored.get("code") != fingerprint():
        return 0
    entries = stored.get("entries")
    if not isinstance(entries, Mapping) or not all(isinstance(v, str) for v in entries.values()):
        return 0  # not what `mailgitops bundle` writes: every body is parsed here instead
    markdown._PREPARSED.update(entries)
    return len(entries)


def _shapes(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The sample as it is, and with 1, 2 and 3 jobs (the first job repeated)."""
    shapes = [dict(data)]
    order = data.get("order")
    jobs = order.get("jobs") if isinstance(order, Mapping) else None
    if isinstance(order, Mapping) and isinstance(jobs, list) and jobs:
        for n in JOB_COUNTS:
            if n != len(jobs):
                more = [jobs[i] if i < len(jobs) else jobs[0] for i in range(n)]
                shapes.append({**data, "order": {**order, "jobs": more}})
    return shapes


def collect(repo: Repo, compiled: CompiledTemplates) -> dict[str, Any]:
    """The structures of every template and language with every sample's shapes, as the bundle
    stores them. A combination that does not render (a sample without what a template needs)
    has nothing to store: at send time such an event is refused before Markdown anyway."""
    from mailgitops.errors import MailgitopsError
    from mailgitops.render.context import build_context
    from mailgitops.render.email import body_tokens
    from mailgitops.render.layout import direction
    from mailgitops.render.preview import _recipient, _sender

    entries: dict[str, str] = {}
    for sample in repo.samples.values():
        for data in _shapes(sample.data):
            sender, shop_name = _sender(repo, data)
            shop = repo.webshops.get(str(data.get("webshop", "")))
            # keyed by the theme the email is rendered with: its webshop's, where it has one
            theme_json = json.dumps(compiled.theme_for(shop.id if shop else None), sort_keys=True)
            order_url = (shop.order_url if shop else None) or repo.workflow.order_url
            for tid, t in sorted(compiled.templates.items()):
                recipient = _recipient(data, repo.templates[tid].audience)
                for preview in (False, True):
                    ctx = build_context(data, recipient=recipient, order_url=order_url, sender=sender,
                                        webshop_name=shop_name, preview=preview,
                                        timezone=repo.workflow.timezone,
                                        date_formats=repo.workflow.date_formats)
                    for lang in sorted(t.texts):
                        try:
                            text = body_tokens(compiled, tid, lang, ctx)
                        except MailgitopsError:
                            continue
                        rtl = direction(lang) == "rtl"
                        key = markdown.preparsed_key(text, theme_json, rtl)
                        if key not in entries:
                            entries[key] = markdown.pack(markdown.parse_now(text, theme_json, rtl))
    return {"code": fingerprint(), "entries": dict(sorted(entries.items()))}

