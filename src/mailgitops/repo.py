"""Load a config repository: read files, check each against its schema, build the model."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mailgitops import repo_catalog, schemacheck
from mailgitops.catalog import Catalog
from mailgitops.diagnostics import Diagnostic, error
from mailgitops.frontmatter import SplitTemplate, split
from mailgitops.model import Attachments, Repo, Sample, Template, TemplateText
from mailgitops.repo_settings import (
    as_dict,
    languages_settings,
    smtp_settings,
    webshop_settings,
    workflow_settings,
)
from mailgitops.yamlsrc import YamlDoc, load_yaml

LAYOUTS_DIR = "templates/_layouts"
ASSETS_DIR = "templates/_assets"
MAX_READ_BYTES = 2_000_000  # above every per-kind cap (YAML 1 MB, templates 200 KB)
_PARTIAL = frozenset({"duplicate-key", "yaml-ambiguous"})  # the file's other values are sound
_LANG_FILE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\.md$")


@dataclass
class LoadedRepo:
    """The model (possibly partial when files have errors), the parsed documents by
    repository-relative path (for positions), and every problem found while loading."""

    repo: Repo
    docs: dict[str, YamlDoc] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # the text of every file read, by repository-relative path (checks find columns in it)
    sources: dict[str, str] = field(default_factory=dict)


_T = TypeVar("_T")


class Memo(Protocol):
    """How the loader runs the work on one file's text: `compute()`, or (validate, through
    checks/result_cache.py) its result from an earlier run on the same text."""

    def __call__(self, family: str, file: str, text: str, compute: Callable[[], _T]) -> _T: ...


def no_memo(family: str, file: str, text: str, compute: Callable[[], _T]) -> _T:
    return compute()


def front_matter(text: str, rel: str) -> tuple[SplitTemplate | None, list[Diagnostic]]:
    """A template text's front matter (its body left empty: `body_of` cuts it from the text, so
    what validate keeps per file is not a second copy of every text) and every problem of it
    (YAML, then the schema when the YAML is sound): what loading one text finds in it alone."""
    parts, diags = split(text, rel)
    if parts is not None and not diags:
        diags = list(schemacheck.check(parts.front, "front-matter"))
    return (replace(parts, body="") if parts is not None else None), diags


def body_of(text: str, body_line: int) -> str:
    """The body frontmatter.split found: the lines from `body_line` on."""
    return "\n".join(text.removeprefix("\ufeff").split("\n")[body_line - 1:])


def yaml_file(text: str, rel: str, kind: str, validator: Any = None) -> tuple[YamlDoc, list[Diagnostic]]:
    """One YAML file's document and problems: YAML first, then the schema's."""
    doc, diags = load_yaml(text, rel)
    empty = doc.data is None and not diags  # nothing but blank lines and comments
    if doc.data is None:
        doc.data = {}
    # A duplicate key or a YAML 1.1 reading leaves the rest of the file readable: the schema's
    # findings elsewhere in it are reported too (not those at a place already reported).
    if all(d.code in _PARTIAL for d in diags):
        seen = {d.json_path for d in diags}
        schema_found = schemacheck.check(doc, kind, validator)
        # `send: yes`: YAML's yes/no doubt is reported; the fix is the schema's, not "write true"
        values = {d.json_path: d.hint for d in schema_found if d.code == "bad-value" and d.hint}
        diags = [replace(d, hint=values[d.json_path]) if d.code == "yaml-ambiguous" and d.json_path in values
                 else d for d in diags]
        found = [d for d in schema_found if d.json_path not in seen]
        if empty and found:  # one error for the file, not one per key it lacks (and what follows)
            found = [error(rel, 1, 1, "empty-file", f"{rel} is empty, but it needs "
                           + ", ".join(f"`{k}`" for k in _missing_keys(found)),
                           hint="write them (a repository made by `mailgitops init` has an example of "
                           "this file), or restore it if it was emptied by mistake: "
                           f"`git checkout -- {rel}`")]
        diags = diags + found
    return doc, diags


def _missing_keys(found: list[Diagnostic]) -> list[str]:
    """The keys the schema's findings on an empty document name as required."""
    keys = [m.group(1) for d in found if (m := re.search(r"required key `([^`]+)`", d.message))]
    return keys or ["its settings"]


