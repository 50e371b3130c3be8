"""T8: put a template's shipped default text back into a config repository."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from mailgitops.defaults import defaults_root
from mailgitops.errors import MailgitopsError, UsageError
from mailgitops.suggest import did_you_mean
from mailgitops.yamlsrc import load_yaml

LANGUAGES = "config/languages.yaml"

# In a source checkout the shipped defaults are the repository's own files, which may be the very
# files being restored: there the committed version (git HEAD) is the default, not the edited file.


@dataclass(frozen=True, slots=True)
class Shipped:
    """Read access to the shipped templates: `files(id)` and `read(id, name)`."""

    root: Path
    git: bool

    def ids(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))

    def files(self, template_id: str) -> list[str]:
        folder = self.root / template_id
        if self.git:
            listed = _git(self.root.parent, "ls-tree", "--name-only", f"HEAD:templates/{template_id}")
            if listed is not None:
                return sorted(listed.decode().split())
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    def read(self, template_id: str, name: str) -> bytes:
        if self.git:
            data = _git(self.root.parent, "show", f"HEAD:templates/{template_id}/{name}")
            if data is not None:
                return data
        return (self.root / template_id / name).read_bytes()


def _git(cwd: Path, *args: str) -> bytes | None:
    try:
        # fixed arguments, no shell; git from PATH like any developer tool
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=20,  # noqa: S603, S607
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def shipped() -> Shipped:
    root = Path(str(defaults_root()))
    return Shipped(root / "templates", git=(root / ".git").exists())


def _active(root: Path) -> set[str] | None:
    """The repository's active languages, or None when languages.yaml cannot be read (validate says why)."""
    try:
        doc, diags = load_yaml((root / LANGUAGES).read_text(encoding="utf-8"), LANGUAGES)
    except (OSError, UnicodeDecodeError):
        return None
    active = doc.data.get("active") if isinstance(doc.data, dict) and not diags else None
    return {str(a) for a in active} if isinstance(active, list) else None


def restore(root: Path, template_id: str, lang: str | None = None) -> list[str]:
    """Write the shipped default of a template (all of it, or one language); returns the paths.

    Without `lang`: template.yaml and the texts of the repository's active languages (a text in a
    language the repository does not use would only be warned about by `validate`)."""
    if not (root / "config").is_dir():
        # never scatter a templates/ folder into whatever directory the command was run in
        raise UsageError(f"{root.resolve()} is not a config repository (it has no config/ folder)",
                         hint="run it in the repository, or pass --root DIR")
    source = shipped()
    names = source.files(template_id)
    if not names:
        raise UsageError(f"`{template_id}` is not a shipped template",
                              hint=did_you_mean(template_id, source.ids())
                              or f"shipped templates: {', '.join(source.ids())}")
    if lang is not None:
        wanted = f"{lang}.md"
        if wanted not in names:
            langs = ", ".join(n.removesuffix(".md") for n in names if n.endswith(".md"))
            raise UsageError(f"the shipped `{template_id}` has no `{lang}` text",
                             hint=f"shipped languages: {langs}")
        names = [wanted]
    else:
        active = _active(root)
        if active is not None:
            names = [n for n in names if not n.endswith(".md") or n.removesuffix(".md") in active]
    target = root.resolve() / "templates" / template_id
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            (target / name).write_bytes(source.read(template_id, name))
            written.append(f"templates/{template_id}/{name}")
    except OSError as e:  # a read-only checkout, a full disk: the environment, not a bug
        raise MailgitopsError(f"cannot write templates/{template_id}/: {e.strerror or e}",
                              hint="check the folder's permissions and free space") from e
    return written
