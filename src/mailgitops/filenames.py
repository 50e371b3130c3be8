"""The name an attached file goes by: on the operator's page, in the email the customer gets and
on disk for a file uploaded in the console. One rule for all three, so the name the operator
checks is the name the customer sees."""

from __future__ import annotations

from collections.abc import Iterable

MAX_BYTES = 200  # UTF-8; file systems allow 255 per name, and a numbered copy needs a few more
FALLBACK = "attachment"
# what Windows, macOS and mail headers cannot hold in a name (the customer saves the file)
_UNSAFE = frozenset('<>:"/\\|?*')
# joiners are part of how Persian, Indic and emoji names are written; other format characters
# (right-to-left overrides that make "fdp.exe" read "exe.pdf", zero-width spaces) are not
_JOINERS = frozenset("\u200c\u200d")
# names Windows keeps for devices: a customer could not save "CON.pdf"
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                      *(f"LPT{i}" for i in range(1, 10))})


def _kept(c: str, kind: str) -> str:
    if c in _UNSAFE:
        return "_"
    if kind.startswith("Z"):  # no-break, ideographic, line and paragraph separators: a plain space
        return " "
    if kind in ("Cc", "Cs") or (kind == "Cf" and c not in _JOINERS):
        return ""
    return c


def clean(path: str) -> str:
    """The last part of `path` as a file name anyone can keep: letters and digits of every script
    kept, composed (NFC: a Mac sends "Größe" decomposed), without control characters, `<>:"/\\|?*`
    or leading and trailing dots and spaces, and at most MAX_BYTES long with its extension."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    if base.isascii():  # most names: nothing to compose, no invisible character, and every cold
        # `mailgitops dispatch` is spared importing unicodedata
        base = "".join(_kept(c, "Cc" if not c.isprintable() else "") for c in base)
    else:
        import unicodedata

        base = "".join(_kept(c, unicodedata.category(c)) for c in unicodedata.normalize("NFC", base))
    base = base.strip(" .")
    if base.split(".", 1)[0].rstrip(" ").upper() in _DEVICES:  # "CON.pdf" and "con.tar.gz" too
        base = f"_{base}"
    return fit(base) or FALLBACK


def fit(name: str, suffix: str = "") -> str:
    """`name` with `suffix` put before its extension, the name cut (never the extension) to fit
    MAX_BYTES."""
    stem, dot, ext = name.rpartition(".")
    if not stem or len(ext.encode()) > 16:  # no extension, or a dot inside a long name
        stem, dot, ext = name, "", ""
    room = MAX_BYTES - len(f"{suffix}{dot}{ext}".encode())
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(" .")
    return f"{cut}{suffix}{dot}{ext}" if cut else ""


def numbered(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `(3)`... before its extension: the first one no other file in
    `taken` goes by. Compared as a file system that ignores case would (Windows, macOS): two
    files a customer saves to one folder must not overwrite each other."""
    seen = {t.casefold() for t in taken}
    n, got = 1, name
    while got.casefold() in seen:
        n += 1
        got = fit(name, f" ({n})")
    return got


def distinct(names: Iterable[str]) -> list[str]:
    """The names in order, a second of one name numbered: two files the order system keeps in two
    folders under one name ("jobs/PO-1001/final.pdf", "jobs/PO-1002/final.pdf") reach the customer
    as "final.pdf" and "final (2).pdf", not as two files one saves over the other."""
    out: list[str] = []
    for name in names:
        out.append(numbered(name, set(out)))
    return out
