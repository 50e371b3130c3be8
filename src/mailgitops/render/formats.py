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


def babel_locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(lang.split("-", maxsplit=1)[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


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


def _as_date(value: Any, zone: dt.tzinfo) -> dt.date:
    """A date; a point in time (with a time of day) is first moved into the print room's zone."""
    if isinstance(value, dt.datetime) or (isinstance(value, str) and len(value) > 10):
        return _as_datetime(value).astimezone(zone).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def filters(lang: str) -> dict[str, Any]:
    """The filters the variable catalog lists (money, date, datetime, number), for one language."""
    # Babel (and the part of it each filter needs) is imported at the first call, and the locale's
    # data loaded then: an email that formats nothing does not pay for it.
    @lru_cache(maxsize=1)
    def loc() -> Locale:
        return babel_locale(lang)

    @pass_context
    def money(ctx: Context, value: Any, currency: str | None = None) -> str:
        from babel.numbers import format_currency

        order = ctx.get("order")
        code = currency or (order.get("currency") if isinstance(order, Mapping) else None) or "EUR"
        return str(format_currency(float(value), str(code), locale=loc()))

    @pass_context
    def date(ctx: Context, value: Any, fmt: str = "medium") -> str:
        from babel.dates import format_date

        return str(format_date(_as_date(value, _zone(ctx)), format=fmt, locale=loc()))

    @pass_context
    def datetime(ctx: Context, value: Any, fmt: str = "medium") -> str:
        """In the print room's zone, with the zone's name: a time without one is ambiguous."""
        from babel.dates import format_datetime, get_timezone_name

        zone = _zone(ctx)
        when = _as_datetime(value).astimezone(zone)
        label = "UTC" if zone is dt.UTC else str(get_timezone_name(when, width="short", locale=loc()))
        if not label[:1].isalpha():  # Babel has no short name here ("+0100"): the zone's own (CET)
            label = when.tzname() or label
        return f"{format_datetime(when, format=fmt, tzinfo=zone, locale=loc())} {label}"

    def number(value: Any) -> str:
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=loc()))

    return {"money": money, "date": date, "datetime": datetime, "number": number}
