"""Warnings for `validate` from the rendered emails: size, alt text, http links, translation drift."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import TemplateSyntaxError

from mailgitops.diagnostics import Diagnostic, Severity, warning
from mailgitops.errors import MailgitopsError
from mailgitops.model import Repo
from mailgitops.render.compiled import compile_repo_diagnostics
from mailgitops.render.jinja_env import variables_used
from mailgitops.render.outputs import default_sample, preview
from mailgitops.repo import LoadedRepo

GMAIL_CLIP_BYTES = 102 * 1024
THEME_FILE = "templates/_layouts/theme.yaml"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []  # (src, alt)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append((a.get("src") or "", (a.get("alt") or "").strip()))
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")


def _line_of(root: Path, file: str, needle: str, fallback: int) -> int:
    try:
        lines = (root / file).read_text(encoding="utf-8").split("\n")
    except OSError:
        return fallback
    return next((i for i, line in enumerate(lines, 1) if needle and needle in line), fallback)


def _email_lints(repo: Repo, file: str, body_line: int, html: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    size = len(html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        out.append(warning(file, 1, 1, "html-too-large",
                           f"the email's HTML is {size / 1024:.0f} KB; Gmail clips messages over 102 KB",
                           hint="shorten the text or split it over several emails"))
    tags = _Tags()
    tags.feed(html)
    for src, alt in tags.images:
        if alt:
            continue
        logo = repo.theme.get("logo")
        if logo and src.startswith(f"cid:{logo}@"):
            out.append(warning(THEME_FILE, _line_of(repo.root, THEME_FILE, "logo", 1), 1, "image-without-alt",
                               "the logo has no alt text", hint="set `logo_alt` in theme.yaml"))
        else:
            out.append(warning(file, _line_of(repo.root, file, src.removeprefix("cid:").split("@")[0],
                                              body_line), 1, "image-without-alt",
                               f"image {src} has no alt text",
                               hint="describe it: ![Our opening hours](https://...)"))
    for href in tags.links:
        if href.lower().startswith(("https:", "mailto:")):
            continue
        out.append(warning(file, _line_of(repo.root, file, href, body_line), 1, "insecure-link",
                           f"link {href} is not https", hint="use an https:// address"))
    return out


def _variable_drift(repo: Repo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    default = repo.languages.default
    for _tid, t in sorted(repo.templates.items()):
        base = t.texts.get(default)
        if base is None:
            continue
        try:
            ref = variables_used(default, f"{base.subject}\n{base.preheader or ''}\n{base.body}")
        except TemplateSyntaxError:  # reported by checks/templates.py
            continue
        for lang, x in sorted(t.texts.items()):
            if lang == default:
                continue
            try:
                used = variables_used(lang, f"{x.subject}\n{x.preheader or ''}\n{x.body}")
            except TemplateSyntaxError:
                continue
            extra, missing = sorted(used - ref), sorted(ref - used)
            if extra or missing:
                parts = ([f"uses {', '.join(extra)}"] if extra else []) + (
                    [f"leaves out {', '.join(missing)}"] if missing else [])
                out.append(warning(x.file, 1, 1, "translation-variables",
                                   f"this translation {' and '.join(parts)}, unlike {default}.md",
                                   hint=f"translations should show the same values as {default}.md"))
    return out


def lint_rendered(loaded: LoadedRepo) -> list[Diagnostic]:
    """The render lints of issue 3 item 7, as warnings (they never fail `validate` without --strict)."""
    if any(d.severity is Severity.ERROR for d in loaded.diagnostics):
        return []  # the loader's errors come first; rendering a broken repository says nothing new
    repo = loaded.repo
    compiled, diags = compile_repo_diagnostics(repo)
    out = [d for d in diags if d.code != "template-syntax"]  # checks/templates.py reports those
    if compiled is None:
        return out
    for tid, t in sorted(repo.templates.items()):
        for lang, x in sorted(t.texts.items()):
            try:
                p = preview(repo, compiled, tid, lang, default_sample(repo, tid))
            except MailgitopsError as e:
                out.extend(replace(d, code="preview-failed").as_warning() for d in e.diagnostics)
                continue
            out.extend(_email_lints(repo, x.file, x.body_line, p.email.html))
    out.extend(_variable_drift(repo))
    return out
