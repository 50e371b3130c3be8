"""No secret in the repository (RELIABILITY 20): literal passwords, tokens and private keys."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from mailgitops.checks.result_cache import per_file
from mailgitops.diagnostics import Diagnostic, error
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import PathKey, YamlDoc

SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|private[_-]?key|credentials?|auth[_-]?key)",
    re.IGNORECASE,
)
REFERENCE_KEY = re.compile(r"(_env|_file|_path)$", re.IGNORECASE)
PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----")
# well-known token shapes that are secrets wherever they appear
TOKEN = re.compile(
    r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|sk_live_[A-Za-z0-9]{20,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|glpat-[A-Za-z0-9_-]{20,})"
)
# `# password: hunter2`: a commented-out setting whose key names a secret and whose value is the
# whole rest of the comment (prose such as `# token: see the wiki` goes on after its first word)
COMMENTED = re.compile(r"(?:^|\s)#\s*(?P<key>[\w.-]+)\s*[:=]\s*(?P<value>[^\s#]+)\s*$")
PLACEHOLDER = re.compile(r"^(<.*>|\$\{?\w+\}?|\.{3}|(.)\2*|none|null|~|''|\"\")$", re.IGNORECASE)
HINT = "use password_env: MAILGITOPS_SMTP_PASSWORD or password_file: <a file outside the repository>"
MAX_SCAN_BYTES = 1_000_000


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: random tokens score high, words low."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(text: str) -> bool:
    return len(text) >= 20 and " " not in text and entropy(text) >= 3.5


def _walk(value: Any, path: PathKey) -> Iterator[tuple[PathKey, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


# config/smtp.yaml's `auth`: what a value there may be. Anything else written under it (a misspelt
# `pasword:`, the password given to password_env) is taken for the password itself.
AUTH_KEYS = frozenset({"mode", "username", "password_env", "password_file"})
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _auth_problem(path: PathKey, value: Any) -> str | None:
    if len(path) != 2 or path[0] != "auth" or not isinstance(value, str) or not value.strip():
        return None
    key = path[1]
    if key == "password_env" and not ENV_NAME.match(value):
        return ("`password_env` holds something that is not an environment variable's name: if it is the "
                "password, it is in the repository now")
    if isinstance(key, str) and key not in AUTH_KEYS:
        return (f"`{key}` under `auth` holds a literal value: if it is the password (a misspelt "
                "`password`), it is in the repository now")
    return None


def _key_problem(path: PathKey, value: Any) -> str | None:
    key = path[-1] if path else None
    if not isinstance(key, str) or not SECRET_KEY.search(key) or REFERENCE_KEY.search(key):
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
        kind = "a random-looking value" if looks_random(str(value)) else "a literal value"
        return f"`{key}` holds {kind}: secrets must not be in the repository"
    return None


def check_doc(doc: YamlDoc) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    smtp = doc.file.endswith("config/smtp.yaml")
    for path, value in _walk(doc.data, ()):
        found = _key_problem(path, value) or (_auth_problem(path, value) if smtp else None)
        if found is None and isinstance(value, str):
            if PRIVATE_KEY.search(value):
                found = "a private key is written here: keys must not be in the repository"
            elif TOKEN.search(value):
                found = "this looks like an access token: tokens must not be in the repository"
        if found:
            out.append(doc.at(path, "secret-in-repo", found, hint=HINT))
    return out


def check_file(root: Path, path: Path) -> list[Diagnostic]:
    """Files the loader did not read (certificates, .env files, assets): private keys and tokens."""
    if path.is_symlink() or not path.is_file():
        return []  # links are the loader's business; devices and pipes are never read
    try:
        with path.open("rb") as f:
            text = f.read(MAX_SCAN_BYTES).decode("utf-8", "replace")
    except OSError:
        return []
    return scan_text(path.relative_to(root).as_posix(), text)


def scan_text(rel: str, text: str, first_line: int = 1) -> list[Diagnostic]:
    """The first private key or token in a text (starting on `first_line` of file `rel`)."""
    for pattern, what in ((PRIVATE_KEY, "a private key"), (TOKEN, "an access token")):
        m = pattern.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + first_line
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            return [error(rel, line, col, "secret-in-repo",
                          f"this file holds {what}: secrets must not be in the repository",
                          hint="remove it, and revoke it: git history keeps a copy; keep it on the server")]
    return []


def comment_secrets(rel: str, text: str) -> list[Diagnostic]:
    """Secrets in YAML comments: a commented-out `password: ...` is in git just the same."""
    out = []
    for n, line in enumerate(text.split("\n"), start=1):
        m = COMMENTED.search(line)
        if m is None:
            continue
        key, value = m.group("key"), m.group("value").strip("'\"")
        if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key) and not PLACEHOLDER.match(value):
            out.append(error(rel, n, m.start("value") + 1, "secret-in-repo",
                             f"a comment holds a literal `{key}`: secrets must not be in the repository, "
                             "not even commented out",
                             hint="remove it, and change it: git history keeps a copy; " + HINT))
    return out


def file_secrets(rel: str, text: str, doc: YamlDoc | None) -> list[Diagnostic]:
    """One file's secrets: values by their key (YAML and front matter), then its whole text,
    comments included, at lines its values did not already report."""
    out = check_doc(doc) if doc is not None else []
    reported = {(d.file, d.line) for d in out}
    found = scan_text(rel, text)
    if rel.endswith((".yaml", ".yml")):
        found += comment_secrets(rel, text)
    return out + [d for d in found if (d.file, d.line) not in reported]


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    """Every file's secrets, a token pasted into a `#` comment or a layout as much as a value:
    each file read on its own (kept per file by validate, checks/result_cache.py), then the files
    the loader does not read."""
    out: list[Diagnostic] = []
    for rel, text in sorted(loaded.sources.items()):
        out.extend(per_file("secrets", rel, text, partial(file_secrets, rel, text, loaded.docs.get(rel)), []))
    root = loaded.repo.root
    prefix = len(str(root).rstrip("/")) + 1  # a prefix cut, not relative_to: 10,000 files at 1,000 templates
    for name in ("config", "templates", "certs"):
        folder = root / name
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.rglob("*"), key=str):
            if str(path)[prefix:].replace(os.sep, "/") not in loaded.sources:
                out.extend(check_file(root, path))
    return out
