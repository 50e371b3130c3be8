"""Date patterns that are valid CLDR but almost never what the admin meant: `DD.MM.YYYY` (the
usual spelling elsewhere) prints the day of the year and the week's year, `338.12.2026` for 4
December 2026 (and 2027 for the last days of December); `dd.mm.yyyy` in a datetime puts the
minutes where the month should be. The renderer accepts them; validate refuses them here."""

from __future__ import annotations


def _fields(fmt: str) -> str:
    """The pattern's field letters, without the text in single quotes."""
    out, quoted = [], False
    for ch in fmt:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch.isascii() and ch.isalpha():
            out.append(ch)
    return "".join(out)


def confusable(kind: str, fmt: object) -> str | None:
    """Why `fmt` would print another date than it seems to, with the pattern meant; or None."""
    if not isinstance(fmt, str):
        return None
    fields = _fields(fmt)
    wrong = [f"`{c}` is the {what}" for c, what in (("D", "day of the year (338 on 4 December)"),
                                                     ("Y", "year of the week (2027 on 28 December 2026)"))
             if c in fields]
    if wrong:
        meant = "".join("d" if c == "D" else "y" if c == "Y" else c for c in fmt)
        return f"{' and '.join(wrong)}: did you mean `{meant}`?"
    if kind == "datetime" and "m" in fields and "M" not in fields and ("d" in fields or "y" in fields):
        return "`m` is the minute, and the pattern has no month: the month is `M` (`dd.MM.y HH:mm`)"
    return None
