"""pytest hooks that keep the suite honest (tests/conftest.py imports them): nothing skips but
the documented exceptions, so a missing tool fails the run instead of letting it go green; browser
tests fail at once without Chromium; the `slow` tests start first, so parallel workers
(pytest-xdist) finish together instead of one idling while the other runs a slow test picked last."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FIX = "install what the suite needs with scripts/setup --test"

# The only tests that may skip, with the reason. A skip anywhere else is reported as a failure.
ALLOWED_SKIPS = {
    # Resolving a `.invalid` name would ask the machine's DNS server on the network; the suite
    # contacts nothing beyond 127.0.0.1. test_name_not_found_message checks the same words offline.
    "tests/acceptance/test_smtp_tls.py::test_name_not_found_is_said_plainly":
        "the resolver would ask a DNS server on the network",
}


def _why(longrepr: object) -> str:
    why = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return why.removeprefix("Skipped: ")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: order kept otherwise


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None and not CHROMIUM.exists():
        pytest.fail(f"headless Chromium ({CHROMIUM}) is missing: {FIX}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and item.nodeid not in ALLOWED_SKIPS:
        report.outcome = "failed"
        report.longrepr = (f"skipped ({_why(report.longrepr)}), and this suite allows no skips: {FIX} "
                           "(tests/support/honest.py lists the one documented exception)")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None]:
    """A whole module skipped at import (pytest.importorskip, allow_module_level) fails too."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = f"{collector.nodeid} skipped at collection ({_why(report.longrepr)}): {FIX}"
