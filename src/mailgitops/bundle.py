"""The bundle: one deterministic, content-hashed (optionally signed) file holding everything the
dispatcher runs.

This module is the format (serialize, hash, sign, load) and the settings it carries; loading needs
only json and hashlib, so the send path stays light. Building one from a repository needs the whole
validator and renderer: that is bundle_build.py, which the dispatcher never imports. Load checks the file's
structure against schemas/bundle.schema.json with the send path's own small checker
(jsonshape.py), so a hand-made bundle is refused with the place that is wrong, never a KeyError."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mailgitops.errors import MailgitopsError
from mailgitops.settings import Settings

if TYPE_CHECKING:
    from mailgitops.model import Repo
    from mailgitops.render.compiled import CompiledTemplates

# /2 since the bundle carries settings a dispatcher from before 2026-11-28 did not know and
# silently left out (a webshop's Reply-To, per-webshop templates): a new bundle put where such a
# dispatcher reads it must be refused, not sent without them; the format is the one thing every
# released dispatcher checks. Bump it again whenever an older dispatcher would send a new bundle
# wrong.
FORMAT = "mailgitops-bundle/2"
DEFAULT_PATH = "bundle/mailgitops.bundle.json"
KEY_ENV = "MAILGITOPS_BUNDLE_KEY"  # when set, dispatch and serve run only bundles signed with it
MIN_KEY_CHARS = 16  # a shorter key could be guessed; `openssl rand -hex 32` gives 64
_REBUILD = "rebuild it from the reviewed repository: `mailgitops bundle --out FILE`"


class Bundle(NamedTuple):  # not a dataclass: ~1 ms less at every cold dispatch
    path: str
    hash: str
    settings: Settings
    compiled_raw: Mapping[str, Any]
    # Markdown parsed at build time (render/preparsed.py); None in a bundle made before it existed
    preparsed: Mapping[str, Any] | None = None
    # Babel's data for the languages (render/formats_carried.py); None in a bundle made before it
    formats: Mapping[str, Any] | None = None

    def compiled(self) -> CompiledTemplates:
        from mailgitops.render.compiled import CompiledTemplates

        return CompiledTemplates.from_dict(self.compiled_raw)


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


def _canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(content: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(_canonical(content)).hexdigest()


def signature(content: Mapping[str, Any], key: str) -> str:
    """HMAC-SHA256 over the same canonical bytes the hash covers: whoever lacks the key cannot
    make a bundle the dispatcher accepts, even with a recomputed hash."""
    import hmac  # only signed set-ups pay for it

    return "hmac-sha256:" + hmac.new(key.encode("utf-8"), _canonical(content), hashlib.sha256).hexdigest()


def check_key(key: str, where: str) -> str:
    if not key.strip():
        raise MailgitopsError(f"{where} is set but empty: a signing key was meant and did not arrive",
                              hint="give the key (`openssl rand -hex 32` makes one), or unset the "
                                   "variable to run unsigned bundles")
    if len(key) < MIN_KEY_CHARS:
        raise MailgitopsError(f"{where} holds a key of {len(key)} characters; a signing key needs at "
                              f"least {MIN_KEY_CHARS}", hint="make one with `openssl rand -hex 32`")
    return key


def serialize(content: Mapping[str, Any], key: str | None = None) -> bytes:
    """Same content (and key), same bytes: keys sorted at every level, fixed separators, one
    trailing newline; with a key, a `signature` beside the hash."""
    doc = {"format": FORMAT, "hash": content_hash(content), "content": _sorted(content)}
    if key is not None:
        doc["signature"] = signature(content, key)
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def settings_of(repo: Repo) -> Settings:
    """The runtime settings the dispatcher needs, from the validated model."""
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
                                  ca_pem, server.pin_sha256, float(server.timeout_seconds), server.helo_name),
            auth=AuthSettings(auth.mode, auth.username, auth.password_env, auth.password_file),
            limits=smtp.limits, bcc=smtp.bcc, reply_to=smtp.reply_to),
        languages=LanguageSettings(repo.languages.default, repo.languages.active),
        workflow=WorkflowSettings(
            allow_operator_attachments=wf.allow_operator_attachments, order_url=wf.order_url,
            triggers={t.id: TriggerSettings(t.template, t.send, t.to, t.edit_before_send, t.cc, t.bcc,
                                            dict(t.templates))
                      for t in wf.triggers.values()},
            timezone=wf.timezone, date_formats=wf.date_formats),
        webshops={w.id: WebshopSettings(w.name, w.sender, w.reply_to, w.cc, w.order_url)
                  for w in repo.webshops.values()},
        templates={t.id: TemplateSettings(t.audience, t.attachments.enabled())
                   for t in repo.templates.values()},
        catalog={c.id: CatalogEntry(c.editable, c.default_recipients, c.default_template, c.requires)
                 for c in repo.catalog.triggers.values()},
        event_schema=_event_schema(repo),
        namespaces=repo.catalog.own_namespaces,
    )


def _event_schema(repo: Repo) -> dict[str, Any] | None:
    """The event schema with config/catalog.yaml's fields; None (the package's) without them."""
    if not repo.catalog.custom:
        return None
    from mailgitops.repo_catalog import event_schema

    return event_schema(repo.catalog)


def load(path: str | Path, *, key: str | None = None) -> Bundle:
    """Read a bundle, refusing a wrong format version, a structure its schema does not allow, a
    content hash that does not match and, with a key (default: $MAILGITOPS_BUNDLE_KEY), a
    signature that is missing or wrong."""
    p = Path(path)
    # set but empty (`MAILGITOPS_BUNDLE_KEY=` in a unit file whose secret did not arrive) is refused
    # as the short key it is: it turned the check off, and unsigned bundles ran without a word
    key = key if key is not None else os.environ.get(KEY_ENV)
    if key is not None:
        check_key(key, KEY_ENV)
    try:
        doc = json.loads(p.read_bytes())
    except OSError as e:
        raise MailgitopsError(f"cannot read the bundle {p}: {e.strerror}",
                              hint="build one with `mailgitops bundle --out FILE`") from e
    except (ValueError, RecursionError) as e:
        raise MailgitopsError(f"{p} is not a mailgitops bundle (not JSON: {e})") from e
    if isinstance(doc, dict) and doc.get("format") != FORMAT and str(doc.get("format")).startswith(
            "mailgitops-bundle/"):
        raise _other_version(p, str(doc["format"]))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise MailgitopsError(f"{p}: bundle format {found!r} is not {FORMAT!r}; this dispatcher refuses it",
                              hint="rebuild it with this version: `mailgitops bundle --out FILE`")
    _check_structure(p, doc)
    content = doc["content"]
    if content_hash(content) != doc["hash"]:
        raise MailgitopsError(f"{p}: the content does not match the bundle's hash {doc['hash']!r}; "
                              "the file was changed after it was built and is refused", hint=_REBUILD)
    if key is not None:
        _check_signature(p, content, doc.get("signature"), key)
    return Bundle(path=str(p), hash=doc["hash"], settings=Settings.from_json(content["settings"]),
                  compiled_raw=content["compiled"], preparsed=content.get("preparsed"),
                  formats=content.get("formats"))


def _other_version(p: Path, found: str) -> MailgitopsError:
    from mailgitops.errors import ExitCode

    # temporary: the event is right and nothing was accepted; it works once this machine runs the
    # bundle its version builds, so the order system must keep it and send it again (exit 1 would
    # drop every event of a rollout's window)
    def number(fmt: str) -> int:
        tail = fmt.rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    older = number(found) < number(FORMAT)
    return MailgitopsError(
        f"{p} was built by {'an older' if older else 'a newer'} mailgitops (bundle format {found}); "
        f"this one reads {FORMAT} and refuses it rather than send mail "
        + ("without the settings the older one did not carry" if older else "it may not render right"),
        hint=("rebuild it from the same repository with this version: `mailgitops bundle --out FILE`, "
              "and point this machine at it" if older else "upgrade this machine to the mailgitops that "
              "built it, or keep giving it a bundle built by its own version")
        + " (docs/upgrading.md)", exit_code=ExitCode.TEMPORARY)


def _check_structure(p: Path, doc: dict[str, Any]) -> None:
    from mailgitops.jsonshape import schema_errors

    schema = bundle_schema()
    problems = list(schema_errors(doc, schema, schema))
    if not problems:
        return
    from mailgitops.diagnostics import error, json_path

    diags = [error(str(p), 0, 0, "bundle-structure", f"{json_path(at)}: {msg}", json_path=json_path(at))
             for at, msg in problems]
    raise MailgitopsError(f"{p}: the bundle does not have the structure schema/bundle.schema.json "
                          f"describes ({len(diags)} problem(s)); it was changed by hand, or written by "
                          "another version of mailgitops, and is refused", diagnostics=diags, hint=_REBUILD)


def _check_signature(p: Path, content: Mapping[str, Any], given: str | None, key: str) -> None:
    import hmac

    if given is None:
        raise MailgitopsError(f"{p}: the bundle is not signed, and {KEY_ENV} is set: only bundles "
                              "signed with that key are run", hint="build it with `mailgitops bundle "
                              "--out FILE --sign-key-env VAR`, VAR holding the same key")
    if not hmac.compare_digest(given, signature(content, key)):
        raise MailgitopsError(f"{p}: the bundle's signature does not match {KEY_ENV}: it was signed "
                              "with another key or changed after signing, and is refused",
                              hint="sign it with the key the dispatcher holds: `mailgitops bundle "
                              "--out FILE --sign-key-env VAR`")


def bundle_schema() -> dict[str, Any]:
    # a plain path, not importlib.resources: that import alone costs the cold start ~6 ms
    loaded: dict[str, Any] = json.loads((Path(__file__).parent / "schemas" / "bundle.schema.json")
                                        .read_text("utf-8"))
    return loaded
