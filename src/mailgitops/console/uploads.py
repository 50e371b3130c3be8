"""Files an operator attaches in the console: checked (type, size, content), stored under the
attachments root in a folder of their own, never served back by the console."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mailgitops import private
from mailgitops.dispatch.forget import UPLOADS_FOLDER
from mailgitops.errors import MailgitopsError

if TYPE_CHECKING:
    from mailgitops.console.web import Ctx

FOLDER = UPLOADS_FOLDER  # outbox forget removes a draft's folder with its addresses
# what a file of each type starts with: a renamed HTML page or program is refused, not attached
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",), ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"), ".tif": (b"II*\x00", b"MM\x00*"), ".tiff": (b"II*\x00", b"MM\x00*"),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<iframe", b"<body")


def _check(name: str, head: bytes) -> tuple[str, dict[str, str]] | None:
    """What is wrong with the file, as a text to translate and the values it names."""
    from mailgitops.dispatch.attachments import ATTACHMENT_TYPES

    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ATTACHMENT_TYPES))
        return ("files of type {suffix} are not attached; allowed: {allowed}",
                {"suffix": suffix or "(none)", "allowed": allowed})
    magic = _MAGIC.get(suffix)
    if magic is not None and not head.startswith(magic):
        return ("{name} is not a {kind} file (its content says otherwise)",
                {"name": name, "kind": suffix[1:].upper()})
    if magic is None and any(m in head[:2048].lower() for m in _MARKUP):
        return "{name} contains HTML or script; such files are not attached", {"name": name}
    return None


def store(ctx: Ctx, root: Path | None, draft_id: int, taken: set[str]) -> tuple[str, str]:
    """The stored file's path relative to the attachments root (what the draft keeps), and the
    notice that says what became of its name: kept ("attached"), numbered ("proof (2).pdf" where
    one of the draft's files, `taken`, is "proof.pdf") or made safe ("a_b.pdf" for "a|b.pdf")."""
    import unicodedata

    from starlette.datastructures import UploadFile

    from mailgitops.dispatch.attachments import MAX_ATTACHMENT_BYTES
    from mailgitops.filenames import clean, numbered

    if root is None:
        raise MailgitopsError(ctx._("Files cannot be attached: the service has no attachments root."),
                              hint=ctx._("start serve with --attachments-root DIR "
                                         "(MAILGITOPS_ATTACHMENTS_ROOT)"))
    got = ctx.form.get("file") if ctx.form is not None else None
    if not isinstance(got, UploadFile) or not got.filename:
        raise MailgitopsError(ctx._("Choose a file to attach first."))
    name = clean(got.filename)
    got.file.seek(0)
    head = got.file.read(4096)
    problem = _check(name, head)
    if problem:  # in the operator's language: these are the console's own words
        raise MailgitopsError(ctx._(problem[0]).format(**problem[1]))
    got.file.seek(0, 2)
    size = got.file.tell()
    if size > MAX_ATTACHMENT_BYTES:
        raise MailgitopsError(ctx._("{name} has {size} bytes, more than the {limit} allowed").format(
            name=name, size=f"{size:,}", limit=f"{MAX_ATTACHMENT_BYTES:,}"),
            hint=ctx._("link to large files instead of attaching them"))
    if size == 0:
        raise MailgitopsError(ctx._("{name} is empty").format(name=name))
    # numbered, not refused: two files of one name from two jobs are common, and renaming one on
    # the operator's computer only to attach it is busywork; the customer's mail program saves
    # both into one folder, and the operator must see which Remove removes which
    kept = numbered(name, taken)
    rel = f"{FOLDER}/{draft_id}/{secrets.token_hex(8)}/{kept}"
    target = root / rel
    try:
        # the customer's files: folders 0700 and the file 0600 whatever the umask (not 0755 / 0644)
        private.make_dir(target.parent)
        got.file.seek(0)
        with private.open_file(target, exclusive=True) as out:
            shutil.copyfileobj(got.file, out)
    except OSError as e:
        raise MailgitopsError(ctx._("{name} cannot be stored under the attachments root: {why}").format(
            name=name, why=e.strerror),
            hint=ctx._("let the service's user write to the attachments root")) from e
    # a name only composed (a Mac's) or taken off the folder a browser sent looks unchanged
    given = unicodedata.normalize("NFC", got.filename.replace("\\", "/").rsplit("/", 1)[-1])
    return rel, ("attached-renamed" if name != given else "attached-numbered" if kept != name else "attached")


def remove(root: Path | None, rel: str) -> None:
    """Only files this module stored; a file the order system named stays where it is."""
    if root is None or not rel.startswith(f"{FOLDER}/") or ".." in rel.split("/"):
        return
    target = root / rel
    try:
        target.unlink(missing_ok=True)
        target.parent.rmdir()
    except OSError:
        pass  # a folder left behind holds nothing served; cleaning it is not worth failing for
