"""The bundle: one deterministic, content-hashed file holding everything the dispatcher runs.

Build and check need the whole validator and renderer; load needs only json and hashlib, so
the send path stays light (the heavy imports live inside build())."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailgitops.errors import MailgitopsError

if TYPE_CHECKING:
    from mailgitops.model import Repo, Sender
    from mailgitops.render.compiled import CompiledTemplates

FORMAT = "mailgitops-bundle/1"
DEFAULT_PATH = "bundle/mailgitops.bundle.json"


@dataclass(frozen=True, slots=True)
class Bundle:
    path: str
    hash: str
    settings: Mapping[str, Any]  # smtp, languages, workflow, webshops, templates, catalog
    compiled_raw: Mapping[str, Any]

    def compiled(self) -> CompiledTemplates:
        from mailgitops.render.compiled import CompiledTemplates

        return CompiledTemplates.from_dict(self.compiled_raw)


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


def content_hash(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def serialize(content: Mapping[str, Any]) -> bytes:
    """Same content, same bytes: keys sorted at every level, fixed separators, one trailing newline."""
    doc = {"format": FORMAT, "hash": content_hash(content), "content": _sorted(content)}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _sender(s: Sender | None) -> dict[str, Any] | None:
    return None if s is None else {"address": s.address, "name": s.name}


def settings_of(repo: Repo) -> dict[str, Any]:
    """The runtime settings the dispatcher needs, from the validated model."""
    from mailgitops import catalog

    smtp, server, auth = repo.smtp, repo.smtp.server, repo.smtp.auth
    ca_pem = None
    if server.ca_file:
        try:
            ca_pem = (repo.root / server.ca_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise MailgitopsError(f"config/smtp.yaml: cannot read server.ca_file {server.ca_file}: {e}"
                                  ) from e
    wf = repo.workflow
    cat = catalog.triggers()
    return {
        "smtp": {
            "sender": _sender(smtp.sender), "cc": list(smtp.cc), "allow_operator_cc": smtp.allow_operator_cc,
            "server": {"host": server.host, "port": server.port, "security": server.security,
                       "allow_self_signed": server.allow_self_signed, "ca_pem": ca_pem,
                       "pin_sha256": server.pin_sha256, "timeout_seconds": server.timeout_seconds},
            "auth": {"mode": auth.mode, "username": auth.username, "password_env": auth.password_env,
                     "password_file": auth.password_file},
        },
        "languages": {"default": repo.languages.default, "active": list(repo.languages.active)},
        "workflow": {
            "allow_operator_attachments": wf.allow_operator_attachments, "order_url": wf.order_url,
            "triggers": {t.id: {"template": t.template, "send": t.send, "to": list(t.to),
                                "edit_before_send": t.edit_before_send, "cc": list(t.cc)}
                         for t in wf.triggers.values()},
        },
        "webshops": {w.id: {"name": w.name, "sender": _sender(w.sender)} for w in repo.webshops.values()},
        "templates": {t.id: {"audience": t.audience, "attachments": list(t.attachments.enabled())}
                      for t in repo.templates.values()},
        "catalog": {c.id: {"editable": c.editable, "default_recipients": list(c.default_recipients),
                           "default_template": c.default_template} for c in cat.values()},
    }


def build(root: Path) -> bytes:
    """The bundle of the repository at `root`; refuses (with every diagnostic) if it does not validate."""
    from mailgitops.render.compiled import compile_repo
    from mailgitops.validate import validate_repo

    result = validate_repo(root)
    if result.errors:
        raise MailgitopsError(f"{root}: the repository has {len(result.errors)} problem(s); "
                              "no bundle was built",
                              diagnostics=result.errors, hint="run `mailgitops validate` and fix them first")
    repo = result.loaded.repo
    return serialize({"settings": settings_of(repo), "compiled": compile_repo(repo).to_dict()})


def write(root: Path, out: Path) -> bytes:
    data = build(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)  # readers never see half a bundle
    return data


def is_fresh(root: Path, file: Path) -> bool:
    try:
        current = file.read_bytes()
    except OSError:
        return False
    return current == build(root)


def load(path: str | Path) -> Bundle:
    """Read a bundle, refusing a wrong format version or a content hash that does not match."""
    p = Path(path)
    try:
        doc = json.loads(p.read_bytes())
    except OSError as e:
        raise MailgitopsError(f"cannot read the bundle {p}: {e.strerror}",
                              hint="build one with `mailgitops bundle --out FILE`") from e
    except ValueError as e:
        raise MailgitopsError(f"{p} is not a mailgitops bundle (not JSON: {e})") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise MailgitopsError(f"{p}: bundle format {found!r} is not {FORMAT!r}; this dispatcher refuses it",
                              hint="rebuild it with this version: `mailgitops bundle --out FILE`")
    content = doc.get("content")
    if not isinstance(content, dict) or content_hash(content) != doc.get("hash"):
        raise MailgitopsError(f"{p}: the content does not match the bundle's hash {doc.get('hash')!r}; "
                              "the file was changed after it was built and is refused",
                              hint="rebuild it from the reviewed repository: `mailgitops bundle --out FILE`")
    if not isinstance(content.get("settings"), dict) or not isinstance(content.get("compiled"), dict):
        raise MailgitopsError(f"{p}: the bundle has no settings or no compiled templates; it was not "
                              "written by `mailgitops bundle` and is refused",
                              hint="rebuild it from the reviewed repository: `mailgitops bundle --out FILE`")
    return Bundle(path=str(p), hash=str(doc["hash"]), settings=content["settings"],
                  compiled_raw=content["compiled"])
