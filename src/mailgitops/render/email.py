"""One email from compiled templates: language fallback, Jinja → Markdown → HTML and text, slot fill."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from jinja2 import UndefinedError

from mailgitops.errors import ExitCode, MailgitopsError, RenderLimitError, RenderTimeout
from mailgitops.render import markdown as md_stage
from mailgitops.render.compiled import CompiledTemplate, CompiledTemplates, CompiledText
from mailgitops.render.footer import as_html as footer_html
from mailgitops.render.footer import footer_for, footer_language
from mailgitops.render.htmlesc import escape
from mailgitops.render.jinja_env import Tokenised, clean_source, render_tokens, template_line
from mailgitops.render.layout import direction, fill_shell

MAX_HTML_BYTES = 2_000_000
MAX_SUBJECT_CHARS = 300  # as an operator's edited subject (dispatch/drafts.py); clients show ~70
MAX_PREHEADER_CHARS = 150  # inbox lists show ~100; the rest is never seen
# What can turn a value into markup anywhere on a line (code, emphasis, links, autolinks, an
# entity such as `&amp;`, tables, strikethrough, attribute blocks) and, at the start of a line, what
# starts a block (heading, list, quote, setext underline, "2026. " or "1) "). Nothing else is
# escaped: an operator reads and edits this text, and `https\:\/\/` helps nobody.
_MD_ANYWHERE = re.compile(r"([\\`*_{}\[\]<|~]|&(?=#?[A-Za-z0-9]+;))")
_MD_ANYWHERE_PARENS = re.compile(r"([\\`*_{}\[\]<|~()]|&(?=#?[A-Za-z0-9]+;))")
_MD_LINE_START = re.compile(r"^(\d{0,9})([.)])|^([#+\-=>])")
# "#"s after a space at a line's end close a heading ("# Order 0 #" shows "Order 0")
_MD_CLOSING_HASHES = re.compile(r"(?<=\s)(#+)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InlineImage(NamedTuple):
    """(A NamedTuple, not a dataclass: an internal record, ~0.3 ms less at every cold start.)"""

    cid: str  # Content-ID without angle brackets; the HTML says src="cid:<cid>"
    filename: str
    mime_type: str
    data: bytes


class RenderedEmail(NamedTuple):  # not a dataclass: ~1 ms less at every cold dispatch
    template_id: str
    lang: str  # the language actually used (after fallback)
    subject: str
    preheader: str
    html: str
    text: str
    inline_images: tuple[InlineImage, ...]
    warnings: tuple[str, ...]


def resolve_lang(requested: str | None, available: Mapping[str, Any], default: str) -> str:
    """The requested language, else its base (`de-CH` → `de`), else the default, else any.
    Tags compare case-insensitively (`FR` is `fr`, `zh-cn` is `zh-CN`)."""
    by_lower = {lang.lower(): lang for lang in available}
    low = (requested or "").strip().lower().replace("_", "-")
    for cand in (low, low.split("-", maxsplit=1)[0], default.lower()):
        if cand and cand in by_lower:
            return by_lower[cand]
    return sorted(available)[0]


def _template(compiled: CompiledTemplates, template_id: str) -> CompiledTemplate:
    t = compiled.templates.get(template_id)
    if t is None or not t.texts:
        raise MailgitopsError(f"template `{template_id}` does not exist in the compiled templates",
                              hint=f"templates: {', '.join(sorted(compiled.templates))}",
                              code="template-missing", values={"template": template_id})
    return t


_LOCALS = re.compile(r"\w+\.<locals>\.(\w+)\(\)")  # a filter's Python name, as its template name
_MISSING_ATTR = re.compile(r"has no attribute '(\w+)'|'(\w+)' is undefined")


def _missing_value(msg: str, source: str, line: int) -> str | None:
    """Jinja says "'dict object' has no attribute 'due_date'"; the template line says which
    value that was (`order.due_date`), which is what the order system's developer must send."""
    m = _MISSING_ATTR.search(msg)
    if m is None:
        return None
    name = m.group(1) or m.group(2)
    text = source.split("\n")[line - 1] if 0 < line <= source.count("\n") + 1 else source
    full = re.search(rf"\b((?:[A-Za-z_]\w*\.)*{re.escape(name)})\b", text)
    return full.group(1) if full else name


def explain(e: BaseException, source: str, line: int) -> tuple[str, str | None]:
    """(message, hint) for what a template raised at `line` of `source` (1-based)."""
    msg = _LOCALS.sub(r"the `\1` filter", getattr(e, "message", None) or str(e))
    if isinstance(e, RecursionError):
        msg = "macros call each other (or themselves) without end"
    if isinstance(e, RenderLimitError):  # the data as much as the template: an event's long lists
        return msg, ("the event's values make this email too large (very many jobs, or very long names "
                     "or notes); an event with less is sent as usual")
    missing = _missing_value(msg, source, line) if isinstance(e, UndefinedError) else None
    if missing is None:
        return msg, None
    return (f"the event has no `{missing}`, which this template prints",
            f"send `{missing}` in the event, or print it only when present: "
            f"{{% if {missing} %}}...{{% endif %}}")


