"""Build the bundle from a repository: validate it, compile it, write it; and tell a stale one.

Apart from bundle.py (the format, which the dispatcher loads) because it needs the validator and
the compiler, which the send path must not import."""

from __future__ import annotations

import json
from pathlib import Path

from mailgitops.bundle import serialize, settings_of
from mailgitops.errors import MailgitopsError


def build(root: Path, key: str | None = None) -> bytes:
    """The bundle of the repository at `root`; refuses (with every diagnostic) if it does not validate."""
    from mailgitops.render import formats, formats_carried, preparsed
    from mailgitops.render.compiled import compile_repo  # heavy: only when a bundle is built
    from mailgitops.validate import validate_repo

    result = validate_repo(root)
    if result.errors:
        raise MailgitopsError(f"{root}: the repository has {len(result.errors)} problem(s); "
                              "no bundle was built",
                              diagnostics=result.errors, hint="run `mailgitops validate` and fix them first")
    repo = result.loaded.repo
    compiled = compile_repo(repo)
    # the Markdown of every sample's emails, parsed now: `dispatch` then needs no Markdown parser;
    # and Babel's data for each language: it loads no locale data to format a date
    return serialize({"settings": settings_of(repo).to_json(), "compiled": compiled.to_dict(),
                      "preparsed": preparsed.collect(repo, compiled),
                      "formats": formats_carried.carry(repo.languages.active, repo.workflow.timezone,
                                                       formats.babel_locale)}, key)


def write(root: Path, out: Path, key: str | None = None) -> bytes:
    data = build(root, key)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # readers never see half a bundle
    return data


def is_fresh(root: Path, file: Path, key: str | None = None) -> bool:
    """FILE is what `write` would write now. Without the key, a signed FILE is compared without its
    signature (CI can check freshness without holding the signing key)."""
    try:
        current = file.read_bytes()
    except OSError:
        return False
    built = build(root, key)
    if current == built:
        return True
    if key is None:
        try:
            doc = json.loads(current)
        except ValueError:
            return False
        if isinstance(doc, dict) and doc.pop("signature", None) is not None:
            return bool(doc == json.loads(built))
    return False
