"""Every text of every template, rendered with each sample order that triggers it (its default
sample when none does), under the send path's deterministic limits (steps, value size, output
size, recursion). A template that fails here would fail every such event at send time, so it
fails `validate` and `bundle`, located at its file and line, instead.

Only the Jinja runs (subject, preheader, body): Markdown and the layout cannot loop or grow, and
`render` and the snapshots cover them."""

from __future__ import annotations

from dataclasses import replace

from mailgitops.diagnostics import Diagnostic
from mailgitops.errors import ExitCode, MailgitopsError
from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import render_jinja
from mailgitops.render.preview import default_sample, preview_context


def samples_for(repo: Repo, template_id: str) -> list[str]:
    """The sample orders whose trigger sends this template, else its default sample."""
    triggers = {tid for tid, t in repo.workflow.triggers.items() if t.template == template_id}
    names = [name for name, s in sorted(repo.samples.items()) if s.data.get("trigger") in triggers]
    return names or [default_sample(repo, template_id)]


def render_every_text(repo: Repo, compiled: CompiledTemplates, skip: frozenset[str] = frozenset()
                      ) -> list[Diagnostic]:
    """Errors of every text that fails to render; texts in `skip` (files the template checks
    already found broken, such as a Jinja syntax error) are left to those checks."""
    out: list[Diagnostic] = []
    for tid, t in sorted(compiled.templates.items()):
        if tid not in repo.templates:
            continue
        failed: set[str] = set()  # one report per text: the first sample that breaks it
        for sample in samples_for(repo, tid):
            ctx = preview_context(repo, tid, sample)
            for lang in sorted(t.texts):
                if lang in failed or t.texts[lang].file in skip:
                    continue
                try:
                    render_jinja(compiled, tid, lang, ctx)
                except MailgitopsError as e:
                    if e.exit_code == ExitCode.TEMPORARY:
                        continue  # this machine was too slow: says nothing about the template
                    failed.add(lang)
                    out.extend(replace(d, hint=d.hint or f"it fails with the sample order `{sample}`")
                               for d in e.diagnostics)
    return out
