"""Template texts: Jinja syntax and names (via jinja_scan), old placeholders, one-line subjects."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import partial

from jinja2 import TemplateSyntaxError

from mailgitops import catalog
from mailgitops.checks import placeholders, raw_html
from mailgitops.checks.crossfile import WORKFLOW, loaded_ok
from mailgitops.checks.jinja_analysis import analyse
from mailgitops.checks.jinja_scan import Context
from mailgitops.checks.result_cache import per_file
from mailgitops.diagnostics import Diagnostic, Severity, json_path
from mailgitops.model import TemplateText
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import YamlDoc


@dataclass(frozen=True, slots=True)
class _Field:
    """Where one Jinja source sits in its .md file."""

    name: str  # body | subject | preheader
    source: str
    first_line: int  # file line of the source's line 1
    first_col: int  # 1-based column where line 1 starts (the YAML value for front matter)


def template_contexts(loaded: LoadedRepo) -> dict[str, Context]:
    """The namespaces each template can use: what every trigger sending it provides."""
    cat = loaded.repo.catalog
    specs = cat.triggers
    users: dict[str, list[str]] = {}
    for tid, trig in loaded.repo.workflow.triggers.items():
        if tid in specs:
            for template_id in trig.template_ids():
                users.setdefault(template_id, []).append(tid)
    out: dict[str, Context] = {}
    for tpl in loaded.repo.templates:
        tids = users.get(tpl) or [t for t, s in specs.items() if s.default_template == tpl]
        if not tids:
            out[tpl] = Context(provided=None, cat=cat)
            continue
        provided = frozenset.intersection(*(frozenset(specs[t].provides) for t in tids))
        # a variable of the repository's that some of these triggers' events do not carry
        hidden = frozenset(n for n, v in cat.variables.items()
                           if v.triggers is not None and not all(t in v.triggers for t in tids))
        out[tpl] = Context(provided=provided, triggers=tuple(sorted(tids)),
                           guaranteed=guaranteed(loaded, [specs[t] for t in tids]), cat=cat,
                           guaranteed_by=tuple((t, guaranteed(loaded, [specs[t]])) for t in sorted(tids)),
                           not_carried=hidden)
    return out


def guaranteed(loaded: LoadedRepo, specs: list[catalog.TriggerSpec]) -> frozenset[str]:
    """The values every event of these triggers carries, and what the renderer makes from them."""
    required = frozenset.intersection(*(frozenset(s.requires) for s in specs))
    derived = {"printroom.name", "printroom.email"}  # from the sender, always
    if "order.number" in required:  # an order is there: the renderer adds its job list and count
        derived |= {"order.jobs", "order.job_count"}
        # ...and its link, made from order_url; when workflow.yaml could not be read at all, whether
        # order_url is set is unknown, and one error there must not become one per template text
        if loaded.repo.workflow.order_url or not loaded_ok(loaded, WORKFLOW):
            derived.add("order.url")
    return required | derived



def _fields(text: TemplateText, doc: YamlDoc | None, lines: list[str]) -> list[_Field]:
    out = [_Field("body", text.body, text.body_line, 1)]
    front = text.front_matter or {}
    for key in ("subject", "preheader"):
        value = front.get(key)
        if not isinstance(value, str) or doc is None:
            continue
        pos = doc.pos((key,))
        first_line, first_col = pos.line, pos.col
        raw = lines[pos.line - 1][pos.col - 1:] if 0 < pos.line <= len(lines) else ""
        if raw[:1] in ("|", ">"):  # a block scalar starts on the next line
            first_line, first_col = pos.line + 1, 1
        out.append(_Field(key, value, first_line, first_col))
    return out


def _locate(lines: list[str], field: _Field, lineno: int, needle: str) -> tuple[int, int]:
    """File line and column of `needle` on the source's line `lineno` (col 1 when not found)."""
    line = field.first_line + max(lineno, 1) - 1
    if not 0 < line <= len(lines):
        return max(line, 1), 1
    start = field.first_col - 1 if lineno <= 1 else 0
    col = lines[line - 1].find(needle, start) if needle else -1
    return line, col + 1 if col >= 0 else 1


def _syntax_at(source: str, e: TemplateSyntaxError) -> tuple[int, str]:
    """Jinja gives a line but no column: aim at the block left open (`for` never closed), at the
    tag it names (`unknown tag 'endif'`), else at the first `{` of the line."""
    message = e.message or ""
    opened = re.search(r"innermost block that needs to be closed is '(\w+)'", message)
    unknown = re.match(r"Encountered unknown tag '(\w+)'", message)
    if unknown and e.lineno:  # `{% endfr %}`: the typo's own line, not the `for` it was to close
        return e.lineno, unknown.group(1)
    if opened:
        lines = source.split("\n")[: max(e.lineno, 1)]
        tag = re.compile(r"\{%-?\s*" + opened.group(1) + r"\b")
        for i in range(len(lines) - 1, -1, -1):
            if tag.search(lines[i]):
                return i + 1, opened.group(1)
    named = re.search(r"tag '(\w+)'", message)
    return e.lineno, named.group(1) if named else "{"


