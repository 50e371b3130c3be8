"""`render --out DIR`: every template and language as .html/.txt/.eml and manifest.json."""

from __future__ import annotations

import errno
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mailgitops import private
from mailgitops.checks.html_lint import email_findings
from mailgitops.diagnostics import Diagnostic, error
from mailgitops.errors import MailgitopsError, UsageError
from mailgitops.gitops.manifest import FORMAT, ManifestEntry
from mailgitops.gitops.sending import sent_by
from mailgitops.model import Repo
from mailgitops.render import forkpool
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import RenderedEmail
from mailgitops.render.layout import direction
from mailgitops.render.markdown import markdown_parser
from mailgitops.render.preview import default_sample, placed, preview, print_room_samples
from mailgitops.suggest import did_you_mean


@dataclass
class PreviewResult:
    entries: list[ManifestEntry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _for_browser(email: RenderedEmail) -> str:
    """The preview file shows inline images from OUT/_assets/ (a browser cannot resolve cid:)."""
    html = email.html
    for img in email.inline_images:
        html = html.replace(f'"cid:{img.cid}"', f'"../_assets/{img.filename}"')
    return html


def write_previews(repo: Repo, compiled: CompiledTemplates, out: Path, *, templates: Sequence[str] = (),
                   langs: Sequence[str] = (), sample: str | None = None,
                   progress: Callable[[int], None] | None = None, workers: int = 1,
                   per_webshop: bool = False) -> PreviewResult:
    """Write each email and manifest.json; the gallery is written by the caller (gallery.py).
    `workers` > 1 renders in that many forked processes (the `render` command uses every core).
    `per_webshop` also renders each template once per webshop, as `<template>@<shop>`. Without
    `sample`, the plain previews show each template's sample order placed in no webshop (the
    print room's own sender and settings); a `sample` named is rendered as written."""
    for tid in templates:
        if tid not in repo.templates:
            raise UsageError(f"no template `{tid}` in templates/",
                             hint=did_you_mean(tid, list(repo.templates))
                             or f"templates: {', '.join(sorted(repo.templates))}")
    if sample is not None and sample not in repo.samples:
        raise UsageError(f"no sample `{sample}` in config/samples/",
                         hint=did_you_mean(sample, list(repo.samples))
                         or f"samples: {', '.join(sorted(repo.samples)) or 'none'}")
    if sample is None:
        repo = print_room_samples(repo)
    tids = sorted(templates or repo.templates)
    languages = sorted(langs or repo.languages.active)
    # each language's preview greets a recipient who would get that language (default_sample)
    jobs = [(tid, lang, sample or default_sample(repo, tid, lang), tid) for tid in tids for lang in languages]
    if per_webshop:
        repo, more = shop_jobs(repo, tids, sample, langs)
        jobs += more
    result = PreviewResult()
    for done in _run(repo, compiled, out, jobs, workers):
        for item in done:
            if isinstance(item, ManifestEntry):
                result.entries.append(item)
            else:
                result.diagnostics.extend(item)
            if progress:
                progress(1)
    assets_dir = out / "_assets"
    for asset in compiled.assets.values():
        assets_dir.mkdir(parents=True, exist_ok=True)
        _write(assets_dir / asset.name, asset.data)
    # the language a recipient gets whose own is not rendered (diff names it for a dropped one)
    manifest = {"format": FORMAT, "default_language": repo.languages.default,
                "emails": [e.to_json() for e in result.entries]}
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _write(out / "manifest.json", text.encode("utf-8"))
    return result


Job = tuple[str, str, str, str]  # template, language, sample, the name it is written under


def _write(path: Path, data: bytes) -> None:
    """A preview file (0644: sample data, for the reviewers), never through a symbolic link left in
    the output folder, nor into a folder that is one (it overwrote the link's target)."""
    if path.parent.is_symlink():
        raise OSError(errno.ELOOP, private.NOT_THROUGH_A_LINK, str(path.parent))
    private.write_bytes(path, data, mode=0o644)
Done = ManifestEntry | list[Diagnostic]


def shop_jobs(repo: Repo, tids: Sequence[str], sample: str | None,
              langs: Sequence[str] = ()) -> tuple[Repo, list[Job]]:
    """Each template once per webshop, in the default language (or each of `langs`), with its
    sample order placed in that shop: a shop's own sender, reply-to, logo, footer and order link
    show in a preview (and in the pull-request comment, as `<template>@<shop>`), which the one
    sample per template never does."""
    samples = dict(repo.samples)
    jobs: list[Job] = []
    languages = sorted(langs or [repo.languages.default])
    for shop, lang in ((s, lg) for s in sorted(repo.webshops) for lg in languages):
        for tid in tids:
            base = sample or default_sample(repo, tid, lang)  # the plain preview's, in this language
            name = f"{base}@{shop}"
            samples[name] = placed(repo.samples.get(base), name, shop)
            jobs.append((tid, lang, name, f"{tid}@{shop}"))
    return replace(repo, samples=samples), jobs


def _one(repo: Repo, compiled: CompiledTemplates, out: Path, job: Job) -> Done:
    tid, lang, name, label = job
    try:
        p = preview(repo, compiled, tid, lang, name)
    except MailgitopsError as e:
        return list(e.diagnostics) or [error(f"templates/{tid}", 0, 0, "render-error", e.message,
                                             hint=e.hint)]
    # the lints `validate` reads from the sources, here exact: this is the real HTML
    found = repo.samples.get(name)
    shop = str(found.data.get("webshop") or "") if found else ""  # its look: its own layout
    shell = compiled.shell(compiled.templates[tid].layout, direction(p.email.lang), shop)
    lints = tuple(f.message for f in email_findings(p.email.html, compiled.theme_for(shop), shell=shell,
                                                    lang=p.email.lang, subject=p.email.subject,
                                                    preheader=p.email.preheader))
    eml = p.message.as_bytes()
    html_bytes = p.email.html.encode("utf-8")
    folder = out / label
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f"{lang}.html", _for_browser(p.email).encode("utf-8"))
    _write(folder / f"{lang}.txt", p.email.text.encode("utf-8"))
    _write(folder / f"{lang}.eml", eml)
    return ManifestEntry(label, lang, p.email.lang, name, p.email.subject, len(html_bytes), len(eml),
                         p.warnings + lints, html=f"{label}/{lang}.html", text=f"{label}/{lang}.txt",
                         eml=f"{label}/{lang}.eml", sent_by=sent_by(repo, tid),
                         images=tuple(sorted(f"{img.filename} {hashlib.sha256(img.data).hexdigest()[:16]}"
                                             for img in p.email.inline_images)))


def _chunk(jobs: list[Job]) -> list[Done]:
    s = forkpool.state()
    return [_one(s["repo"], s["compiled"], s["out"], job) for job in jobs]


def _warm() -> None:
    """What every email needs, loaded before forking, so that each worker inherits it instead of
    loading it again: the Markdown parser (~40 ms) and the modules that make the .eml."""
    import email.generator  # noqa: F401  (imported for its side effect: the module is loaded)

    import mailgitops.render.text  # noqa: F401  (the text part's module, loaded by the first parse)

    markdown_parser()


def _run(repo: Repo, compiled: CompiledTemplates, out: Path, jobs: list[Job], workers: int
         ) -> Iterator[list[Done]]:
    """Results in the jobs' order, chunk by chunk. Rendering is CPU-bound pure Python, so only
    processes use a second core; fork lets each inherit the compiled repository for free."""
    if workers > 1:
        _warm()
    parts = forkpool.chunks(jobs, workers)
    yield from forkpool.fork_map(_chunk, parts, workers, {"repo": repo, "compiled": compiled, "out": out})
