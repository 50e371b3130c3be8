"""Who gets which email: W2 send modes and roles, S1-S5 sender and CC, A1/T9 attachments from a
confined folder, and the recipient's language. Every refusal is named; none is silent."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from mailgitops.jsonshape import JsonObject, obj, strings, text
from mailgitops.people import people as named_people
from mailgitops.settings import LimitSettings

if TYPE_CHECKING:  # made only when something is refused: an accepted event does not import them
    from mailgitops.diagnostics import Diagnostic
    from mailgitops.settings import Settings

# config/smtp.yaml `limits` overrides these defaults (settings.LimitSettings)
MAX_ATTACHMENT_BYTES = LimitSettings().max_attachment_bytes
ROOT_MISSING = "attachments-root-missing"  # the code of the one refusal that is not the event's fault
ATTACHMENT_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".tif": "image/tiff", ".tiff": "image/tiff", ".txt": "text/plain",
    ".csv": "text/csv", ".xml": "application/xml", ".jdf": "application/vnd.cip4-jdf+xml",
    ".zip": "application/zip",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()-]+")
# The plan's records are NamedTuples, not frozen dataclasses: immutable all the same, and each is
# ~0.3 ms cheaper to define, which every cold `mailgitops dispatch` pays (issue 4).


class FileRef(NamedTuple):
    """An attachment resolved inside the attachments root (RELIABILITY 18)."""

    kind: str  # document | ticket | preflight_report | operator
    path: str  # as the event wrote it, relative to the root
    real: Path
    filename: str  # the safe basename the recipient sees
    mime_type: str
    size: int

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path}


class Planned(NamedTuple):
    role: str
    person: JsonObject  # the recipient as the event gave it
    to: tuple[tuple[str | None, str], ...]
    cc: tuple[str, ...]
    lang: str  # requested: the recipient's language or the default
    template_id: str
    sender: tuple[str, str | None]  # (address, display name)
    webshop_name: str | None
    attachments: tuple[FileRef, ...]
    draft: bool
    notes: tuple[str, ...] = ()  # said in the outcome's reason (e.g. an attachment the event lacked)
    bcc: tuple[str, ...] = ()  # envelope only, never in a header
    reply_to: str | None = None  # the webshop's, else the print room's
    order_url: str | None = None  # the webshop's, else the workflow's


class Skipped(NamedTuple):
    role: str
    to: tuple[str, ...]
    lang: str | None
    reason: str
    bad_address: str | None = None  # why the address cannot be sent to, when that is the reason


def single_address(value: str) -> bool:
    """One bare address, checked on its own, never re-parsed from a header: addresses.py's rule."""
    from mailgitops.addresses import is_address

    return is_address(value)


def safe_basename(path: str) -> str:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", "".join(c for c in base if c.isprintable())).strip(" .")
    return base[:120] or "attachment"


def _bad(where: str, code: str, message: str, hint: str | None = None) -> Diagnostic:
    from mailgitops.diagnostics import error

    return error("event", 0, 0, code, f"{where}: {message}", json_path=where, hint=hint)


