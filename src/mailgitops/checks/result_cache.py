"""Per-file results of `validate`, kept between runs: an unchanged file is not analysed again.

An entry's key is a hash of everything its result is made from: the file's path and text, the
code that made it (every file of the mailgitops package, the installed libraries' versions and
Python's), and, for the checks that read more than the file, every other file `validate` reads
(config, template.yaml files, layouts, theme, assets). Edit one template text and only that text
misses; edit workflow.yaml or upgrade mailgitops and every entry misses. Only per-file work is
kept (front matter, template checks, the render-all run and lints of one text, secrets in one
file); the checks across files always run, on results from here or fresh ones alike.

Where: one pack per repository folder under $XDG_CACHE_HOME/mailgitops/validate/ (the folder
rules of render/diskcache.py: ours, 0700, else no cache). It is read once and written once per
run, whole, to a temporary file renamed over the old one: a concurrent run reads the old or the
new pack, never half of one, and since every entry is keyed by what it was made from, whichever
pack wins holds only true results. A pack whose checksum does not match is ignored, as is one
that fails to load in any way. Off with `validate --no-cache` or MAILGITOPS_NO_CACHE=1."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, fields
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from mailgitops.diagnostics import Diagnostic
from mailgitops.render import diskcache
from mailgitops.yamlsrc import Pos

T = TypeVar("T")
_MAGIC = b"mailgitops-validate-1\n"


@dataclass(frozen=True, slots=True)
class CacheStats:
    """What a run took from the pack and what it analysed, per check family (for tests and docs)."""

    hits: dict[str, int]
    analysed: dict[str, tuple[str, ...]]  # family -> the files analysed afresh
    from_workers: int = 0  # of those, results another process computed (validate's pool)


@cache
def code_fingerprint() -> str:
    """The code that makes every result: each file of the mailgitops package (an editable install
    keeps one version number across edits), the installed distributions with their versions
    (jinja2, PyYAML, jsonschema, markdown-it...) and Python's version."""
    pkg = Path(__file__).resolve().parent.parent
    parts: list[str | bytes] = [sys.version]
    for path in sorted(pkg.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            parts += [path.relative_to(pkg).as_posix(), path.read_bytes()]
    for entry in sys.path:
        with contextlib.suppress(OSError):
            parts.extend(sorted(n for n in os.listdir(entry or ".") if n.endswith(".dist-info")))
    return diskcache.digest(*parts)


class _Skip(Enum):
    NO = 0


class ResultCache:
    """One run's view of the pack: entries found, entries made, and what was analysed.

    It also carries validate's fan-out over processes (validate.py): in a `prefill` pass each
    process computes the results of its share of the files only (`only`), skipping the others,
    and the results computed anywhere end up in `values` before the real pass reads them."""

    def __init__(self, pack: Path | None, entries: dict[str, Any]) -> None:
        self.pack = pack
        self.old = entries
        self.new: dict[str, bytes] = {}  # what `save` writes: this run's entries
        self.values: dict[str, Any] = {}  # computed in this run (here or by a worker), by key
        self.prefix = diskcache.digest(code_fingerprint(), "")  # the code's and the shared inputs' hash
        self.hits: Counter[str] = Counter()
        self.digests: dict[str, tuple[str, bytes]] = {}  # file -> (text, its hash), hashed once
        self.analysed: dict[str, list[str]] = {}
        self.only: frozenset[str] | None = None  # a prefill pass: the files this process computes
        self.fresh: list[str] = []  # keys computed by this process since `prefill` began
        self.from_workers = 0

    @classmethod
    def open(cls, root: Path) -> ResultCache | None:
        """The pack for the repository at `root`; None when caching is off or has no safe folder."""
        folder = diskcache.user_folder("validate")
        if folder is None:
            return None
        pack = folder / f"{diskcache.digest(str(root.resolve()))[:32]}.pack"
        return cls(pack, _read(pack))

    def bind(self, shared: str) -> None:
        # the shared inputs are part of every later key
        self.prefix = diskcache.digest(code_fingerprint(), shared)

    def prefill(self, only: frozenset[str] | None) -> None:
        """Start (`only` = the files to compute) or end (None) a prefill pass."""
        self.only, self.fresh = only, []

    def computed(self) -> dict[str, Any]:
        """The results this process computed in its prefill pass (a worker sends them back)."""
        return {k: self.values[k] for k in self.fresh}

    def merge(self, values: dict[str, Any]) -> None:
        self.values.update(values)
        self.from_workers += len(values)
        if self.pack is not None:
            for key, value in values.items():
                with contextlib.suppress(Exception):
                    self.new[key] = _dumps(value)

    def key(self, family: str, file: str, text: str) -> str:
        # the loader's families run before `bind`: their key holds no shared inputs, as their
        # results (a file's YAML and schema problems) depend on nothing else
        known = self.digests.get(file)
        if known is None or known[0] != text:
            known = (text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
            self.digests[file] = known
        # one C call per lookup: "\0" cannot be in a family, a path or the fixed-size prefix
        return hashlib.sha256(f"{self.prefix}\0{family}\0{file}\0".encode() + known[1]).hexdigest()

    def missing(self, family: str, sources: Mapping[str, str]) -> int:
        """How many template texts have no result of `family` in the pack."""
        return sum(1 for rel, text in sources.items()
                   if is_template_text(rel) and self.key(family, rel, text) not in self.old)

    def get(self, family: str, file: str, text: str, compute: Callable[[], T],
            skipped: T | _Skip = _Skip.NO) -> T:
        key = self.key(family, file, text)
        counting = self.only is None  # a prefill pass counts nothing: the real pass does
        if key in self.values:  # computed in this run, in a prefill pass
            if counting:
                self.analysed.setdefault(family, []).append(file)
            value: T = self.values[key]
            return value
        if not counting and not isinstance(skipped, _Skip) and file not in (self.only or ()):
            return skipped  # another process computes it
        stored = self.old.get(key)
        if isinstance(stored, bytes) and (found := _unpickle(stored)) is not _MISS:
            if counting:
                self.hits[family] += 1
            self.new[key] = stored
            value = found  # what `compute` returned for this key in an earlier run
            return value
        if counting:
            self.analysed.setdefault(family, []).append(file)
        value = compute()
        if not counting:
            self.values[key] = value
            self.fresh.append(key)
        if self.pack is not None:
            # pickled now: what a later check does to the objects cannot change what is kept; a
            # value that cannot be pickled is only not kept
            with contextlib.suppress(Exception):
                self.new[key] = _dumps(value)
        return value

    def stats(self) -> CacheStats:
        return CacheStats(dict(self.hits), {k: tuple(v) for k, v in self.analysed.items()}, self.from_workers)

    def save(self) -> None:
        """Write this run's entries (and only those: files gone or changed drop out) atomically."""
        if self.pack is None or (not self.analysed and len(self.new) == len(self.old)):
            return
        payload = pickle.dumps(self.new, protocol=pickle.HIGHEST_PROTOCOL)  # str -> bytes: always works
        tmp = self.pack.with_name(f"{self.pack.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # results are the user's
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            tmp.replace(self.pack)  # readers see the old pack or this one, whole
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def _read(pack: Path) -> dict[str, Any]:
    """The pack's entries; {} when missing, unreadable, damaged or from another format."""
    try:
        data = pack.read_bytes()
    except OSError:
        return {}
    head, digest, payload = data[: len(_MAGIC)], data[len(_MAGIC): len(_MAGIC) + 32], data[len(_MAGIC) + 32:]
    if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
        return {}
    entries = _unpickle(payload)
    return entries if isinstance(entries, dict) else {}


_MISS = object()
# Frozen slots dataclasses pickle through their generic __getstate__/__setstate__, which looks up
# their fields on every object: stored as the constructor's arguments they load ~3x faster.
_FLAT = {cls: tuple(f.name for f in fields(cls)) for cls in (Diagnostic, Pos)}


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        names = _FLAT.get(type(obj))
        if names is None:
            return NotImplemented
        return type(obj), tuple(getattr(obj, n) for n in names)


def _dumps(value: Any) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


def _unpickle(data: bytes) -> Any:
    """The stored object, or _MISS: any damage the checksum missed is a miss, never trusted."""
    try:
        return pickle.loads(data)  # noqa: S301 -- our own file, in a folder only we can write
    except Exception:
        return _MISS


def is_template_text(rel: str) -> bool:
    """A template's `<lang>.md`: its results are kept per file, not in the shared hash."""
    return rel.startswith("templates/") and not rel.startswith("templates/_") and rel.endswith(".md")


def shared_digest(sources: Mapping[str, str], assets: Mapping[str, Path]) -> str:
    """Every input a per-file check reads besides its own file: each file `validate` read that is
    not a template text (config, template.yaml, layouts, theme) and each asset's bytes."""
    parts: list[str | bytes] = []
    for rel, text in sorted(sources.items()):
        if not is_template_text(rel):
            parts += [rel, text]
    for name, path in sorted(assets.items()):
        try:
            parts += [name, path.read_bytes()]
        except OSError:
            parts += [name, os.urandom(16)]  # unreadable: reported elsewhere, matches nothing
    return diskcache.digest(*parts)


_current: ContextVar[ResultCache | None] = ContextVar("mailgitops_validate_cache", default=None)


@contextlib.contextmanager
def active(results: ResultCache | None) -> Iterator[None]:
    """Make `results` the cache the checks consult (`per_file`) while validate runs them: the
    check families keep their one-argument signature and work unchanged without a cache."""
    token = _current.set(results)
    try:
        yield
    finally:
        _current.reset(token)


def per_file(family: str, file: str, text: str, compute: Callable[[], T],
             skipped: T | _Skip = _Skip.NO) -> T:
    """`compute()`, or its result from an earlier run when `text` (the file's content) and every
    shared input are unchanged. `compute` must depend on nothing else. `skipped` stands in for
    the result where a prefill pass leaves the file to another process (an empty list: nothing
    found), for callers whose cross-file work tolerates it; the real pass never sees it."""
    results = _current.get()
    return compute() if results is None else results.get(family, file, text, compute, skipped)
