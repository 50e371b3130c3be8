"""The console's times as an operator reads them: to the minute, in the workflow's zone, with a
zone label that is a name (CET) or, for a zone without one, an offset that says it is one."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailgitops.console.state import zone_label


@pytest.mark.parametrize(("zone", "when", "expected"), [
    ("Europe/Berlin", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "CEST"),  # the first 02:30
    ("Europe/Berlin", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "CET"),  # the second 02:30
    ("Asia/Kolkata", datetime(2026, 11, 20, 10, 30, tzinfo=UTC), "IST"),
    ("Asia/Kathmandu", datetime(2026, 11, 20, 10, 30, tzinfo=UTC), "UTC+05:45"),
    ("America/Sao_Paulo", datetime(2026, 11, 20, 10, 30, tzinfo=UTC), "UTC-03:00"),
    ("UTC", datetime(2026, 11, 20, 10, 30, tzinfo=UTC), "UTC"),
])
def test_a_zone_is_labelled_by_its_name_or_as_an_offset(zone: str, when: datetime, expected: str) -> None:
    """Kathmandu's label was "+0545" (and Sao Paulo's "-03"): read as a number, not as a zone."""
    assert zone_label(when.astimezone(ZoneInfo(zone))) == expected
