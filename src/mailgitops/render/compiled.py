"""Everything needed to render any template in any language at send time, without the repository or MJML."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from mailgitops.errors import MailgitopsError
from mailgitops.render.looks import Look, look_name, looks_of

# The dispatcher only loads compiled templates: what compiles them (the process pool, whose
# multiprocessing and concurrent.futures imports cost a cold `dispatch` ~8 ms, the layout
# compiler) is imported by the functions that build, below.
if TYPE_CHECKING:  # the dispatcher loads compiled templates without the repository model
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.model import Repo

FORMAT = 1
MAX_ASSET_BYTES = 1_000_000
# The parts are NamedTuples, not frozen dataclasses: immutable all the same, and each is ~0.3 ms
# cheaper to define, which every cold `mailgitops dispatch` pays (issue 4).


class CompiledText(NamedTuple):
    subject: str  # Jinja source
    preheader: str  # Jinja source ("" when none)
    body: str  # Markdown + Jinja source
    file: str  # repository-relative, for located errors
    body_line: int


class CompiledTemplate(NamedTuple):
    id: str
    layout: str
    attachments: tuple[str, ...]  # T9: document, ticket, preflight_report
    texts: Mapping[str, CompiledText]


class Asset(NamedTuple):
    name: str
    mime_type: str
    data: bytes


class CompiledTemplates(NamedTuple):  # not a dataclass: ~0.9 ms less at every cold dispatch
    default_lang: str
    active_langs: tuple[str, ...]
    templates: Mapping[str, CompiledTemplate]
    shells: Mapping[str, str]  # "<layout>/<ltr|rtl>" -> HTML with @@MG:slot@@ markers
    theme: Mapping[str, Any]
    assets: Mapping[str, Asset]
    layout_sources: Mapping[str, str]  # kept for the benchmark and lint (final MJML), not used to send
    # webshop id -> the theme keys it changes (its logo, colours, footer); the layouts compiled
    # with a shop's look are "<layout>/<dir>/<look>" (look_name), as the logo is part of the layout
    shop_themes: Mapping[str, Mapping[str, Any]] = MappingProxyType({})

    def shell(self, layout: str, dir_: str, webshop: str | None = None) -> str:
        look = look_name(self.theme, self.shop_themes.get(webshop or "", {}))
        return self.shells[f"{layout}/{dir_}/{look}" if look else f"{layout}/{dir_}"]

    def theme_for(self, webshop: str | None) -> Mapping[str, Any]:
        """The theme of a webshop's emails: theme.yaml's, with the keys the shop changes."""
        own = self.shop_themes.get(webshop or "")
        return {**self.theme, **own} if own else self.theme

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and deterministic: sorted keys, no paths, no timestamps; assets base64."""
        return {
            "format": FORMAT,
            "default_lang": self.default_lang,
            "active_langs": list(self.active_langs),
            "templates": {
                tid: {
                    "layout": t.layout,
                    "attachments": list(t.attachments),
                    "texts": {lang: {"subject": x.subject, "preheader": x.preheader, "body": x.body,
                                     "file": x.file, "body_line": x.body_line}
                              for lang, x in sorted(t.texts.items())},
                }
                for tid, t in sorted(self.templates.items())
            },
            "shells": dict(sorted(self.shells.items())),
            "theme": dict(self.theme),  # key order is the bundle's business: bundle.serialize sorts
            "assets": {n: {"mime_type": a.mime_type, "data": base64.b64encode(a.data).decode("ascii")}
                       for n, a in sorted(self.assets.items())},
            "layout_sources": dict(sorted(self.layout_sources.items())),
            # only when a shop has a look of its own: a bundle without one keeps its bytes
            **({"shop_themes": {k: dict(v) for k, v in sorted(self.shop_themes.items())}}
               if self.shop_themes else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CompiledTemplates:
        if d.get("format") != FORMAT:
            raise MailgitopsError(f"compiled templates have format {d.get('format')!r}, expected {FORMAT}",
                                  hint="rebuild the bundle with this version of mailgitops")
        made = cls(
            default_lang=d["default_lang"],
            active_langs=tuple(d["active_langs"]),
            templates={
                tid: CompiledTemplate(
                    id=tid, layout=t["layout"], attachments=tuple(t["attachments"]),
                    texts={lang: CompiledText(**x) for lang, x in t["texts"].items()})
                for tid, t in d["templates"].items()
            },
            shells=dict(d["shells"]),
            theme=d["theme"],
            assets={n: Asset(n, a["mime_type"], base64.b64decode(a["data"])) for n, a in d["assets"].items()},
            layout_sources=dict(d.get("layout_sources", {})),
            # "shop_logos": a bundle written before shops had more of a look than a logo
            shop_themes=dict(d.get("shop_themes") or {
                sid: {"logo": logo} for sid, logo in dict(d.get("shop_logos") or {}).items()}),
        )
        missing = made.missing_shells()
        if missing:
            raise MailgitopsError(
                f"the bundle's compiled templates lack the layout {missing[0]!r}"
                + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
                + "; it was not written by `mailgitops bundle` and is refused",
                hint="rebuild it from the repository: `mailgitops bundle --out FILE`")
        return made

    def missing_shells(self) -> list[str]:
        """The compiled layouts an email could ask for and the bundle lacks (a hand-edited bundle):
        each template's layout in both directions, with each webshop's own look."""
        looks = [None, *sorted(looks_of(self.theme, self.shop_themes))]
        need = {f"{t.layout}/{d}" + (f"/{lk}" if lk else "")
                for t in self.templates.values() for d in ("ltr", "rtl") for lk in looks}
        return sorted(need - self.shells.keys())


_UNKNOWN = re.compile(r"No (filter|test) named '([^']+)'")


class TextSource(NamedTuple):
    """One Jinja source of a text (subject, preheader or body), where its problems are reported."""

    file: str
    first_line: int
    lang: str
    what: str


def _explain_syntax(e: Exception, t: TextSource, source: str) -> Diagnostic:
    from jinja2 import TemplateSyntaxError

    from mailgitops.diagnostics import error  # build time only, like mimetypes below
    from mailgitops.render.jinja_env import environment

    if isinstance(e, RecursionError):  # Jinja's parser and code generator recurse once per nesting level
        return error(t.file, t.first_line, 1, "template-syntax", f"the {t.what} nests too deeply to compile",
                     hint="simplify the nested brackets, {% if %} and {% for %} blocks")
    assert isinstance(e, TemplateSyntaxError)
    line = t.first_line + (e.lineno or 1) - 1
    unknown = _UNKNOWN.search(e.message or "")
    if unknown:  # Jinja reports it as a syntax error; the fix is a different name, not a bracket
        from mailgitops.suggest import did_you_mean  # here: the dispatcher never loads jsonschema

        kind, name = unknown.groups()
        known = sorted(getattr(environment(t.lang), f"{kind}s"))
        text = source.split("\n")[(e.lineno or 1) - 1] if source else ""
        col = max(text.find(name), 0) + 1
        return error(t.file, line, col, "template-syntax", f"unknown {kind} `{name}` in the {t.what}",
                     hint=did_you_mean(name, known) or f"{kind}s: {', '.join(known)}")
    return error(t.file, line, 1, "template-syntax", f"Jinja syntax error in the {t.what}: {e.message}",
                 hint="check that every {{ }} and {% %} is closed and every {% for %} has {% endfor %}")


Unit = tuple[str, str, tuple[TextSource, ...]]  # language, source, every text with that source


def _compile_units(units: list[Unit]) -> list[tuple[bytes | None, list[Diagnostic]]]:
    """Each (language, source) compiled once. Not once for all languages: the code is not always
    the same, as Jinja computes a filter of constants at compile time (`{{ 1234 | number }}`)."""
    from jinja2 import TemplateSyntaxError

    from mailgitops.render.jinja_env import code_of

    out: list[tuple[bytes | None, list[Diagnostic]]] = []
    for lang, source, texts in units:
        try:
            out.append((code_of(lang, source), []))
        except (TemplateSyntaxError, RecursionError) as e:
            out.append((None, [_explain_syntax(e, t, source) for t in texts]))
    return out


def _check_texts(repo: Repo, workers: int, keep: bool) -> list[Diagnostic]:
    """Compile every text once, on `workers` cores, and report what does not compile, in the
    templates' order; with `keep`, keep the code for rendering (jinja_env.adopt)."""
    from mailgitops.render import forkpool
    from mailgitops.render.jinja_env import adopt

    units: dict[tuple[str, str], list[TextSource]] = {}
    order: list[TextSource] = []
    for _tid, t in sorted(repo.templates.items()):
        for lang, x in sorted(t.texts.items()):
            for what, src, line in (("subject", x.subject, 2), ("preheader", x.preheader or "", 2),
                                    ("body", x.body, x.body_line)):
                ts = TextSource(x.file, line, lang, what)
                units.setdefault((lang, src), []).append(ts)
                order.append(ts)
    todo = [(lang, src, tuple(ts)) for (lang, src), ts in units.items()]
    found: dict[TextSource, Diagnostic] = {}
    codes: dict[tuple[str, str], bytes] = {}
    parts = forkpool.chunks(todo, workers)
    for part, results in zip(parts, forkpool.fork_map(_compile_units, parts, workers, {}), strict=True):
        for (lang, src, texts), (code, diags) in zip(part, results, strict=True):
            if code is not None:
                codes[(lang, src)] = code
            found.update(zip(texts, diags, strict=True) if diags else ())
    if keep:
        adopt(codes)
    return [found[t] for t in order if t in found]


def compile_repo_diagnostics(repo: Repo, *, check_texts: bool = True, workers: int = 1,
                             keep_code: bool = False) -> tuple[CompiledTemplates | None, list[Diagnostic]]:
    """Compile all templates and layouts; every problem as a located diagnostic.

    `check_texts=False` skips compiling each text up front (~2 ms each): `validate` has already
    parsed them (checks/templates.py) and renders only the few it needs, compiling those then.
    Otherwise each distinct text is compiled once, on `workers` processes; `keep_code` keeps that
    code for the renders that follow in this process and the ones it forks (`render`: every text
    compiled once, whatever the repository's size), until jinja_env.forget_precompiled()."""
    import mimetypes

    from mailgitops.diagnostics import error
    from mailgitops.errors import LayoutError
    from mailgitops.render.layout import compile_shell, effective_theme

    diags: list[Diagnostic] = _check_texts(repo, workers, keep_code) if check_texts else []
    templates: dict[str, CompiledTemplate] = {}
    for tid, t in sorted(repo.templates.items()):
        texts = {lang: CompiledText(x.subject, x.preheader or "", x.body, x.file, x.body_line)
                 for lang, x in sorted(t.texts.items())}
        templates[tid] = CompiledTemplate(tid, t.layout, t.attachments.enabled(), texts)
    assets: dict[str, Asset] = {}
    for name, path in sorted(repo.assets.items()):
        try:
            with path.open("rb") as f:
                data = f.read(MAX_ASSET_BYTES + 1)  # a huge file is refused unread
        except OSError as e:
            diags.append(error(f"templates/_assets/{name}", 0, 0, "unreadable",
                               f"cannot read {name}: {e.strerror}", hint="check the file's permissions"))
            continue
        if len(data) > MAX_ASSET_BYTES:
            diags.append(error(f"templates/_assets/{name}", 0, 0, "asset-too-large",
                               f"{name} is larger than {MAX_ASSET_BYTES:,} bytes",
                               hint="shrink the image; every email carries it"))
            continue
        assets[name] = Asset(name, mimetypes.guess_type(name)[0] or "application/octet-stream", data)
    theme = effective_theme(repo.theme)
    dirs = ("ltr", "rtl")  # both, always: a recipient's language may fall back to either
    shells: dict[str, str] = {}
    used = sorted({t.layout for t in templates.values()})
    shop_themes = {sid: dict(w.theme) for sid, w in sorted(repo.webshops.items()) if w.theme}
    looks: list[tuple[str | None, Look]] = [(None, {}), *sorted(looks_of(theme, shop_themes).items())]
    for layout in used:
        source = repo.layouts.get(layout)
        users = [tid for tid, t in templates.items() if t.layout == layout]
        if source is None:
            diags.append(error(f"templates/{users[0]}/template.yaml", 1, 1, "unknown-layout",
                               f"layout `{layout}` does not exist in templates/_layouts/",
                               hint=f"available: {', '.join(sorted(repo.layouts)) or 'none'}"))
            continue
        for dir_, (look, own) in ((d, lk) for d in dirs for lk in looks):
            try:
                shells[f"{layout}/{dir_}" + (f"/{look}" if look else "")] = compile_shell(
                    source, {**theme, **own}, dir_, assets)
            except LayoutError as e:
                diags.append(error(f"templates/_layouts/{layout}.mjml", e.line, 1, "layout-error",
                                   f"the layout does not compile: {e}", hint=e.hint))
                break
    if any(d.severity == "error" for d in diags):
        return None, diags
    return CompiledTemplates(
        default_lang=repo.languages.default,
        active_langs=repo.languages.active,
        templates=templates,
        shells=shells,
        theme=theme,
        assets=assets,
        layout_sources={k: v for k, v in sorted(repo.layouts.items()) if k in used},
        shop_themes=shop_themes,
    ), diags


def compile_repo(repo: Repo) -> CompiledTemplates:
    compiled, diags = compile_repo_diagnostics(repo)
    if compiled is None:
        raise MailgitopsError("the templates do not compile", diagnostics=diags)
    return compiled
