"""The dispatcher's per-user cache of work that does not depend on the event's values: compiled
Jinja code and parsed Markdown structures, so the 2nd..nth cold `mailgitops dispatch` skips them.

Never required and never stale: an entry's key is a hash of everything its content is made from
(the source text, and the code and library versions that turn it into the entry), so a new
bundle, a new mailgitops or a new Jinja/markdown-it simply misses. Off unless the dispatcher
turns it on (validate, bundle and previews see edited, unreviewed sources: no reason to keep
them). A directory that cannot be made, is not ours or is writable by others is not used;
a write that fails is skipped. `MAILGITOPS_NO_CACHE=1` turns it off; deleting it is always safe."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from mailgitops import private

_enabled = False


def enable(on: bool = True) -> None:
    """Called by the dispatcher: it runs only reviewed bundles, so what it caches is worth keeping."""
    global _enabled  # noqa: PLW0603 -- one switch for the process, set once by the dispatcher
    _enabled = on


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        data = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
        h.update(len(data).to_bytes(8, "big"))  # length-prefixed: ("ab", "c") is not ("a", "bc")
        h.update(data)
    return h.hexdigest()


def source_fingerprint(*files: str | None) -> str:
    """What code made an entry: the Python version and the bytes of the given source files (our
    modules, and a library's `__init__.py`, which carries its version). A file that cannot be
    read makes a fingerprint that matches nothing stored."""
    parts: list[str | bytes] = [sys.version]
    for f in files:
        try:
            parts.append(Path(f).read_bytes() if f else os.urandom(16))
        except OSError:
            parts.append(os.urandom(16))
    return digest(*parts)


def _root() -> Path | None:
    if os.environ.get("MAILGITOPS_NO_CACHE"):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "mailgitops"
    home = os.path.expanduser("~")  # XDG: a relative XDG_CACHE_HOME is ignored
    return Path(home) / ".cache" / "mailgitops" if os.path.isabs(home) else None


@cache
def _safe_dir(path: Path) -> Path | None:
    """`path`, made if missing (0700), if it belongs to this user and nobody else can write to it:
    the Jinja entries are code this process will run."""
    try:
        private.make_dir(path)  # ~/.cache/mailgitops too, not only the last folder, 0700
        st = path.stat()
    except OSError:
        return None
    if not path.is_dir() or st.st_mode & 0o022 or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        return None
    return path


def user_folder(kind: str) -> Path | None:
    """The per-user folder for `kind` whether or not the dispatcher enabled its cache (validate's
    per-file results use it: checks/result_cache.py), or None: turned off, or not safe to use."""
    root = _root()
    return _safe_dir(root / kind) if root is not None else None


def directory(kind: str) -> Path | None:
    """The cache folder for `kind` (jinja | markdown), or None: not enabled, or not safe to use."""
    if not _enabled:
        return None
    root = _root()
    return _safe_dir(root / kind) if root is not None else None


def load_json(kind: str, key: str) -> Any:
    folder = directory(kind)
    if folder is None:
        return None
    try:
        return json.loads((folder / f"{key}.json").read_bytes())
    except (OSError, ValueError):  # missing, unreadable or half-written by a crash: a miss
        return None


def store_json(kind: str, key: str, value: Any) -> None:
    folder = directory(kind)
    if folder is None:
        return
    target = folder / f"{key}.json"
    tmp = folder / f"{key}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        tmp.replace(target)  # readers see the whole entry or none
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