def _render(lang: str, x: CompiledText, what: str, source: str, ctx: Mapping[str, Any]) -> Tokenised:
    first = x.body_line if what == "body" else 2
    try:
        return render_tokens(lang, source, ctx)
    except RenderTimeout as e:  # the machine, not the template: retrying later will work
        raise MailgitopsError(f"{x.file}: the {what} was not rendered in time ({e}); nothing was queued",
                              exit_code=ExitCode.TEMPORARY, hint="try again later",
                              code="render-timeout", values={"file": x.file}) from e
    except Exception as e:  # template code is user input: whatever it raises (a Jinja error, a
        # RecursionError from a macro calling itself, a filter's ValueError) is the template's problem
        at = max(template_line(e), 1)
        msg, hint = explain(e, source, at)
        line = first + at - 1
        from mailgitops.diagnostics import error  # only for a template that fails: not on the send path

        raise MailgitopsError(
            f"{x.file}:{line}: the {what} cannot be rendered: {msg}",
            diagnostics=[error(x.file, line, 1, "render-error",
                               f"the {what} cannot be rendered: {msg}", hint=hint)],
            code="render-error", values={"file": x.file, "line": line, "msg": msg}) from e


def one_line(value: str, limit: int | None = None) -> str:
    """Subjects and preheaders are one line: no CR/LF (header injection), no control characters;
    with `limit`, at most that many characters (the last one `…` when cut)."""
    line = " ".join(_CONTROL.sub(" ", value).split())
    if limit is not None and len(line) > limit:
        line = line[:limit - 1].rstrip() + "…"
    return line


def _subject(value: str) -> tuple[str, tuple[str, ...]]:
    subject = one_line(value, MAX_SUBJECT_CHARS)
    if subject == one_line(value):
        return subject, ()
    return subject, (f"the subject was longer than {MAX_SUBJECT_CHARS} characters and was shortened",)


