"""A render output folder (`render --out DIR`) and its manifest.json: the one home of a manifest
entry, written by gitops/previews.py and read by gitops/diff.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NotRequired, TypedDict

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.errors import MailgitopsError

MANIFEST = "manifest.json"
FORMAT = 1
_REQUIRED_STR = ("template", "lang", "subject", "html", "text")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One email of a render output folder as manifest.json lists it: written by `render --out`
    (gitops/previews.py), read by `diff` (load_output below). The paths are relative to the
    folder; `eml` is "" when the folder has no .eml for it (the diff then leaves out From/To/Cc).
    `sent_by` is which triggers send it to whom (gitops/sending.py); None in a manifest that
    does not say (an older mailgitops wrote it), so that no change is claimed from it."""

    template: str
    lang: str
    language_used: str
    sample: str
    subject: str
    html_bytes: int
    eml_bytes: int
    warnings: tuple[str, ...]
    html: str
    text: str
    eml: str
    sent_by: tuple[str, ...] | None = None
    # the inline images' file names and content hashes: a new logo under the old file name
    # changes no byte of the HTML (None: a manifest that does not say)
    images: tuple[str, ...] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.template, self.lang)

    def to_json(self) -> ManifestJson:
        doc: ManifestJson = {
                "template": self.template, "lang": self.lang, "language_used": self.language_used,
                "sample": self.sample, "subject": self.subject, "html": self.html, "text": self.text,
                "eml": self.eml, "html_bytes": self.html_bytes, "eml_bytes": self.eml_bytes,
                "warnings": list(self.warnings)}
        if self.sent_by is not None:
            doc["sent_by"] = list(self.sent_by)
        if self.images is not None:
            doc["images"] = list(self.images)
        return doc

    @staticmethod
    def from_json(raw: object, index: int, where: str, root: Path
                  ) -> tuple[ManifestEntry | None, list[Diagnostic]]:
        """The entry at $.emails[index] of `root`'s manifest, or every problem with it."""
        return _entry(raw, index, where, root)


class ManifestJson(TypedDict):
    template: str
    lang: str
    language_used: str
    sample: str
    subject: str
    html: str
    text: str
    eml: str
    html_bytes: int
    eml_bytes: int
    warnings: list[str]
    sent_by: NotRequired[list[str]]
    images: NotRequired[list[str]]


@dataclass(frozen=True, slots=True)
class RenderOutput:
    root: Path
    emails: dict[tuple[str, str], ManifestEntry]
    default_language: str = ""  # "" in a manifest that does not say (an older mailgitops's)

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def read_text(self, rel: str) -> str:
        return self.read(rel).decode("utf-8", errors="replace")


def _safe_rel(value: str) -> bool:
    """Manifest paths must stay inside the output folder."""
    p = PurePosixPath(value)
    return bool(value) and not p.is_absolute() and ".." not in p.parts and "\\" not in value


def _entry(raw: object, index: int, where: str, root: Path) -> tuple[ManifestEntry | None, list[Diagnostic]]:
    path = f"$.emails[{index}]"
    if not isinstance(raw, dict):
        return None, [error(where, 0, 0, "manifest-entry", f"{path} is not an object", json_path=path)]
    diags = []
    for key in _REQUIRED_STR:
        if not isinstance(raw.get(key), str):
            diags.append(error(where, 0, 0, "manifest-entry", f"{path}.{key} is missing or not a string",
                               json_path=f"{path}.{key}"))
    eml = raw.get("eml")
    if isinstance(eml, str) and eml and not _safe_rel(eml):
        diags.append(error(where, 0, 0, "manifest-path", f"{path}.eml `{eml}` leaves the folder",
                           json_path=f"{path}.eml"))
    for key in ("html", "text"):
        value = raw.get(key)
        if isinstance(value, str) and not _safe_rel(value):
            diags.append(error(where, 0, 0, "manifest-path", f"{path}.{key} `{value}` leaves the folder",
                               json_path=f"{path}.{key}"))
        elif isinstance(value, str) and not (root / value).is_file():
            diags.append(error(where, 0, 0, "manifest-missing-file",
                               f"{path}.{key} names `{value}`, which does not exist",
                               json_path=f"{path}.{key}",
                               hint="render again into an empty folder"))
    if diags:
        return None, diags
    warnings = raw.get("warnings") or []
    html_bytes, eml_bytes = raw.get("html_bytes"), raw.get("eml_bytes")
    # The .eml is optional: without it the diff only leaves out the From/To/Cc comparison.
    eml = eml if isinstance(eml, str) and eml and (root / eml).is_file() else ""
    email = ManifestEntry(
        template=str(raw["template"]),
        lang=str(raw["lang"]),
        language_used=str(raw.get("language_used") or raw["lang"]),
        sample=str(raw.get("sample") or ""),
        subject=str(raw["subject"]),
        html=str(raw["html"]),
        text=str(raw["text"]),
        eml=eml,
        html_bytes=html_bytes if isinstance(html_bytes, int) else (root / str(raw["html"])).stat().st_size,
        eml_bytes=eml_bytes if isinstance(eml_bytes, int) else ((root / eml).stat().st_size if eml else 0),
        warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else (),
        sent_by=tuple(str(t) for t in sent) if isinstance(sent := raw.get("sent_by"), list) else None,
        images=tuple(str(i) for i in imgs) if isinstance(imgs := raw.get("images"), list) else None,
    )
    return email, []


def load_output(root: Path) -> RenderOutput:
    """The render output at `root`; a MailgitopsError naming every problem when it is not one."""
    where = f"{root.as_posix().rstrip('/')}/{MANIFEST}"
    hint = f"run `mailgitops render --out {root.as_posix()}` first"
    try:
        text = (root / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise MailgitopsError(f"{root.as_posix()} is not a render output: {MANIFEST} is missing",
                              hint=hint) from e
    except (OSError, UnicodeDecodeError) as e:
        raise MailgitopsError(f"cannot read {where}: {e}", hint=hint) from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        d = error(where, e.lineno, e.colno, "manifest-json", f"not valid JSON: {e.msg}", hint=hint)
        raise MailgitopsError(f"{where} is not valid JSON", diagnostics=[d]) from e
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("emails"), list):
        found = data.get("format") if isinstance(data, dict) else None
        raise MailgitopsError(
            f"{where} is not a manifest of format {FORMAT} (found format {found!r})",
            hint="render both sides with the same mailgitops version",
        )
    emails: dict[tuple[str, str], ManifestEntry] = {}
    diags: list[Diagnostic] = []
    for i, raw in enumerate(data["emails"]):
        email, problems = ManifestEntry.from_json(raw, i, where, root)
        diags.extend(problems)
        if email is not None:
            if email.key in emails:
                diags.append(error(where, 0, 0, "manifest-duplicate",
                                   f"$.emails[{i}] repeats {email.template}/{email.lang}",
                                   json_path=f"$.emails[{i}]"))
            emails[email.key] = email
    if diags:
        raise MailgitopsError(f"{where} has {len(diags)} problem(s)", diagnostics=diags)
    default = data.get("default_language")
    return RenderOutput(root=root, emails=emails,
                        default_language=default if isinstance(default, str) else "")