def _diag(file: str, at: tuple[int, int], f: _Field, code: str, message: str, *, hint: str | None,
          severity: Severity = Severity.ERROR) -> Diagnostic:
    path = json_path((f.name,)) if f.name != "body" else ""
    return Diagnostic(file, at[0], at[1], code, message, severity, path, hint)


def check_text(text: TemplateText, ctx: Context, loaded: LoadedRepo) -> list[Diagnostic]:
    lines = loaded.sources.get(text.file, "").split("\n")
    doc = loaded.docs.get(text.file)
    out: list[Diagnostic] = []
    for f in _fields(text, doc, lines):
        fctx = replace(ctx, subject=f.name == "subject")
        found = analyse(f.source, fctx)
        if isinstance(found, TemplateSyntaxError):
            tree = found
            at = _locate(lines, f, *_syntax_at(f.source, tree))
            out.append(_diag(text.file, at, f, "jinja-syntax",
                             f"template syntax error: {tree.message or 'invalid syntax'}",
                             hint="check that every {{ has its }} and every {% if/for %} its {% end... %}"))
        else:
            for finding in found:
                out.append(_diag(text.file, _locate(lines, f, finding.lineno, finding.needle), f,
                                 finding.code, finding.message, hint=finding.hint,
                                 severity=finding.severity))
        for ph in placeholders.find(f.source):
            hint = (f"write {{{{ {ph.jinja} }}}}" if ph.jinja
                    else "write a Jinja variable such as {{ order.number }}; see schema/variables.yaml")
            if ph.jinja and ph.jinja.startswith("job."):
                hint += " inside {% for job in order.jobs %} ... {% endfor %}"
            out.append(_diag(text.file, _locate(lines, f, ph.line + 1, ph.text), f, "legacy-placeholder",
                             f"`{ph.text}` is the old placeholder style", hint=hint))
        if f.name == "body" and (tag := raw_html.find(f.source)) is not None:
            out.append(_diag(text.file, _locate(lines, f, tag.line + 1, tag.text), f, "html-in-markdown",
                             f"`{tag.text}` is HTML: templates are Markdown, and the customer would see "
                             "the tag itself", hint=raw_html.hint(tag.text)))
        if f.name in ("subject", "preheader") and doc is not None:
            out.extend(_one_line(doc, f.name, f.source))
        if f.name == "body" and (bad := _BODY_CONTROL.search(f.source)) is not None:
            lineno = f.source.count("\n", 0, bad.start()) + 1
            out.append(_diag(text.file, _locate(lines, f, lineno, bad.group()), f, "body-control-character",
                             f"the body contains the control character {bad.group()!r}: no text a reader "
                             "sees (a NUL shows as \ufffd in the email, the others are invisible)",
                             hint="remove it (most editors do not show it: retype the line)"))
    if not text.body.strip():  # front matter alone: the customer would get the footer and nothing else
        out.append(Diagnostic(text.file, max(text.body_line - 1, 1), 1, "empty-body",
                              "the email has no text below its front matter: the customer would get an "
                              "empty email, only the footer", Severity.ERROR, "",
                              "write the email's text below the closing `---` line"))
    return out


_CONTROL = re.compile("[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")
# what Markdown turns into U+FFFD or passes on as an invisible byte; tabs and line ends are text
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0080-\u009f]")


def _one_line(doc: YamlDoc, name: str, source: str) -> list[Diagnostic]:
    """A subject or preheader is one header line: a line break would end it (or start a header
    of the sender's choosing), other control characters are not text a reader sees."""
    found = _CONTROL.search(source)
    if found is None:
        return []
    if found.group() in "\r\n\u2028\u2029":
        return [doc.at((name,), f"{name}-line-break", f"the {name} contains a line break",
                       hint=f'write the {name} on one line, in quotes: {name}: "..."')]
    return [doc.at((name,), f"{name}-control-character",
                   f"the {name} contains the control character {found.group()!r}",
                   hint="remove it; it is invisible to the reader and some mail programs refuse it")]


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    contexts = template_contexts(loaded)
    out: list[Diagnostic] = []
    for tid, tpl in loaded.repo.templates.items():
        for text in tpl.texts.values():
            # one text's findings depend on it and the shared inputs alone: kept per file
            out.extend(per_file("templates", text.file, loaded.sources.get(text.file, ""),
                                partial(check_text, text, contexts[tid], loaded), []))
    return out