def _first_words(text: str) -> str:
    """A preheader for a text that has none: its first paragraph, or the second when the first
    is only a greeting ("Dear Ada," / "Guten Tag Ada Lovelace,")."""
    paras = [one_line(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paras) > 1 and paras[0].endswith((",", "\uff0c", "\u060c", ":")) and len(paras[0]) <= 80:
        paras = paras[1:]
    return one_line(paras[0], MAX_PREHEADER_CHARS) if paras else ""


def _assemble(compiled: CompiledTemplates, t: CompiledTemplate, lang: str, *, subject: str,
              preheader: str | None, body: Tokenised, context: Mapping[str, Any]) -> RenderedEmail:
    """`preheader=None`: none was written (an operator's draft); the text's first words are used."""
    dir_ = direction(lang)
    subject, notes = _subject(subject)
    shop = context.get("webshop")
    shop_id = str(shop.get("id")) if isinstance(shop, Mapping) else None
    theme = compiled.theme_for(shop_id)  # a webshop's own colours, logo and footer
    shape = md_stage.structure(body.text, theme, rtl=dir_ == "rtl")
    filled = md_stage.fill(shape.html, body.values, compiled.assets, as_html=True, isolate=dir_ == "rtl")
    plain = md_stage.fill(shape.text, body.values, compiled.assets, as_html=False, isolate=dir_ == "rtl").out
    if preheader is None:
        preheader = _first_words(plain)
    fragment = filled.out
    if dir_ == "rtl":
        fragment = f'<div dir="rtl" style="direction:rtl;">{fragment}</div>'
    printroom = context.get("printroom") if isinstance(context.get("printroom"), Mapping) else None
    footer = ""
    footer_text = ""
    if printroom:
        name, email_addr = str(printroom.get("name", "")), str(printroom.get("email", ""))
        footer = f"{escape(name)} · {escape(email_addr)}"
        footer_text = f"{name} · {email_addr}"
    # theme.yaml `footer`: lines under every email (an address, the imprint), one per language
    extra = footer_for(theme.get("footer"), lang, compiled.default_lang)
    if extra:
        shown = footer_html(extra)
        other = footer_language(theme.get("footer"), lang, compiled.default_lang)
        if other:  # the default language's footer: a screen reader reads it in that language
            shown = f'<span lang="{escape(other)}" dir="{direction(other)}">{shown}</span>'
        footer = f"{footer}<br>{shown}" if footer else shown
        footer_text = f"{footer_text}\n{extra}" if footer_text else extra
    logo = str(theme["logo"]) if theme.get("logo") else None
    out = fill_shell(compiled.shell(t.layout, dir_, shop_id), {
        "lang": escape(lang), "title": escape(subject), "preheader": escape(preheader),
        "content": fragment, "footer": footer})
    if len(out.encode("utf-8")) > MAX_HTML_BYTES:
        raise MailgitopsError(f"{t.id}/{lang}: the email is larger than {MAX_HTML_BYTES:,} bytes",
                              code="email-too-large", values={"max": MAX_HTML_BYTES})
    if footer_text:
        plain += f"\n-- \n{footer_text}\n"
    names = list(dict.fromkeys(
        ([logo] if logo is not None and logo in compiled.assets else [])
        + filled.inline_assets))
    images = tuple(InlineImage(md_stage.cid_for(n), n, compiled.assets[n].mime_type, compiled.assets[n].data)
                   for n in names if n in compiled.assets)
    return RenderedEmail(t.id, lang, subject, preheader, out, plain, images,
                         tuple(dict.fromkeys(notes + shape.warnings + tuple(filled.warnings))))


def render_email(compiled: CompiledTemplates, template_id: str, lang: str,
                 context: Mapping[str, Any]) -> RenderedEmail:
    t = _template(compiled, template_id)
    used = resolve_lang(lang, t.texts, compiled.default_lang)
    x = t.texts[used]
    subject = _render(used, x, "subject", x.subject, context).fill()
    preheader = (one_line(_render(used, x, "preheader", x.preheader, context).fill(), MAX_PREHEADER_CHARS)
                 if x.preheader else "")
    body = _render(used, x, "body", x.body, context)
    return _assemble(compiled, t, used, subject=subject, preheader=preheader, body=body, context=context)


def body_tokens(compiled: CompiledTemplates, template_id: str, lang: str, context: Mapping[str, Any]) -> str:
    """The body's Jinja output with every value a token: what its Markdown structure depends on."""
    t = _template(compiled, template_id)
    used = resolve_lang(lang, t.texts, compiled.default_lang)
    x = t.texts[used]
    return _render(used, x, "body", x.body, context).text


def render_jinja(compiled: CompiledTemplates, template_id: str, lang: str,
                 context: Mapping[str, Any]) -> None:
    """The Jinja of one text (subject, preheader, body) run under the send path's limits, without
    Markdown or layout: how `validate` finds a template that would fail at send time."""
    t = _template(compiled, template_id)
    x = t.texts[lang]
    for what, source in (("subject", x.subject), ("preheader", x.preheader), ("body", x.body)):
        if source:
            _render(lang, x, what, source, context)


def render_markdown(compiled: CompiledTemplates, template_id: str, lang: str, subject: str,
                    markdown: str, *, context: Mapping[str, Any] | None = None,
                    preheader: str | None = None) -> RenderedEmail:
    """An operator-edited draft: plain Markdown (no Jinja), same layout, same link and HTML rules.
    Without `preheader` the inbox line is the draft's own first words (what the operator wrote)."""
    t = _template(compiled, template_id)
    used = resolve_lang(lang, t.texts, compiled.default_lang)
    shown = one_line(preheader, MAX_PREHEADER_CHARS) if preheader else None
    return _assemble(compiled, t, used, subject=subject, preheader=shown,
                     body=Tokenised(clean_source(markdown), ()), context=context or {})


def _escape_start(m: re.Match[str]) -> str:
    # "2026." or "1)" would number a list; so would ")" after a template's own digits
    return f"{m[1]}\\{m[2]}" if m[2] is not None else f"\\{m[3]}"


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def escape_markdown(value: str) -> str:
    """A value as Markdown that reads back as the same literal text (never a link or markup)."""
    anywhere = _MD_ANYWHERE if _balanced(value) else _MD_ANYWHERE_PARENS  # a lone ")" ends a link
    lines = [_MD_CLOSING_HASHES.sub(r"\\\1", _MD_LINE_START.sub(
        _escape_start, anywhere.sub(r"\\\1", line.strip()), count=1)) for line in value.split("\n")]
    return "  \n".join(lines)  # a line break inside a value stays a line break, not a new block


def draft_source(compiled: CompiledTemplates, template_id: str, lang: str,
                 context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, Markdown) with values filled in and Markdown-escaped, for an operator to edit."""
    t = _template(compiled, template_id)
    used = resolve_lang(lang, t.texts, compiled.default_lang)
    x = t.texts[used]
    subject = one_line(_render(used, x, "subject", x.subject, context).fill(), MAX_SUBJECT_CHARS)
    body = _render(used, x, "body", x.body, context).fill(escape_markdown)
    return subject, body
