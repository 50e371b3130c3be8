"""Formatting for the email's language (Babel): the money, date, datetime and number filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import pass_context
from jinja2.runtime import Context

if TYPE_CHECKING:
    from babel import Locale

# Babel's data for the bundle's languages (render/formats_carried.py), set by the dispatcher
_carried: Mapping[str, Any] | None = None


def use(carried: Mapping[str, Any] | None) -> None:
    """The locale data and zone names a bundle carries (None: a bundle made without them)."""
    global _carried  # noqa: PLW0603 -- one bundle per process, set once by the dispatcher
    _carried = carried


def _carried_for(lang: str) -> Mapping[str, Any] | None:
    """This language's carried data, if the bundle's was taken from this Babel."""
    carried = _carried
    if not carried:
        return None
    from mailgitops.render.formats_carried import stamp

    return carried if carried.get("code") == stamp() else None


def babel_locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(lang.split("-", maxsplit=1)[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


NAMED_FORMATS = ("short", "medium", "long", "full")
# The pattern letters Babel formats (CLDR): of a date, and of a time of day. Any other letter would
# be printed as it stands, so a misspelt format ("meduim") would reach the customer as garbage.
_DATE_FIELDS = frozenset("GyYuQqMLwWdDFgEec")
_TIME_FIELDS = frozenset("abBhHKkmsSAzZOvVXx")
FORMAT_HINT = ("use short, medium, long or full, or a pattern of date fields such as 'd MMMM y' "
               "(other text in single quotes: \"d 'de' MMMM\")")


def format_problem(kind: str, fmt: object) -> str | None:
    """Why `fmt` cannot format a date (`kind` "date") or a date and time ("datetime"), or None."""
    if not isinstance(fmt, str):
        return f"the format must be text, not {type(fmt).__name__}"
    if fmt in NAMED_FORMATS:
        return None
    from mailgitops.suggest import closest

    if (named := closest(fmt.lower(), NAMED_FORMATS, cutoff=0.7)) is not None:
        return f"`{fmt}` is no format's name: did you mean `{named}`?"
    return _pattern_problem(kind, fmt)


def _pattern_problem(kind: str, fmt: str) -> str | None:
    allowed = _DATE_FIELDS | (_TIME_FIELDS if kind == "datetime" else frozenset())
    fields, quoted = 0, False
    for ch in fmt:
        if ch == "'":
            quoted = not quoted
        elif quoted or not (ch.isascii() and ch.isalpha()):
            continue
        elif ch in allowed:
            fields += 1
        elif ch in _TIME_FIELDS:
            return f"`{ch}` is a time-of-day field and a date has none (the `datetime` filter prints times)"
        else:
            return f"`{ch}` is not a {kind} field, and would be printed as it stands"
    if quoted:
        return "a quote (') is not closed"
    return None if fields else f"it has no {kind} field"


def _checked(kind: str, fmt: str) -> str:
    """`fmt` when it can format a `kind`; else the error that names why. Each email of a run
    formats with the same few patterns: a text one is judged once (no "did you mean" per email)."""
    problem = _judged(kind, fmt) if isinstance(fmt, str) else format_problem(kind, fmt)
    if problem is not None:  # a format made at render time (a written one: validate refused it)
        raise ValueError(f"`{kind}('{fmt}')`: {problem}; {FORMAT_HINT}")
    return fmt


@lru_cache(maxsize=256)
def _judged(kind: str, fmt: str) -> str | None:
    return format_problem(kind, fmt)


def _zone(ctx: Context) -> dt.tzinfo:
    """config/workflow.yaml `timezone` (build_context puts it under printroom); UTC without it."""
    printroom = ctx.get("printroom")
    name = printroom.get("timezone") if isinstance(printroom, Mapping) else None
    if not isinstance(name, str) or name == "UTC":
        return dt.UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # validate names it; an old bundle must still send
        return dt.UTC


def require_zone(name: str, where: str) -> None:
    """Stop a start (serve) on a machine whose time zone database lacks the bundle's `timezone`:
    every email would show its times in UTC instead (truthfully named, but not the print room's)."""
    if name == "UTC":
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from mailgitops.errors import MailgitopsError

        raise MailgitopsError(
            f"{where}: the time zone `{name}` (config/workflow.yaml `timezone`) is not in this "
            "machine's time zone database, so the emails could not show their times in it",
            hint="reinstall mailgitops (its `tzdata` dependency carries every zone), or correct "
                 "`timezone` and build the bundle again") from None


def _own_format(ctx: Context, lang: str, kind: str) -> str | None:
    """config/workflow.yaml `date_formats` for this language (or its base: `de-CH` → `de`), which
    build_context puts under printroom: the print room's own default pattern of `kind`."""
    printroom = ctx.get("printroom")
    formats = printroom.get("date_formats") if isinstance(printroom, Mapping) else None
    if not isinstance(formats, Mapping):
        return None
    for cand in dict.fromkeys((lang, lang.split("-", maxsplit=1)[0])):
        own = formats.get(cand)
        if isinstance(own, Mapping) and isinstance(own.get(kind), str):
            return str(own[kind])
    return None


def as_date(value: Any, zone: dt.tzinfo) -> dt.date:
    """A date; a point in time (with a time of day) is first moved into the print room's zone."""
    if isinstance(value, dt.datetime) or (isinstance(value, str) and len(value) > 10):
        return as_datetime(value).astimezone(zone).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


DATETIME_WANTED = ("a date and time with its UTC offset, such as 2026-11-27T10:00:00Z or "
                   "2026-11-27T11:00:00+01:00")


def as_datetime(value: Any) -> dt.datetime:
    """A point in time. One without a UTC offset is refused, not guessed: read as UTC (as it once
    was) or in the print room's zone, "10:30" from an order system in another zone, or in the hour
    summer time repeats, would reach the customer as a wrong time with a confident zone name."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = str(value)
        if len(text.strip()) <= 10:
            raise ValueError(f"`{text}` is a date without a time of day: send {DATETIME_WANTED}")
        # RFC 3339 allows `t` and `z` in lower case, as the event's schema does (occurred_at)
        parsed = dt.datetime.fromisoformat(text[:10] + text[10:].upper())
    if parsed.utcoffset() is None:
        raise ValueError(f"`{value}` has no UTC offset, so it could be any zone's time: "
                         f"send {DATETIME_WANTED}")
    return parsed


# the pattern letters that print a zone: a pattern with one shows its zone already
_ZONE_FIELDS = frozenset("zZOvVXx")


def shows_zone(pattern: str) -> bool:
    """Whether a CLDR pattern prints the zone itself (outside quoted text)."""
    quoted = False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in _ZONE_FIELDS:
            return True
    return False


def filters(lang: str) -> dict[str, Any]:
    """The filters the variable catalog lists (money, date, datetime, number), for one language."""
    # Babel (and the part of it each filter needs) is imported at the first call, and the locale's
    # data loaded then: an email that formats nothing does not pay for it.
    @lru_cache(maxsize=1)
    def loc() -> Locale:
        base = babel_locale(lang)
        carried = _carried_for(lang)
        data = carried["locales"].get(lang) if carried else None
        if not data:
            return base
        from mailgitops.render.formats_carried import carried_locale

        try:
            return carried_locale(base, data)
        except Exception:  # not carry's text (a hand-edited bundle): Babel formats from its own data
            return base

    def zone_name(zone: dt.tzinfo, when: dt.datetime) -> str:
        carried = _carried_for(lang)
        names = carried["zones"].get(lang, {}).get(getattr(zone, "key", None), {}) if carried else {}
        name = names.get("daylight" if when.dst() else "standard")
        if name:  # what Babel gives this zone in this language at this time of year
            return str(name)
        if name == "":  # Babel has no name for it here, only the offset
            from babel.dates import get_timezone_gmt

            return str(get_timezone_gmt(when, width="short", locale=loc()))
        from babel.dates import get_timezone_name

        return str(get_timezone_name(when, width="short", locale=loc()))

    @pass_context
    def money(ctx: Context, value: Any, currency: str | None = None) -> str:
        from babel.numbers import format_currency

        order = ctx.get("order")
        code = currency or (order.get("currency") if isinstance(order, Mapping) else None) or "EUR"
        return str(format_currency(float(value), str(code), locale=loc()))

    @pass_context
    def date(ctx: Context, value: Any, fmt: str | None = None) -> str:
        """Without a format: the print room's own for this language, else the language's medium."""
        from babel.dates import format_date

        fmt = fmt if fmt is not None else _own_format(ctx, lang, "date") or "medium"
        return str(format_date(as_date(value, _zone(ctx)), format=_checked("date", fmt), locale=loc()))

    @lru_cache(maxsize=1)
    def to_the_minute() -> str:
        """The default: the language's medium date with its short time (20.11.2026, 10:30), as
        its medium date-time joins them; an order email has no use for the seconds."""
        joined = str(loc().datetime_formats["medium"])
        date_part = loc().date_formats["medium"].pattern
        time_part = loc().time_formats["short"].pattern
        return joined.replace("{1}", date_part).replace("{0}", time_part)

    @pass_context
    def datetime(ctx: Context, value: Any, fmt: str | None = None) -> str:
        """In the print room's zone, with the zone's name: a time without one is ambiguous."""
        from babel.dates import format_datetime

        zone = _zone(ctx)
        when = as_datetime(value).astimezone(zone)
        label = "UTC" if zone is dt.UTC else zone_name(zone, when)
        if not label[:1].isalpha():  # Babel has no short name here ("+0100"): the zone's own (CET)
            label = when.tzname() or label
        if not label[:1].isalpha():  # nor has the zone (Asia/Kathmandu's "+0545"): "GMT+05:45",
            from babel.dates import get_timezone_gmt  # as the language writes it (fr: UTC+05:45)

            label = str(get_timezone_gmt(when, width="long", locale=loc()))
        fmt = fmt if fmt is not None else _own_format(ctx, lang, "datetime")
        pattern = to_the_minute() if fmt is None else _checked("datetime", fmt)
        shown = str(format_datetime(when, format=pattern, tzinfo=zone, locale=loc()))
        # `long`, `full` and a pattern with a zone field print the zone already ("11:30:00 MEZ"):
        # a second name after it read "MEZ MEZ"
        time_part = loc().time_formats[pattern].pattern if pattern in NAMED_FORMATS else pattern
        return shown if shows_zone(time_part) else f"{shown} {label}"

    def number(value: Any) -> str:
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=loc()))

    return {"money": money, "date": date, "datetime": datetime, "number": number}
