"""The files an email attaches, each resolved inside the attachments root the installation
names: no absolute path, no `..`, no symbolic link leading out, a known type and the configured
size limits. Every refusal is a problem at the event's field."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, NamedTuple

from mailgitops.filenames import clean
from mailgitops.jsonshape import JsonObject, obj, strings
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


class FileRef(NamedTuple):
    """An attachment resolved inside the attachments root (RELIABILITY 18)."""

    kind: str  # document | ticket | preflight_report | operator
    path: str  # as the event wrote it, relative to the root
    real: Path
    filename: str  # the name the recipient sees (filenames.clean)
    mime_type: str
    size: int

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path}


def problem(where: str, code: str, message: str, hint: str | None = None) -> Diagnostic:
    from mailgitops.diagnostics import error

    return error("event", 0, 0, code, f"{where}: {message}", json_path=where, hint=hint)


def resolve_attachment(  # noqa: PLR0911 -- one return per way a path can be refused
    root: Path | None, kind: str, rel: str, where: str, max_bytes: int = MAX_ATTACHMENT_BYTES
) -> FileRef | Diagnostic:
    """Inside `root` only: no absolute path, no `..`, no symlink leading out, a known type and
    a size limit. The name the recipient sees is the file's own, made safe (filenames.clean)."""
    if root is None:
        return problem(where, "no-attachments-root", "the event names a file but no attachments root is set",
                    "pass --attachments-root DIR or set MAILGITOPS_ATTACHMENTS_ROOT")
    if ("\x00" in rel or PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute()
            or PureWindowsPath(rel).drive or ".." in re.split(r"[/\\]", rel)):
        return problem(where, "attachment-outside-root", f"{rel!r} is not a relative path inside the "
                    "attachments root", "write the path relative to the attachments root, without `..`")
    if not root.is_dir():  # the installation's setting, not the event's path: say so
        return problem(where, ROOT_MISSING, f"the attachments root {root} is not a folder on this machine, "
                    f"so {rel!r} cannot be read", "set --attachments-root or MAILGITOPS_ATTACHMENTS_ROOT to "
                    "the folder the order system's files are under (is it mounted?)")
    try:
        base = root.resolve(strict=True)
        real = (base / rel).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        return problem(where, "attachment-missing", f"{rel!r} does not exist under the attachments root",
                    "check the path the order system sends")
    except (OSError, RuntimeError) as e:
        return problem(where, "attachment-unreadable", f"{rel!r} cannot be resolved: {e}")
    if not real.is_relative_to(base):
        return problem(where, "attachment-outside-root", f"{rel!r} leads outside the attachments root "
                    "(through a symbolic link)", "attach only files stored under the attachments root")
    if not real.is_file():
        return problem(where, "attachment-not-a-file", f"{rel!r} is not a regular file")
    suffix = PurePosixPath(rel).suffix.lower()
    mime = ATTACHMENT_TYPES.get(real.suffix.lower()) or ATTACHMENT_TYPES.get(suffix)
    from mailgitops import private

    if mime is None or private.known_sqlite(real):  # the outbox (a link to it named .pdf) is never
        # read outside SQLite: that would drop SQLite's locks on it (private.py)
        return problem(where, "attachment-type", f"{rel!r}: files of this type are not attached",
                    f"allowed: {', '.join(sorted(ATTACHMENT_TYPES))}")
    size = real.stat().st_size
    if size > max_bytes:
        return problem(where, "attachment-too-large", f"{rel!r} has {size:,} bytes, more than the "
                    f"{max_bytes:,} allowed (limits.max_attachment_bytes in config/smtp.yaml)",
                    "link to large files instead of attaching them")
    return FileRef(kind, rel, real, clean(rel), mime, size)


def collect(got: FileRef | Diagnostic, problems: list[Diagnostic], files: list[FileRef]) -> None:
    if isinstance(got, FileRef):
        files.append(got)
    else:
        problems.append(got)


def per_template_files(settings: Settings, template_ids: Sequence[str], event: JsonObject,
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
        collect(resolve_attachment(attachments_root, "operator", rel, f"$.operator_attachments[{i}]",
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
        problems.append(problem("$.attachments", "attachments-too-large",
                             f"the attachments add up to {largest:,} bytes, more than the {limit:,} allowed "
                             "(limits.max_total_attachment_bytes in config/smtp.yaml)",
                             "link to large files instead of attaching them"))
    return out


def attachments_root_from(value: str | None) -> Path | None:
    """--attachments-root, else MAILGITOPS_ATTACHMENTS_ROOT, else none (events may not name files)."""
    value = value or os.environ.get("MAILGITOPS_ATTACHMENTS_ROOT")
    return Path(value) if value else None


def read_attachment(ref: FileRef) -> bytes:
    """The file `ref` resolved, read as it was checked: the path opened without following a link
    it or a folder on the way has become since (to /etc or /dev/zero), not waiting on a FIFO put in its place,
    still a regular file, and of the size it had when checked. A file that changed in between (an
    order system still writing the PDF) is not sent half-written: nothing is queued and the event
    may be sent again (exit 75 / HTTP 503); the next look checks it afresh."""
    from mailgitops.errors import ExitCode, MailgitopsError

    again = "send the event again once the order system has finished writing the file"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = _open_no_links(ref.real, flags)
    except PermissionError:
        raise  # not a change: the caller names the fix (let the dispatcher's user read it)
    except OSError as e:  # gone, or a link now (ELOOP)
        raise MailgitopsError(f"cannot read attachment {ref.path}: it changed while it was being "
                              f"attached ({e.strerror}); nothing was queued", hint=again,
                              exit_code=ExitCode.TEMPORARY) from e
    with os.fdopen(fd, "rb") as f:
        kind = os.fstat(fd).st_mode
        data = f.read(ref.size + 1) if stat.S_ISREG(kind) else b""
        size = os.fstat(fd).st_size if stat.S_ISREG(kind) else -1
    if len(data) != ref.size or size != ref.size:
        now = "is no longer a regular file" if size < 0 else f"has {size:,} bytes, not {ref.size:,}"
        raise MailgitopsError(f"cannot read attachment {ref.path}: it changed while it was being attached "
                              f"(it {now}); nothing was queued", hint=again, exit_code=ExitCode.TEMPORARY)
    return data


def _open_no_links(real: Path, flags: int) -> int:
    """Open the resolved path folder by folder from /, following no symbolic link (every part of a
    resolved path is a real folder): a folder swapped for a link out of the root since the check is
    refused like the file itself (ELOOP / ENOTDIR)."""
    if not hasattr(os, "O_NOFOLLOW") or os.open not in os.supports_dir_fd:
        return os.open(real, flags)
    folder = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(real.anchor, folder)
    try:
        for part in real.parts[1:-1]:
            inner = os.open(part, folder, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(real.name, flags, dir_fd=fd)
    finally:
        os.close(fd)
