"""Babel's locale data for the repository's languages, carried in the bundle, so that a cold
`mailgitops dispatch` does not unpickle and merge a locale's whole CLDR data (~4.5 ms: the
language's file and the root locale's) nor Babel's global data (~3.6 ms, for the time zone's
name) to format one date.

Babel still formats: the bundle carries only the data its date, time and number formats read
(the parts of the locale's CLDR entries that the filters of render/formats.py use), taken from
Babel when the bundle is built and checked to read back equal. Anything else a format asks for
(another currency's name, a numbering system, a time zone in a `full` time) is looked up in
Babel's own data, loaded then: what is carried only saves a load, it never changes an output.
The data is stamped with Babel's version; a dispatcher with another Babel ignores it. The zone
names are what Babel gives the print room's zone in each language, for standard and summer time;
none where Babel would give an offset (which depends on the date)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from babel import Locale

FORMAT = 1
# What the filters' Babel calls read (date, datetime, number and money with their default widths)
WHOLE = ("date_formats", "time_formats", "datetime_formats", "months", "days", "day_periods",
         "decimal_formats", "currency_formats", "currency_symbols", "plural_form", "zone_formats")
# Large entries of which the filters need a few keys; any other key is read from Babel's data
SOME: Mapping[str, tuple[str, ...]] = {
    "number_symbols": ("latn",),
    "currency_names": ("EUR", "USD", "GBP", "CHF"),
    "currency_names_plural": ("EUR", "USD", "GBP", "CHF"),
}
WIDTH: Literal["short"] = "short"  # the zone name's width in the datetime filter


def stamp() -> str:
    import babel

    return f"{FORMAT}:babel-{babel.__version__}"


# ---- build time -------------------------------------------------------------------------------

class _Unsupported(Exception):
    pass


def _enc(value: Any) -> Any:
    from babel.dates import DateTimePattern
    from babel.numbers import NumberPattern
    from babel.plural import PluralRule

    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):  # keys may be ints (months) or None (decimal_formats)
        return {"m": [[_enc(k), _enc(value[k])] for k in value]}
    if isinstance(value, tuple | list):
        return {"t" if isinstance(value, tuple) else "l": [_enc(v) for v in value]}
    patterns = {DateTimePattern: "dp", NumberPattern: "np"}
    if type(value) in patterns:
        return {patterns[type(value)]: value.pattern}
    if isinstance(value, PluralRule):
        return {"pr": dict(value.rules)}
    raise _Unsupported(type(value).__name__)


def _same(a: Any, b: Any) -> bool:
    """Equal as Babel uses them (its patterns compare by identity, so by their attributes)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and _same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if type(a).__name__ == "PluralRule" and type(a) is type(b):
        return bool(a.rules == b.rules)
    if hasattr(a, "__dict__") and type(a) is type(b):
        return _same(vars(a), vars(b))
    return bool(type(a) is type(b) and a == b)


def _locale_data(loc: Locale) -> dict[str, Any]:
    data = loc._data  # Babel's merged CLDR data of this locale (read at build time only)
    out: dict[str, Any] = {}
    for key in (*WHOLE, *SOME):
        if key not in data:
            continue
        value = data[key]
        if key in SOME:
            value = {k: value[k] for k in SOME[key] if k in value}
        try:
            encoded = _enc(value)
        except _Unsupported:
            continue  # Babel reads it from its own data
        if _same(_dec(encoded, (key,), _never), value):
            out[key] = encoded
    return out


def _zone_names(loc: Locale, zone_name: str) -> dict[str, str | None]:
    """Babel's short name of the zone in standard and in summer time, if it is one name all year
    (Mondays over two years); "" where Babel gives the offset instead (GMT+1, made at send time
    from the carried `zone_formats`); None where neither holds all year (Babel decides)."""
    from zoneinfo import ZoneInfo

    from babel.dates import get_timezone_gmt, get_timezone_name

    zone = ZoneInfo(zone_name)
    seen: dict[str, set[str | None]] = {"standard": set(), "daylight": set()}
    start = dt.datetime(2025, 1, 6, 12, tzinfo=dt.UTC)
    for week in range(105):
        when = (start + dt.timedelta(weeks=week)).astimezone(zone)
        name = str(get_timezone_name(when, width=WIDTH, locale=loc))
        gmt = str(get_timezone_gmt(when, width=WIDTH, locale=loc))
        seen["daylight" if when.dst() else "standard"].add("" if name == gmt else name)
    return {variant: next(iter(names)) if len(names) == 1 else None for variant, names in seen.items()}


