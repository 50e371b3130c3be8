"""Warnings for `validate` (issue 3 item 7): HTML size, alt text, non-https links, translation drift.

They are read from the sources, so `validate` does not render 2,000 emails:
- alt text and links: each text's Markdown (checks/source_lint.py), at its line in the .md file. A
  link target that is a variable is judged by the value a preview gives it: `{{ order.url }}` is
  made from workflow.yaml `order_url`, which the schema requires to be https; other variables take
  the template's default sample, else the variable catalog's example. The layout's own images and
  links (the logo's alt text is theme.yaml `logo_alt`) are read once per layout from its compiled
  HTML shell.
- translation drift: the variable sets checks/jinja_analysis.py keeps for checks/templates.py (one
  walk per Jinja skeleton, no second parse).
- HTML size: a text is rendered (default sample, as `render` does) only when an upper bound of
  its HTML reaches RENDER_FROM_BYTES: the compiled layout shell's bytes + source_lint.html_bound of
  the body (each source byte 5 times, 120 bytes for each character that can open an element, text
  inside `{% for %}` once per item of the sample's longest list or literal range(), each value as
  long as the sample's longest) + subject, preheader and footer. Below it the email cannot reach
  Gmail's 102 KB clip unless filters make text (join, repetition); those are not bounded.
Texts the template checks found broken (a Jinja syntax error) are skipped: they are reported there.
`mailgitops render` lists the same lints per email from the real HTML (checks/html_lint.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from mailgitops.checks.html_lint import size_finding, tag_findings
from mailgitops.checks.jinja_analysis import syntax_error, variables
from mailgitops.checks.render_all import Failure, render_text, template_events
from mailgitops.checks.result_cache import per_file
from mailgitops.checks.source_lint import ESCAPE_FACTOR, html_bound, lint_markdown
from mailgitops.diagnostics import Diagnostic, Severity, error, warning
from mailgitops.errors import MailgitopsError
from mailgitops.model import Repo, TemplateText
from mailgitops.render.compiled import CompiledTemplates, compile_repo_diagnostics
from mailgitops.render.footer import longest
from mailgitops.render.layout import direction
from mailgitops.render.preview import default_sample, preview, preview_context
from mailgitops.repo import LoadedRepo

THEME_FILE = "templates/_layouts/theme.yaml"
RENDER_FROM_BYTES = 60 * 1024
# faults the checks report themselves, located at the value: a Jinja syntax error (checks/templates.py
# `jinja-syntax`; compiled here only with check_texts=True) and an unknown layout (checks/crossfile.py)
REPORTED_ELSEWHERE = frozenset({"template-syntax", "unknown-layout"})


class _Previews:
    """Preview contexts, one per (sample, audience), built only when a lint needs a value."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.contexts: dict[tuple[str, str], tuple[dict[str, Any], int, int]] = {}

    def get(self, tid: str, lang: str | None = None) -> tuple[dict[str, Any], int, int]:
        """(context, longest list, longest value in bytes) of template `tid`'s preview in `lang`
        (the sample render takes for that language: the size bound must be the preview's)."""
        sample = default_sample(self.repo, tid, lang)
        key = (sample, self.repo.templates[tid].audience)
        if key not in self.contexts:
            ctx = preview_context(self.repo, tid, sample)
            sizes = list(_sizes(ctx))
            self.contexts[key] = (ctx, max((n for n, _ in sizes), default=0),
                                  max((v for _, v in sizes), default=0))
        return self.contexts[key]

    def value(self, tid: str, name: str, lang: str | None = None) -> str | None:
        node: Any = self.get(tid, lang)[0]
        parts = name.split(".")
        if parts[0] == "job":  # inside {% for job in order.jobs %}: the first job, as previews show
            order = node.get("order")
            jobs = order.get("jobs") if isinstance(order, Mapping) else None
            node, parts = (jobs[0] if isinstance(jobs, list) and jobs else {}), parts[1:]
        for key in parts:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return None if node is None or isinstance(node, Mapping | list) else str(node)


