"""Files and folders that hold customers' personal data or the print room's secrets (the outbox,
the operators' store, uploaded attachments, emails made from real events): readable by the
service's user only, 0600 and 0700, whatever the umask. A common umask of 022 made them 0644,
so every account on the machine could read names, addresses, orders and attachments."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["DIR_MODE", "FILE_MODE", "make_dir", "open_file", "sqlite_file", "write_bytes"]

FILE_MODE = 0o600
DIR_MODE = 0o700
# SQLite's own files next to a database: it makes them with the database file's mode
SQLITE_SIDES = ("", "-wal", "-shm", "-journal")


def _ours(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


# SQLite locks a database with POSIX locks, and those belong to the process: closing any
# descriptor of the file, even one opened only to read its first bytes, drops them all, the open
# SQLite connections' included. Another process then takes itself for the last user, checkpoints
# and deletes the -wal and -shm under those connections, and the file is damaged (an outbox lost
# rows a serve had written, or became "not a database"). So Python reads a database at most once
# per process, before SQLite opens it; from then on it is known by its device and inode.
_KNOWN: set[tuple[int, int]] = set()


def _inode(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def known_sqlite(path: str | Path) -> bool:
    """Whether this process has already found `path` to be a SQLite database (or an empty file
    SQLite made one of): it must not open it again outside SQLite."""
    return _inode(path) in _KNOWN


def sqlite_file(path: str | Path, *, strip: int = 0o077) -> None:
    """Before sqlite3.connect: a missing database is made empty with mode 0600, so the -wal and
    -shm SQLite makes beside it are 0600 too; an existing one of this user (and its side files)
    loses the `strip` bits. Any error is left for SQLite to name (a missing folder, no rights)."""
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return  # SQLite's own names, not a file of that name
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        os.close(fd)
    if not known_sqlite(path):
        if not _sqlite_or_empty(path):
            return  # another file given by mistake (--outbox README.md): SQLite refuses it, left as it was
        key = _inode(path)
        if key is not None:
            _KNOWN.add(key)
    for side in SQLITE_SIDES:
        with contextlib.suppress(OSError):
            st = os.stat(f"{path}{side}")
            if _ours(st) and st.st_mode & strip:
                os.chmod(f"{path}{side}", st.st_mode & 0o7777 & ~strip)


def _sqlite_or_empty(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head in (b"", b"SQLite format 3\x00")


def make_dir(path: Path) -> Path:
    """`path` and each missing folder above it made 0700 (mkdir's parents=True makes those with
    the umask's mode); folders that exist are left as they are."""
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
    return path


NOT_THROUGH_A_LINK = "a symbolic link: not written through it (remove the link)"


def open_file(path: Path, *, exclusive: bool = False, mode: int = FILE_MODE) -> BinaryIO:
    """`path` opened for writing with `mode` (an existing file of this user is narrowed to it and
    emptied); `exclusive`: refuse an existing file (FileExistsError), as open(..., "xb") does. A
    symbolic link in its place is refused (OSError ELOOP), never followed: someone who can write
    the folder would otherwise have this user overwrite, and make readable, any file it can write."""
    flags = (os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
             | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags, mode)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, NOT_THROUGH_A_LINK, str(path)) from None
        raise
    try:
        if _ours(os.fstat(fd)):
            os.fchmod(fd, mode)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def write_bytes(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    with open_file(path, mode=mode) as f:
        f.write(data)