def carry(langs: tuple[str, ...], zone_name: str | None,
          locale_of: Callable[[str], Locale]) -> dict[str, Any]:
    """What the bundle carries for these languages and the print room's zone (None: UTC), each
    language's locale chosen by `locale_of` (formats.babel_locale, which imports this module)."""
    locales, zones = {}, {}
    for lang in langs:
        loc = locale_of(lang)
        # one compact JSON text a language: the bundle stays small and its hash and structure
        # check cheap, and a dispatcher reads only the language it formats for
        locales[lang] = json.dumps(_locale_data(loc), ensure_ascii=False, sort_keys=True,
                                   separators=(",", ":"))
        if zone_name and zone_name != "UTC":
            zones[lang] = {zone_name: _zone_names(loc, zone_name)}
    return {"code": stamp(), "locales": locales, "zones": zones}


# ---- send time --------------------------------------------------------------------------------

def _never() -> Mapping[str, Any]:
    raise KeyError("only carried data")


class _Part(Mapping[Any, Any]):
    """A carried mapping; a key it lacks is looked up at the same place in Babel's own data."""

    __slots__ = ("_full", "_own", "_path")

    def __init__(self, own: dict[Any, Any], path: tuple[Any, ...], full: Callable[[], Mapping[str, Any]]):
        self._own, self._path, self._full = own, path, full

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._own[key]
        except KeyError:
            found: Any = self._full()
            for part in self._path:
                found = found[part]
            return found[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._own)

    def __len__(self) -> int:
        return len(self._own)


def _dec(value: Any, path: tuple[Any, ...], full: Callable[[], Mapping[str, Any]]) -> Any:
    if not isinstance(value, dict):
        return value
    (tag, inner), = value.items()
    if tag == "m":
        pairs = [(_dec(k, (), full), v) for k, v in inner]
        return _Part({k: _dec(v, (*path, k), full) for k, v in pairs}, path, full)
    if tag in ("t", "l"):
        items = [_dec(v, path, full) for v in inner]
        return tuple(items) if tag == "t" else items
    if tag == "dp":
        from babel.dates import parse_pattern

        return parse_pattern(inner)
    if tag == "np":
        from babel.numbers import parse_pattern as parse_number

        return parse_number(inner)
    if tag == "pr":
        from babel.plural import PluralRule

        return PluralRule(inner)
    raise ValueError(f"unknown carried value {tag!r}")


def carried_locale(base: Locale, text: str) -> Locale:
    """`base` with its data read from `text` (carry's) first (Babel's own for the rest, loaded if
    needed). Raises ValueError or TypeError for a text that is not a JSON object; an entry that
    carry did not make is replaced by Babel's own when it is read."""
    from babel import Locale

    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("carried locale data is not an object")

    class CarriedLocale(Locale):
        @property
        def _data(self) -> Any:  # a Mapping, as Babel reads it: the carried data first
            return own

    loc = CarriedLocale(base.language, base.territory, base.script, base.variant, base.modifier)

    def full() -> Mapping[str, Any]:
        return Locale._data.fget(loc)  # type: ignore[attr-defined,no-any-return]  # Babel's load

    own = _Lazy(data, full)
    return loc


class _Lazy(_Part):
    """The top level: an entry is decoded when Babel first reads it (an email with no amount
    never imports babel.numbers to rebuild the number patterns)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any], full: Callable[[], Mapping[str, Any]]):
        super().__init__({}, (), full)
        self._raw = raw

    def __getitem__(self, key: Any) -> Any:
        if key not in self._own and key in self._raw:
            try:
                self._own[key] = _dec(self._raw[key], (key,), self._full)
            except Exception:  # not carry's (a hand-edited bundle): Babel's own entry instead
                self._own[key] = self._full()[key]
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)
