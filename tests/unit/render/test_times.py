"""The times an email shows: in the print room's `timezone`, with the zone's name once, for
customers and order systems in other zones, across summer time's changes; and no guessing at
a time that does not say its offset."""

from __future__ import annotations

import pytest

from mailgitops.render.jinja_env import render_tokens


def shown(value: str, zone: str = "Europe/Berlin", lang: str = "de", fmt: str | None = None) -> str:
    source = "{{ t | datetime }}" if fmt is None else "{{ t | datetime(f) }}"
    return render_tokens(lang, source, {"t": value, "f": fmt, "printroom": {"timezone": zone}}).fill()


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param("2026-11-20T10:30:00+09:00", "20.11.2026, 02:30 MEZ", id="tokyo-offset"),
    pytest.param("2026-11-20T10:30:00Z", "20.11.2026, 11:30 MEZ", id="utc"),
    pytest.param("2026-11-20T23:30:00Z", "21.11.2026, 00:30 MEZ", id="next-day-in-berlin"),
    # 2026-03-29: 02:00 MEZ is followed by 03:00 MESZ; 2026-10-25: 02:00-03:00 comes twice
    pytest.param("2026-03-29T00:59:00Z", "29.03.2026, 01:59 MEZ", id="before-the-missing-hour"),
    pytest.param("2026-03-29T01:00:00Z", "29.03.2026, 03:00 MESZ", id="after-the-missing-hour"),
    pytest.param("2026-10-25T00:30:00Z", "25.10.2026, 02:30 MESZ", id="repeated-hour-first"),
    pytest.param("2026-10-25T01:30:00Z", "25.10.2026, 02:30 MEZ", id="repeated-hour-second"),
])
def test_a_time_is_shown_in_the_print_rooms_zone_with_its_name(value: str, expected: str) -> None:
    """The two 02:30 of the night summer time ends differ by their zone's name."""
    assert shown(value) == expected


def test_a_half_hour_zone_and_utc_are_named() -> None:
    assert shown("2026-11-20T10:30:00Z", "Asia/Kolkata", "en") == "Nov 20, 2026, 4:00\u202fPM IST"
    assert shown("2026-11-20T10:30:00+01:00", "UTC") == "20.11.2026, 09:30 UTC"


@pytest.mark.parametrize(("value", "words"), [
    pytest.param("2026-11-20T10:30:00", "has no UTC offset", id="no-offset"),
    pytest.param("2026-03-29T02:30:00", "has no UTC offset", id="in-the-missing-hour"),
    pytest.param("2026-10-25T02:30:00", "has no UTC offset", id="in-the-repeated-hour"),
    pytest.param("2026-11-20", "a date without a time of day", id="date-only"),
])
def test_a_time_that_does_not_say_its_zone_is_refused_not_guessed(value: str, words: str) -> None:
    """It was read as UTC: Berlin's 10:30 became 11:30 MEZ, a date alone 01:00 MEZ."""
    with pytest.raises(ValueError, match=words):
        shown(value)


def test_the_date_of_a_point_in_time_is_that_day_in_the_print_rooms_zone() -> None:
    source = "{{ t | date }}"
    ctx = {"t": "2026-11-20T23:30:00Z", "printroom": {"timezone": "Europe/Berlin"}}
    assert render_tokens("de", source, ctx).fill() == "21.11.2026"
    with pytest.raises(ValueError, match="has no UTC offset"):
        render_tokens("de", source, {**ctx, "t": "2026-11-20T23:30:00"}).fill()


@pytest.mark.parametrize(("lang", "fmt", "expected"), [
    ("de", "long", "20. November 2026, 11:30:00 MEZ"),
    ("de", "full", "Freitag, 20. November 2026, 11:30:00 Mitteleuropäische Normalzeit"),
    ("de", "d. MMMM y, HH:mm z", "20. November 2026, 11:30 MEZ"),
    ("de", "d. MMMM y, HH:mm 'Uhr'", "20. November 2026, 11:30 Uhr MEZ"),
    ("en", "full", "Friday, November 20, 2026, 11:30:00\u202fAM Central European Standard Time"),
])
def test_a_format_that_prints_the_zone_shows_it_once(lang: str, fmt: str, expected: str) -> None:
    """`long` and `full` print the zone themselves: a second name after them read "MEZ MEZ"."""
    assert shown("2026-11-20T10:30:00Z", lang=lang, fmt=fmt) == expected


@pytest.mark.parametrize(("zone", "lang", "expected"), [
    ("Asia/Kathmandu", "en", "Jan 15, 2026, 4:15\u202fPM GMT+05:45"),
    ("America/Sao_Paulo", "de", "15.01.2026, 07:30 GMT-03:00"),
    ("Asia/Dubai", "fr", "15 janv. 2026, 14:30 UTC+04:00"),
    ("Africa/Lagos", "en", "Jan 15, 2026, 11:30\u202fAM WAT"),
])
def test_a_zone_without_a_name_shows_its_offset_as_the_language_writes_it(zone: str, lang: str,
                                                                          expected: str) -> None:
    """Kathmandu has no abbreviation: the email read "16:15 +0545", a number a customer may not
    read as a zone. It is "GMT+05:45" (French: "UTC+04:00"), as CLDR writes an offset."""
    assert shown("2026-01-15T10:30:00Z", zone, lang) == expected
