"""A clock tests move by hand: `time.time()` and `time.monotonic()` for the modules given, ahead
of the real ones by what the test advanced, so a backoff or a lease runs out without sleeping
(and never early, however busy the machine)."""

from __future__ import annotations

import time as real
from types import ModuleType

import pytest


class ShiftedClock:
    def __init__(self) -> None:
        self.ahead = 0.0
        self.stepped = 0.0  # the wall clock alone, as NTP steps it: monotonic time does not move

    def time(self) -> float:
        return real.time() + self.ahead + self.stepped

    def monotonic(self) -> float:
        return real.monotonic() + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += seconds

    def step_wall(self, seconds: float) -> None:
        """The machine's clock set forward (positive) or back (negative), time itself going on."""
        self.stepped += seconds

    def install(self, monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> ShiftedClock:
        for module in modules:
            monkeypatch.setattr(module, "time", self)
        return self