def _sizes(node: Any) -> Iterator[tuple[int, int]]:
    """(list length, value bytes) of every list and leaf value in a context."""
    if isinstance(node, Mapping):
        for v in node.values():
            yield from _sizes(v)
    elif isinstance(node, list | tuple):
        yield len(node), 0
        for v in node:
            yield from _sizes(v)
    else:
        yield 0, len(str(node).encode("utf-8"))


def _shell_lints(loaded: LoadedRepo, compiled: CompiledTemplates) -> list[Diagnostic]:
    out: dict[tuple[str, str], Diagnostic] = {}
    for key, shell in sorted(compiled.shells.items()):
        layout, _dir, *look = key.split("/")
        file = f"templates/_layouts/{layout}.mjml"
        shop = _shop_of(compiled, look[0]) if look else None  # a webshop's own look
        theme = compiled.theme_for(shop) if shop else compiled.theme
        for f in tag_findings(shell, theme):
            if f.logo:
                d = _logo_without_alt(loaded, shop, f.code, f.message, f.hint)
            else:
                lines = compiled.layout_sources.get(layout, "").split("\n")
                line = next((i for i, t in enumerate(lines, 1) if f.needle and f.needle in t), 1)
                col = lines[line - 1].find(f.needle) + 1 if f.needle and line <= len(lines) else 1
                d = warning(file, line, max(col, 1), f.code, f"the layout's {f.message}", hint=f.hint)
            out.setdefault((d.file, d.message), d)
    return list(out.values())


def _shop_of(compiled: CompiledTemplates, look: str) -> str | None:
    """The first webshop (by id) whose own look the layouts named `look` were compiled with."""
    from mailgitops.render.looks import look_name

    return next((sid for sid, own in sorted(compiled.shop_themes.items())
                 if look_name(compiled.theme, own) == look), None)


def _logo_without_alt(loaded: LoadedRepo, shop: str | None, code: str, message: str,
                      hint: str | None) -> Diagnostic:
    """At the logo's alt text where it is set (or the logo where it is not): theme.yaml, or the
    webshop file whose own logo it is."""
    own = loaded.repo.webshops[shop].theme if shop else {}
    if shop and "logo" in own:
        where = f"config/webshops/{shop}.yaml"
        doc = loaded.docs.get(where)
        pos = doc.key_pos(("theme", "logo_alt" if "logo_alt" in own else "logo")) if doc else None
        return warning(where, pos.line if pos else 1, pos.col if pos else 1, code,
                       f"this webshop's {message.removeprefix('the ')}",
                       hint=f"set `logo_alt` under `theme:` in {where}: what the logo shows, for "
                            "readers whose mail program hides images")
    doc = loaded.docs.get(THEME_FILE)
    alt_key = "logo_alt" if "logo_alt" in loaded.repo.theme else "logo"
    pos = doc.key_pos((alt_key,)) if doc else None
    return warning(THEME_FILE, pos.line if pos else 1, pos.col if pos else 1, code, message, hint=hint)


def _broken(x: TemplateText) -> bool:
    return any(syntax_error(s) is not None for s in (x.subject, x.preheader or "", x.body))


def _text_lints(repo: Repo, compiled: CompiledTemplates, previews: _Previews, tid: str,
                x: TemplateText) -> list[Diagnostic]:
    out = [(error if f.error else warning)(x.file, x.body_line + f.line - 1, f.col, f.code, f.message,
                                           hint=f.hint)
           for f in lint_markdown(x.body, lambda name: previews.value(tid, name, x.lang), repo.assets)]
    _ctx, items, value_bytes = previews.get(tid, x.lang)
    shell = compiled.shell(repo.templates[tid].layout, direction(x.lang))
    around = x.subject + (x.preheader or "") + longest(compiled.theme.get("footer"))
    bound = (len(shell.encode("utf-8")) + html_bound(x.body, items, value_bytes)
             + ESCAPE_FACTOR * (len(around.encode("utf-8")) + 3 * value_bytes))  # + the footer's values
    if bound < RENDER_FROM_BYTES:
        return out
    try:
        p = preview(repo, compiled, tid, x.lang, default_sample(repo, tid, x.lang))
    except MailgitopsError as e:
        return out + [replace(d, code="preview-failed").as_warning() for d in e.diagnostics]
    size = size_finding(p.email.html)
    if size:
        out.append(warning(x.file, 1, 1, size.code, size.message, hint=size.hint))
    return out


