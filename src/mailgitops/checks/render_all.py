"""Every text of every template, rendered with each sample order that triggers it (its default
sample when none does) and with the minimal event of each of those triggers (only what the
catalog `requires`, examples as values), under the send path's deterministic limits (steps, value size, output
size, recursion). A template that fails here would fail every such event at send time, so it
fails `validate` and `bundle`, located at its file and line, instead.

Only the Jinja runs (subject, preheader, body): Markdown and the layout cannot loop or grow, and
`render` and the snapshots cover them. And only each text's skeleton (its tags alone, see
checks/jinja_analysis.py): the text between tags is printed as it is and never changes what the
template does, and the translations of a template share one skeleton, so a 200-template,
10-language repository compiles 600 skeletons, not 6,000 texts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailgitops import catalog
from mailgitops.catalog import Catalog
from mailgitops.checks.jinja_analysis import skeleton
from mailgitops.diagnostics import Diagnostic, error
from mailgitops.errors import RenderTimeout
from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates, CompiledText
from mailgitops.render.context import build_context
from mailgitops.render.email import explain
from mailgitops.render.jinja_env import render_tokens, template_line
from mailgitops.render.preview import default_sample, preview_context


def samples_for(repo: Repo, template_id: str) -> list[str]:
    """The sample orders whose trigger sends this template, else its default sample."""
    triggers = {tid for tid, t in repo.workflow.triggers.items() if t.template == template_id}
    names = [name for name, s in sorted(repo.samples.items()) if s.data.get("trigger") in triggers]
    return names or [default_sample(repo, template_id)]


def minimal_event(trigger: str, cat: Catalog | None = None) -> dict[str, Any]:
    """An event of `trigger` with only the values the catalog requires (each its example), one
    job when jobs are required, and the people's addresses."""
    cat = cat or catalog.packaged()
    examples = cat.variables
    event: dict[str, Any] = {"event_id": "minimal", "trigger": trigger}
    job: dict[str, Any] = {}
    for name in cat.triggers[trigger].requires:
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


def template_events(repo: Repo, tid: str) -> list[tuple[str, dict[str, Any]]]:
    """(what it is, the Jinja context) for each sample and each minimal event of this template."""
    out = [(f"the sample order `{name}`", preview_context(repo, tid, name))
           for name in samples_for(repo, tid)]
    audience = repo.templates[tid].audience
    for trig_id, trig in sorted(repo.workflow.triggers.items()):
        if trig.template != tid or trig_id not in repo.catalog.triggers:
            continue
        event = minimal_event(trig_id, repo.catalog)
        person = event.get(audience) if isinstance(event.get(audience), dict) else None
        out.append((f"the smallest `{trig_id}` event (only what the trigger requires)",
                    build_context(event, recipient=person, order_url=repo.workflow.order_url,
                                  namespaces=repo.catalog.own_namespaces,
                                  sender=repo.smtp.sender, webshop_name=None)))
    return out


Failure = tuple[int, BaseException] | None  # (line of the skeleton, what it raised)


def _run(lang: str, skeleton_source: str, ctx: Mapping[str, Any]) -> Failure:
    try:
        render_tokens(lang, skeleton_source, ctx)
    except RenderTimeout:
        return None  # this machine was too slow: says nothing about the template
    except Exception as e:  # template code is user input: whatever it raises is its problem
        return max(template_line(e), 1), e
    return None


def render_text(lang: str, x: CompiledText, contexts: list[tuple[str, dict[str, Any]]],
                runs: dict[tuple[int, str], Failure]) -> Diagnostic | None:
    """The error of one text that fails to render: the first event (in `contexts` order) and part
    that breaks it. `runs` holds each (context, skeleton)'s outcome, shared by the translations of
    one template (validate keeps one per template; checks/rendered.py)."""
    for i, (what, ctx) in enumerate(contexts):
        for part, source, first in (("subject", x.subject, 2), ("preheader", x.preheader, 2),
                                    ("body", x.body, x.body_line)):
            if not source:
                continue
            split = skeleton(source)
            skel, line_of = split if split is not None else (source, None)
            if (i, skel) not in runs:
                runs[(i, skel)] = _run(lang, skel, ctx)
            got = runs[(i, skel)]
            if got is None:
                continue
            at = line_of[min(got[0], len(line_of) - 1)] if line_of else got[0]
            msg, hint = explain(got[1], source, at)
            return error(x.file, first + at - 1, 1, "render-error", f"the {part} cannot be rendered: {msg}",
                         hint=hint or f"it fails with {what}")
    return None


def render_every_text(repo: Repo, compiled: CompiledTemplates, skip: frozenset[str] = frozenset()
                      ) -> list[Diagnostic]:
    """Errors of every text that fails to render; texts in `skip` (files the template checks
    already found broken, such as a Jinja syntax error) are left to those checks."""
    out: list[Diagnostic] = []
    for tid, t in sorted(compiled.templates.items()):
        if tid not in repo.templates:
            continue
        contexts = template_events(repo, tid)
        runs: dict[tuple[int, str], Failure] = {}
        for lang, x in sorted(t.texts.items()):
            if x.file not in skip and (found := render_text(lang, x, contexts, runs)) is not None:
                out.append(found)
    return out