class _Loader:
    def __init__(self, root: Path, memo: Memo = no_memo) -> None:
        self.root = root
        self.prefix = str(root).rstrip(os.sep) + os.sep
        self.memo = memo
        self.docs: dict[str, YamlDoc] = {}
        self.diags: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.inside: set[Path] = set()  # folders known to resolve inside the repository

    def rel(self, path: Path) -> str:
        text = str(path)  # paths here are made from root: a prefix, not a walk (10,000 files)
        if text.startswith(self.prefix):
            return text[len(self.prefix):].replace(os.sep, "/")
        return path.relative_to(self.root).as_posix()

    def read_text(self, path: Path) -> str | None:
        rel = self.rel(path)
        try:
            text = self._read_capped(path, rel)
        except FileNotFoundError:
            hint = (f"restore it from git (`git checkout -- {rel}`), or copy it from a new repository made "
                    "by `mailgitops init`")
            if path.name == "template.yaml":  # most often a new template's folder, not a deleted file
                hint = ("every template folder needs one: copy another template's template.yaml "
                        "(description, audience, attachments) and adapt it")
            self.diags.append(error(rel, 0, 0, "missing-file", f"{rel} does not exist", hint=hint))
        except UnicodeDecodeError as e:
            # at the first byte that is not UTF-8 (an umlaut saved as Latin-1, say), not at 1:1
            done = e.object[:e.start]
            line = done.count(b"\n") + 1
            col = len(done[done.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
            bad = e.object[e.start]
            self.diags.append(error(rel, line, col, "encoding",
                                    f"file is not UTF-8 text: byte 0x{bad:02x} here ({e.reason})",
                                    hint="save the file as UTF-8 (an editor's \"Save with encoding\")"))
        except OSError as e:
            self.diags.append(error(rel, 0, 0, "unreadable", f"cannot read the file: {e.strerror}",
                                    hint="check the file's permissions"))
        else:
            if text is not None:
                self.sources[rel] = text
            return text
        return None

    def outside(self, path: Path) -> bool:
        """True (and reported) when `path` or a folder above it links to outside the repository."""
        try:
            # resolving every path walks every folder above it again (1,000 templates: ~10,000
            # files): a file that is no link, in a folder already resolved inside, is inside
            if path.parent in self.inside and not path.is_symlink():
                return False
            if path.resolve().is_relative_to(self.root):
                if path.parent.resolve().is_relative_to(self.root):
                    self.inside.add(path.parent)
                return False
            message = "the file is a link to outside the repository"
        except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a link loop
            message = "the file is a link that leads nowhere (a loop)"
        self.diags.append(error(self.rel(path), 1, 1, "outside-repo", message,
                                hint="replace the link with the file itself"))
        return True

    def _read_capped(self, path: Path, rel: str) -> str | None:
        """A regular file inside the repository, at most MAX_READ_BYTES: a link to /dev/zero or
        to a file elsewhere on the CI machine is refused before anything is read."""
        if self.outside(path):
            return None
        if path.exists() and not path.is_file():
            self.diags.append(error(rel, 1, 1, "unreadable", "not a regular file",
                                    hint="config and template files are plain text files"))
            return None
        with path.open("rb") as f:
            data = f.read(MAX_READ_BYTES + 1)
        if len(data) > MAX_READ_BYTES:
            self.diags.append(error(rel, 1, 1, "file-too-large",
                                    f"file is larger than {MAX_READ_BYTES:,} bytes",
                                    hint="config and template files are small; remove generated content"))
            return None
        return data.decode("utf-8")

    def yaml(self, path: Path, kind: str, validator: Any = None) -> dict[str, Any]:
        """Load and schema-check one YAML file (against `validator` when given, e.g. the event
        schema with the repository's own fields); returns {} when it could not be read at all."""
        text = self.read_text(path)
        if text is None:
            return {}
        rel = self.rel(path)
        if validator is None:
            doc, diags = self.memo(f"yaml:{kind}", rel, text, lambda: yaml_file(text, rel, kind))
        else:  # checked against the repository's own catalog, which is not in a loader key
            doc, diags = yaml_file(text, rel, kind, validator)
        self.docs[rel] = doc
        self.diags.extend(diags)
        return doc.data if isinstance(doc.data, dict) else {}


def _template_text(ld: _Loader, tid: str, path: Path) -> TemplateText | None:
    text = ld.read_text(path)
    if text is None:
        return None
    rel = ld.rel(path)
    parts, diags = ld.memo("front-matter", rel, text, lambda: front_matter(text, rel))
    ld.diags.extend(diags)
    if parts is None:
        return None
    ld.docs[rel] = parts.front
    front = as_dict(parts.front.data)
    subject = front.get("subject")
    preheader = front.get("preheader")
    return TemplateText(
        template_id=tid,
        lang=path.stem,
        file=rel,
        subject=subject if isinstance(subject, str) else "",
        preheader=preheader if isinstance(preheader, str) else None,
        body=body_of(text, parts.body_line),
        body_line=parts.body_line,
        front_matter=front,
    )


def _templates(ld: _Loader) -> dict[str, Template]:
    out: dict[str, Template] = {}
    tdir = ld.root / "templates"
    if not tdir.is_dir():
        ld.diags.append(error("templates", 0, 0, "missing-file", "the templates/ folder is missing",
                              hint="run `mailgitops init` for a starting point"))
        return out
    for d in sorted(p for p in tdir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if not any(not p.name.startswith(".") for p in d.iterdir()):
            continue  # a folder left empty (`rm templates/x/*`): git keeps no such folder, nor do we
        meta = ld.yaml(d / "template.yaml", "template")
        texts = {}
        for md in sorted(d.glob("*.md")):
            if not _LANG_FILE.match(md.name):
                lower = md.name[:2].lower() + md.name[2:]  # DE.md, De-CH.md: tags start lower case
                hint = (f"rename it to {lower}" if _LANG_FILE.match(lower)
                        else "name template texts <lang>.md, e.g. de.md or pt-BR.md")
                ld.diags.append(error(ld.rel(md), 1, 1, "bad-file-name",
                                      f"`{md.name}` is not named after a language", hint=hint))
                continue
            tt = _template_text(ld, d.name, md)
            if tt is not None:
                texts[tt.lang] = tt
        att = as_dict(meta.get("attachments"))
        audience = meta.get("audience")
        out[d.name] = Template(
            id=d.name,
            description=str(meta.get("description", "")),
            audience=audience if audience in ("customer", "operator", "approver") else "customer",
            texts=texts,
            attachments=Attachments(**{k: att.get(k) is True for k in Attachments.__slots__}),
            layout=str(meta.get("layout", "default")),
        )
    return out


def _catalog(ld: _Loader, path: Path) -> Catalog:
    """The package's catalog, with config/catalog.yaml's additions when the repository has one."""
    if not path.exists() and not path.is_symlink():
        return repo_catalog.merge(None)[0]
    data = ld.yaml(path, "repo-catalog")
    doc = ld.docs.get(ld.rel(path))
    cat, diags = repo_catalog.merge(doc if data else None)
    ld.diags.extend(diags)
    return cat


def load_repo(root: Path, memo: Memo = no_memo) -> LoadedRepo:
    """Everything in the repository at `root`, never raising for bad input."""
    root = root.resolve()
    ld = _Loader(root, memo)
    cfg = root / "config"
    smtp = smtp_settings(ld.yaml(cfg / "smtp.yaml", "smtp"))
    languages = languages_settings(ld.yaml(cfg / "languages.yaml", "languages"))
    cat = _catalog(ld, cfg / "catalog.yaml")
    workflow = workflow_settings(ld.yaml(cfg / "workflow.yaml", "workflow"), cat)
    webshops = {p.stem: webshop_settings(p, ld.yaml(p, "webshop"), smtp)
                for p in sorted((cfg / "webshops").glob("*.yaml"))}
    samples = {}
    # samples have the shape of an event: with the repository's own fields when it adds some
    events = schemacheck.validator_of(repo_catalog.event_schema(cat)) if cat.custom else None
    for p in sorted((cfg / "samples").glob("*.yaml")):
        samples[p.stem] = Sample(name=p.stem, file=ld.rel(p), data=ld.yaml(p, "sample", events))
    templates = _templates(ld)
    layouts = {}
    for p in sorted((root / LAYOUTS_DIR).glob("*.mjml")):
        text = ld.read_text(p)
        if text is not None:
            layouts[p.stem] = text
    theme_path = root / LAYOUTS_DIR / "theme.yaml"
    theme = ld.yaml(theme_path, "theme") if theme_path.exists() else {}
    # every preview and the bundle carry the assets: a link to a file elsewhere would publish it
    assets_dir = root / ASSETS_DIR
    found = sorted(assets_dir.iterdir()) if assets_dir.is_dir() else []
    assets = {p.name: p for p in found if p.is_file() and not ld.outside(p)}
    repo = Repo(root=root, smtp=smtp, languages=languages, workflow=workflow, webshops=webshops,
                templates=templates, samples=samples, layouts=layouts, theme=theme, assets=assets,
                catalog=cat)
    return LoadedRepo(repo=repo, docs=ld.docs, diagnostics=ld.diags, sources=ld.sources)