def _used(x: TemplateText, known: frozenset[str]) -> frozenset[str] | None:
    """The catalog values (`known`: the package's and the repository's own) a text shows, None
    when one of its parts does not parse. Catalog values only: an unknown name is already an error
    where it is written, and `loop.index` is no value a translation must show. The repository's
    catalog is a shared input of the result cache, so a cached set stays right."""
    found = [variables(s) for s in (x.subject, x.preheader or "", x.body)]
    if any(f is None for f in found):
        return None
    return known & frozenset().union(*(f for f in found if f))


def _variable_drift(loaded: LoadedRepo) -> list[Diagnostic]:
    repo = loaded.repo
    out: list[Diagnostic] = []
    default = repo.languages.default

    # catalog values only: an unknown name is already an error where it is written, and
    # `loop.index` is no value a translation must show
    known = frozenset(repo.catalog.variables)

    def used(x: TemplateText) -> frozenset[str] | None:
        return per_file("variables", x.file, loaded.sources.get(x.file, ""), partial(_used, x, known), None)

    for _tid, t in sorted(repo.templates.items()):
        base = t.texts.get(default)
        ref = used(base) if base is not None else None
        if ref is None:
            continue
        for lang, x in sorted(t.texts.items()):
            names = used(x) if lang != default else None
            if names is None:
                continue
            extra, missing = sorted(names - ref), sorted(ref - names)
            if extra or missing:
                parts = ([f"uses {', '.join(extra)}"] if extra else []) + (
                    [f"leaves out {', '.join(missing)}"] if missing else [])
                out.append(warning(x.file, 1, 1, "translation-variables",
                                   f"this translation {' and '.join(parts)}, unlike {default}.md",
                                   hint=f"translations should show the same values as {default}.md"))
    return out


class _Texts:
    """The per-text part of the render lints: the render-all run (an error when the text fails
    under the send path's limits), else the lints of its source. One text's result depends on that
    text and the shared inputs alone, so validate keeps it per file (checks/result_cache.py); the
    events of a template and their skeleton runs are made on the first text that needs them."""

    def __init__(self, repo: Repo, compiled: CompiledTemplates) -> None:
        self.repo, self.compiled = repo, compiled
        self.previews = _Previews(repo)
        self.events: dict[str, tuple[list[tuple[str, dict[str, Any]]], dict[tuple[int, str], Failure]]] = {}

    def check(self, tid: str, lang: str, x: TemplateText) -> list[Diagnostic]:
        if _broken(x):
            return []  # the template checks report it (a Jinja syntax error)
        if tid not in self.events:
            self.events[tid] = (template_events(self.repo, tid), {})
        contexts, runs = self.events[tid]
        failed = render_text(lang, self.compiled.templates[tid].texts[lang], contexts, runs)
        if failed is not None:
            return [failed]  # an error: this text would fail at send time
        return _text_lints(self.repo, self.compiled, self.previews, tid, x)


def lint_rendered(loaded: LoadedRepo) -> list[Diagnostic]:
    """The render lints of issue 3 item 7, as warnings (they never fail `validate` without --strict),
    and, as errors, every text that fails to render under the send path's limits (render_all.py)."""
    if any(d.severity is Severity.ERROR for d in loaded.diagnostics):
        return []  # the loader's errors come first; rendering a broken repository says nothing new
    repo = loaded.repo
    compiled, diags = compile_repo_diagnostics(repo, check_texts=False)
    out = [d for d in diags if d.code not in REPORTED_ELSEWHERE]
    if compiled is None:
        return out
    out.extend(_shell_lints(loaded, compiled))
    texts = _Texts(repo, compiled)
    for tid, t in sorted(repo.templates.items()):
        for lang, x in sorted(t.texts.items()):
            out.extend(per_file("rendered", x.file, loaded.sources.get(x.file, ""),
                                partial(texts.check, tid, lang, x), []))
    out.extend(_variable_drift(loaded))
    return out