def resolve_attachment(  # noqa: PLR0911 -- one return per way a path can be refused
    root: Path | None, kind: str, rel: str, where: str, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> FileRef | Diagnostic:
    """Inside `root` only: no absolute path, no `..`, no symlink leading out, a known type and
    a size limit. The basename the recipient sees is reduced to safe characters."""
    if root is None:
        return _bad(where, "no-attachments-root", "the event names a file but no attachments root is set",
                    "pass --attachments-root DIR or set MAILGITOPS_ATTACHMENTS_ROOT")
    if ("\x00" in rel or PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute()
            or PureWindowsPath(rel).drive or ".." in re.split(r"[/\\]", rel)):
        return _bad(where, "attachment-outside-root", f"{rel!r} is not a relative path inside the "
                    "attachments root", "write the path relative to the attachments root, without `..`")
    if not root.is_dir():  # the installation's setting, not the event's path: say so
        return _bad(where, ROOT_MISSING, f"the attachments root {root} is not a folder on this machine, "
                    f"so {rel!r} cannot be read", "set --attachments-root or MAILGITOPS_ATTACHMENTS_ROOT to "
                    "the folder the order system's files are under (is it mounted?)")
    try:
        base = root.resolve(strict=True)
        real = (base / rel).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        return _bad(where, "attachment-missing", f"{rel!r} does not exist under the attachments root",
                    "check the path the order system sends")
    except (OSError, RuntimeError) as e:
        return _bad(where, "attachment-unreadable", f"{rel!r} cannot be resolved: {e}")
    if not real.is_relative_to(base):
        return _bad(where, "attachment-outside-root", f"{rel!r} leads outside the attachments root "
                    "(through a symbolic link)", "attach only files stored under the attachments root")
    if not real.is_file():
        return _bad(where, "attachment-not-a-file", f"{rel!r} is not a regular file")
    suffix = PurePosixPath(rel).suffix.lower()
    mime = ATTACHMENT_TYPES.get(real.suffix.lower()) or ATTACHMENT_TYPES.get(suffix)
    if mime is None:
        return _bad(where, "attachment-type", f"{rel!r}: files of this type are not attached",
                    f"allowed: {', '.join(sorted(ATTACHMENT_TYPES))}")
    size = real.stat().st_size
    if size > max_bytes:
        return _bad(where, "attachment-too-large", f"{rel!r} has {size:,} bytes, more than the "
                    f"{max_bytes:,} allowed (limits.max_attachment_bytes in config/smtp.yaml)",
                    "link to large files instead of attaching them")
    return FileRef(kind, rel, real, safe_basename(rel), mime, size)


def resolve_language(requested: str | None, active: Sequence[str], default: str) -> str:
    """The recipient's language if active, else its base language (de-CH -> de), else the default."""
    if requested:
        for cand in (requested, requested.replace("_", "-").split("-")[0]):
            for lang in active:
                if lang.lower() == cand.lower():
                    return lang
    return default


def address_problem(addr: str) -> str | None:
    """Why `addr` cannot be a recipient (addresses.py's rule, its own words), or None."""
    from mailgitops.addresses import problem

    found = problem(addr)
    return None if found is None else f"{addr!r} {found[0]}"


def _dedupe(addresses: Sequence[str], exclude: Sequence[str]) -> tuple[str, ...]:
    seen = {a.lower() for a in exclude}
    out = []
    for a in addresses:
        if a.lower() not in seen:
            seen.add(a.lower())
            out.append(a)
    return tuple(out)


def _collect(got: FileRef | Diagnostic, problems: list[Diagnostic], files: list[FileRef]) -> None:
    if isinstance(got, FileRef):
        files.append(got)
    else:
        problems.append(got)


def plan(settings: Settings, event: JsonObject,
         attachments_root: Path | None, source: str = "event") -> list[Planned | Skipped]:
    """The messages one (schema-valid) event leads to; raises MailgitopsError naming every problem."""
    trigger_id = str(event["trigger"])
    unknown = unknown_trigger(settings, trigger_id)
    if unknown is not None:
        _refuse(event, [unknown], source)
    trig = settings.workflow.triggers.get(trigger_id)
    if trig is None:
        return [Skipped(role, (), None, f"trigger `{trigger_id}` is not configured in config/workflow.yaml")
                for role in settings.catalog[trigger_id].default_recipients]
    problems: list[Diagnostic] = []
    extra_cc = strings(event.get("operator_cc"))
    if extra_cc and not settings.smtp.allow_operator_cc:
        problems.append(_bad("$.operator_cc", "operator-cc-not-allowed",
                             "operators may not add CC addresses",
                             "set allow_operator_cc: true in config/smtp.yaml, or drop operator_cc"))
    extra_files = strings(event.get("operator_attachments"))
    if extra_files and not settings.workflow.allow_operator_attachments:
        problems.append(_bad("$.operator_attachments", "operator-attachments-not-allowed",
                             "operators may not attach files",
                             "set allow_operator_attachments: true in config/workflow.yaml"))
    out = _recipients(settings, event, trigger_id, extra_cc)
    bad = [s for s in out if isinstance(s, Skipped) and s.bad_address]
    if bad and not any(isinstance(p, Planned) for p in out):
        # no message could go anywhere: the order system hears it as a refusal, not a skip
        problems += [_bad(f"$.{s.role}.email", "bad-address", f"the {s.role}'s address {s.bad_address}",
                          "send one address per person, like name@example.com") for s in bad]
    used = list(dict.fromkeys(p.template_id for p in out if isinstance(p, Planned)))
    if used:  # files are only looked at when something is sent
        per_template = _attachments(settings, used, event, attachments_root, problems)
        out = [p._replace(attachments=per_template[p.template_id][0],
                          notes=(*p.notes, *per_template[p.template_id][1]))
               if isinstance(p, Planned) else p for p in out]
    if problems:  # every refusal at once: S5, A1 and each attachment path
        _refuse(event, problems, source, attachments_root)
    return out


def unknown_trigger(settings: Settings, trigger_id: object) -> Diagnostic | None:
    """A trigger the catalog lacks, with a "did you mean"; None when it is known (or not a string:
    the schema names that)."""
    catalog = settings.catalog
    if not isinstance(trigger_id, str) or trigger_id in catalog:
        return None
    from mailgitops.suggest import did_you_mean

    return _bad("$.trigger", "unknown-trigger", f"`{trigger_id}` is not in the trigger catalog",
                did_you_mean(trigger_id, sorted(catalog)) or "see schema/triggers.yaml")


def _refuse(event: JsonObject, problems: Sequence[Diagnostic], source: str,
            attachments_root: Path | None = None) -> NoReturn:
    """Every problem at once (exit 1, HTTP 422). When the only problem is an attachments root
    that is not there (a share not mounted yet), the event is not at fault: exit 75 / HTTP 503,
    so the order system keeps it and sends it again, instead of showing someone a bug of its own."""
    from mailgitops.dispatch.event import refusal
    from mailgitops.errors import ExitCode, MailgitopsError

    refused = refusal(source, problems, event_id=str(event["event_id"]))
    if problems and all(p.code == ROOT_MISSING for p in problems):
        raise MailgitopsError(f"the attachments root {attachments_root} is not a folder on this machine; "
                              "nothing was queued, send the event again once it is",
                              diagnostics=refused.diagnostics, exit_code=ExitCode.TEMPORARY,
                              hint=problems[0].hint)
    raise refused


def _attachments(settings: Settings, template_ids: Sequence[str], event: JsonObject,
                 attachments_root: Path | None, problems: list[Diagnostic]
                 ) -> dict[str, tuple[tuple[FileRef, ...], tuple[str, ...]]]:
    """Per template: the T9 files it attaches automatically, then the A1 extra files. Each file is
    resolved once however many templates attach it. A kind the event does not provide is left
    out and said so; a path that is given but wrong is added to `problems`."""
    each = settings.smtp.limits.max_attachment_bytes
    given = {k: v for k, v in obj(event.get("attachments")).items() if isinstance(v, str)}  # paths
    kinds = {tid: settings.templates[tid].attachments if tid in settings.templates else ()
             for tid in template_ids}
    resolved: dict[str, FileRef] = {}
    for kind in dict.fromkeys(k for ks in kinds.values() for k in ks):
        if kind in given:
            got = resolve_attachment(attachments_root, kind, given[kind], f"$.attachments.{kind}", each)
            if isinstance(got, FileRef):
                resolved[kind] = got
            else:
                problems.append(got)
    extra: list[FileRef] = []
    allowed = settings.workflow.allow_operator_attachments  # off: refused in plan(), not read
    for i, rel in enumerate(strings(event.get("operator_attachments")) if allowed else []):
        _collect(resolve_attachment(attachments_root, "operator", rel, f"$.operator_attachments[{i}]",
                                    each), problems, extra)
    out: dict[str, tuple[tuple[FileRef, ...], tuple[str, ...]]] = {}
    largest, limit = 0, settings.smtp.limits.max_total_attachment_bytes
    for tid, ks in kinds.items():
        notes = [f"sent without the {k.replace('_', ' ')}: the event named no attachments.{k}"
                 for k in ks if k not in given]
        files = [*(resolved[k] for k in ks if k in resolved), *extra]
        largest = max(largest, sum(f.size for f in files))
        out[tid] = (tuple(files), tuple(notes))
    if largest > limit:
        problems.append(_bad("$.attachments", "attachments-too-large",
                             f"the attachments add up to {largest:,} bytes, more than the {limit:,} allowed "
                             "(limits.max_total_attachment_bytes in config/smtp.yaml)",
                             "link to large files instead of attaching them"))
    return out


def _recipients(settings: Settings, event: JsonObject, trigger_id: str,
                extra_cc: Sequence[str]) -> list[Planned | Skipped]:
    """W2: the configured roles, each person on their own, with sender (S1-S3) and CC (S4, S5)."""
    langs = settings.languages
    trig = settings.workflow.triggers[trigger_id]
    shop_id = text(event.get("webshop")) or ""
    shop = settings.webshops.get(shop_id)
    notes: tuple[str, ...] = ()
    if shop_id and shop is None:  # never silent: the outcome says so (docs/dispatcher.md)
        known = ", ".join(sorted(settings.webshops)) or "none"
        notes = (f"webshop `{shop_id}` is not configured (known: {known}): sent with the print room's "
                 "sender and settings",)
    sender = (shop.sender if shop else None) or settings.smtp.sender  # S2 overrides S1/S3
    # S4 + the shop's + the trigger's own + S5
    cc_base = [*settings.smtp.cc, *(shop.cc if shop else ()), *trig.cc, *extra_cc]
    reply_to = (shop.reply_to if shop else None) or settings.smtp.reply_to
    order_url = (shop.order_url if shop else None) or settings.workflow.order_url
    out: list[Planned | Skipped] = []
    for role in trig.to:
        people = named_people(event, role)
        if trig.send == "never":
            out.append(Skipped(role, tuple(p["email"] for p in people), None,
                               "send: never is set for this trigger in config/workflow.yaml"))
            continue
        if not people:
            out.append(Skipped(role, (), None, f"the event names no {role}"))
            continue
        notify = strings(obj(event.get("customer")).get("notify"))
        for p in people:
            lang = resolve_language(p.get("language"), langs.active, langs.default)
            bad = address_problem(p["email"])
            if bad is not None:  # this person's message alone is skipped, not the whole event
                out.append(Skipped(role, (p["email"],), lang, f"the {role}'s address {bad}; this "
                                   "message was skipped, the event's other messages were not", bad))
                continue
            if trig.send == "on_customer_request" and role == "customer" and trigger_id not in notify:
                out.append(Skipped(role, (p["email"],), lang,
                                   f"the customer did not ask for emails about {trigger_id} (send: "
                                   "on_customer_request)"))
                continue
            out.append(Planned(
                role=role, person=p, to=((p.get("name"), p["email"]),),
                cc=_dedupe(cc_base, [p["email"]]), lang=lang, template_id=trig.template_for(role),
                sender=(sender.address, sender.name),
                webshop_name=shop.name if shop else None, attachments=(), notes=notes,
                reply_to=reply_to, order_url=order_url,
                # edit_before_send lets operators review what others get; their own copy goes out as it is
                draft=trig.edit_before_send and settings.catalog[trigger_id].editable and role != "operator",
                bcc=_dedupe([*settings.smtp.bcc, *trig.bcc], [p["email"], *cc_base])))
    return out


def attachments_root_from(value: str | None) -> Path | None:
    """--attachments-root, else MAILGITOPS_ATTACHMENTS_ROOT, else none (events may not name files)."""
    value = value or os.environ.get("MAILGITOPS_ATTACHMENTS_ROOT")
    return Path(value) if value else None
