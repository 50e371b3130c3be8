"""`init`: write a new print room's config repository from the shipped defaults and the scaffold."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from mailgitops import __version__
from mailgitops.bundle import DEFAULT_PATH as BUNDLE_PATH
from mailgitops.defaults import defaults_root, schemas_root
from mailgitops.errors import MailgitopsError, UsageError

__all__ = ["BUNDLE_PATH", "InitResult", "default_requirement", "init_repository", "planned_files"]

# Scaffold files are stored without leading dots (hidden files are easy to lose in packaging).
_SCAFFOLD_NAMES = {
    "github": ".github",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
    "vscode": ".vscode",
}
_SKIP = {"__pycache__", "__init__.py", ".DS_Store"}
# Present in a fresh clone of an empty remote; not a reason to refuse.
_IGNORED_EXISTING = {".git"}
VERSION_MARK = "@MAILGITOPS_VERSION@"
REQUIREMENT_MARK = "@MAILGITOPS_REQUIREMENT@"


def default_requirement() -> str:
    """The requirements.txt line CI installs mailgitops with, unless `init --install` names another."""
    return f"mailgitops=={__version__}"


def _check_requirement(spec: str) -> str:
    spec = spec.strip()
    if not spec or "\n" in spec or "\r" in spec or spec.startswith(("#", "-")):
        raise UsageError(f"--install {spec!r} is not one requirement line",
                         hint="give a pip requirement such as mailgitops==0.1.0 or "
                              "'mailgitops @ git+https://git.example.com/tools/mailgitops@v0.1.0'")
    return spec


@dataclass(frozen=True, slots=True)
class InitResult:
    root: Path
    written: tuple[str, ...]  # repository-relative, sorted


def _files(src: Traversable, rel: str = "") -> list[tuple[str, Traversable]]:
    """Every file below `src` as (relative path, file), sorted, generated files left out."""
    out: list[tuple[str, Traversable]] = []
    for child in sorted(src.iterdir(), key=lambda c: c.name):
        if child.name in _SKIP or child.name.endswith(".pyc"):
            continue
        path = f"{rel}{child.name}"
        if child.is_dir():
            out.extend(_files(child, path + "/"))
        else:
            out.append((path, child))
    return out


def _scaffold_target(rel: str) -> str:
    first, _, rest = rel.partition("/")
    first = _SCAFFOLD_NAMES.get(first, first)
    return f"{first}/{rest}" if rest else first


def planned_files() -> list[tuple[str, Traversable]]:
    """(target path, source) for everything `init` writes, sorted by target."""
    plan: dict[str, Traversable] = {}
    defaults = defaults_root()
    for top in ("config", "templates"):
        for rel, src in _files(defaults / top):
            plan[f"{top}/{rel}"] = src
    for rel, src in _files(schemas_root()):
        plan[f"schema/{rel}"] = src
    for rel, src in _files(resources.files("mailgitops.gitops") / "scaffold"):
        plan[_scaffold_target(rel)] = src
    return sorted(plan.items())


def _check_target(root: Path, force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder", hint="choose a new folder name")
    if root.is_dir() and not force:
        existing = sorted(p.name for p in root.iterdir() if p.name not in _IGNORED_EXISTING)
        if existing:
            shown = ", ".join(existing[:5]) + (" …" if len(existing) > 5 else "")
            raise UsageError(
                f"{root} is not empty ({shown})",
                hint="choose an empty folder, or pass --force to overwrite mailgitops' files in it",
            )


def _content(src: Traversable, requirement: str) -> bytes:
    data = src.read_bytes()
    for mark, value in ((VERSION_MARK, __version__), (REQUIREMENT_MARK, requirement)):
        data = data.replace(mark.encode(), value.encode())
    return data


def init_repository(root: Path, *, force: bool = False, requirement: str | None = None) -> InitResult:
    """Write config/, templates/, schema/, the workflows, the pre-commit config and the README.

    `requirement` is the line of requirements.txt that CI and pre-commit install mailgitops with
    (default: this version from PyPI). Refuses a non-empty folder unless `force`; with `force`,
    files of the same name are overwritten and all others are left alone."""
    requirement = _check_requirement(requirement) if requirement is not None else default_requirement()
    _check_target(root, force)
    plan = planned_files()
    written = []
    try:
        for target, src in plan:
            dest = root / target
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(_content(src, requirement))
            written.append(target)
    except OSError as e:
        raise MailgitopsError(f"cannot write the repository into {root}: {e.strerror or e}",
                              hint="check the folder's permissions and free space") from e
    return InitResult(root=root, written=tuple(written))
