"""Every text of every template, rendered with each sample order that triggers it (its default
sample when none does) and with the minimal event of each of those triggers (only what the
catalog `requires`, examples as values), under the send path's deterministic limits (steps, value size, output
size, recursion). A template that fails here would fail every such event at send time, so it
fails `validate` and `bundle`, located at its file and line, instead.

Only the Jinja runs (subject, preheader, body): Markdown and the layout cannot loop or grow, and
`render` and the snapshots cover them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mailgitops import catalog
from mailgitops.diagnostics import Diagnostic
from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.context import build_context
from mailgitops.render.email import render_jinja
from mailgitops.render.preview import default_sample, preview_context


def samples_for(repo: Repo, template_id: str) -> list[str]:
    """The sample orders whose trigger sends this template, else its default sample."""
    triggers = {tid for tid, t in repo.workflow.triggers.items() if t.template == template_id}
    names = [name for name, s in sorted(repo.samples.items()) if s.data.get("trigger") in triggers]
    return names or [default_sample(repo, template_id)]


def minimal_event(trigger: str) -> dict[str, Any]:
    """An event of `trigger` with only the values the catalog requires (each its example), one
    job when jobs are required, and the people's addresses."""
    examples = catalog.variables()
    event: dict[str, Any] = {"event_id": "minimal", "trigger": trigger}
    job: dict[str, Any] = {}
    for name in catalog.triggers()[trigger].requires:
        head, *rest = name.split(".")
        node = job if head == "job" else event.setdefault(head, {})
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = examples[name].example if name in examples else "x"
    if job:
        event.setdefault("order", {})["jobs"] = [job]
    for role in ("customer", "operator", "approver"):
        if role in event:
            event[role].setdefault("email", f"{role}@example.com")
    return event


def _contexts(repo: Repo, tid: str) -> list[tuple[str, dict[str, Any]]]:
    """(what it is, the Jinja context) for each sample and each minimal event of this template."""
    out = [(f"the sample order `{name}`", preview_context(repo, tid, name))
           for name in samples_for(repo, tid)]
    audience = repo.templates[tid].audience
    for trig_id, trig in sorted(repo.workflow.triggers.items()):
        if trig.template != tid or trig_id not in catalog.triggers():
            continue
        event = minimal_event(trig_id)
        person = event.get(audience) if isinstance(event.get(audience), dict) else None
        out.append((f"the smallest `{trig_id}` event (only what the trigger requires)",
                    build_context(event, recipient=person, order_url=repo.workflow.order_url,
                                  sender=repo.smtp.sender, webshop_name=None)))
    return out


def render_every_text(repo: Repo, compiled: CompiledTemplates, skip: frozenset[str] = frozenset()
                      ) -> list[Diagnostic]:
    """Errors of every text that fails to render; texts in `skip` (files the template checks
    already found broken, such as a Jinja syntax error) are left to those checks."""
    out: list[Diagnostic] = []
    for tid, t in sorted(compiled.templates.items()):
        if tid not in repo.templates:
            continue
        failed: set[str] = set()  # one report per text: the first event that breaks it
        for what, ctx in _contexts(repo, tid):
            for lang in sorted(t.texts):
                if lang in failed or t.texts[lang].file in skip:
                    continue
                try:
                    render_jinja(compiled, tid, lang, ctx)
                except MailgitopsError as e:
                    if e.exit_code == ExitCode.TEMPORARY:
                        continue  # this machine was too slow: says nothing about the template
                    failed.add(lang)
                    out.extend(replace(d, hint=d.hint or f"it fails with {what}") for d in e.diagnostics)
    return out
