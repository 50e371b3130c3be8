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
from mailgitops.settings import Settings

if TYPE_CHECKING:
    from mailgitops.model import Repo
    from mailgitops.render.compiled import CompiledTemplates

FORMAT = "mailgitops-bundle/1"
DEFAULT_PATH = "bundle/mailgitops.bundle.json"


@dataclass(frozen=True, slots=True)
class Bundle:
    path: str
    hash: str
    settings: Settings
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


def settings_of(repo: Repo) -> Settings:
    """The runtime settings the dispatcher needs, from the validated model."""
    from mailgitops import catalog
    from mailgitops.settings import (
        AuthSettings,
        CatalogEntry,
        LanguageSettings,
        ServerSettings,
        SmtpSettings,
        TemplateSettings,
        TriggerSettings,
        WebshopSettings,
        WorkflowSettings,
    )

    smtp, server, auth = repo.smtp, repo.smtp.server, repo.smtp.auth
    ca_pem = None
    if server.ca_file:
        try:
            ca_pem = (repo.root / server.ca_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise MailgitopsError(f"config/smtp.yaml: cannot read server.ca_file {server.ca_file}: {e}"
                                  ) from e
    wf = repo.workflow
    return Settings(
        smtp=SmtpSettings(
            sender=smtp.sender, cc=smtp.cc, allow_operator_cc=smtp.allow_operator_cc,
            server=ServerSettings(server.host, server.port, server.security, server.allow_self_signed,
                                  ca_pem, server.pin_sha256, float(server.timeout_seconds)),
            auth=AuthSettings(auth.mode, auth.username, auth.password_env, auth.password_file)),
        languages=LanguageSettings(repo.languages.default, repo.languages.active),
        workflow=WorkflowSettings(
            allow_operator_attachments=wf.allow_operator_attachments, order_url=wf.order_url,
            triggers={t.id: TriggerSettings(t.template, t.send, t.to, t.edit_before_send, t.cc)
                      for t in wf.triggers.values()}),
        webshops={w.id: WebshopSettings(w.name, w.sender) for w in repo.webshops.values()},
        templates={t.id: TemplateSettings(t.audience, t.attachments.enabled())
                   for t in repo.templates.values()},
        catalog={c.id: CatalogEntry(c.editable, c.default_recipients, c.default_template)
                 for c in catalog.triggers().values()},
    )


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
    return serialize({"settings": settings_of(repo).to_json(), "compiled": compile_repo(repo).to_dict()})


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
    return Bundle(path=str(p), hash=str(doc["hash"]), settings=Settings.from_json(content["settings"]),
                  compiled_raw=content["compiled"])
