"""The suite cannot go green by skipping: a skipped test, a module skipped at import and a
browser test without Chromium are failures; only the documented DNS test may skip."""

from __future__ import annotations

import pytest

from support import honest

CONFTEST = "from support.honest import *  # noqa: F403\n"


def test_a_skipped_test_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_tool="""
        import pytest

        def test_needs_postfix():
            pytest.skip("postfix is not installed")

        @pytest.mark.skipif(True, reason="no node")
        def test_needs_node():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, errors=1)  # a skip in setup (skipif) fails as an error
    result.stdout.fnmatch_lines(["*skipped (no node), and this suite allows no skips*",
                                 "*skipped (postfix is not installed), and this suite allows no skips*"])


def test_a_module_skipped_at_import_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_pg="""
        import pytest
        pytest.importorskip("no_such_module_for_postgres")

        def test_query():
            pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider")
    assert result.ret != 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_pg.py skipped at collection*no_such_module_for_postgres*"])


def test_the_one_documented_skip_stays_a_skip() -> None:
    assert list(honest.ALLOWED_SKIPS) == [
        "tests/acceptance/test_smtp_tls.py::test_name_not_found_is_said_plainly"]


def test_an_expected_failure_is_not_turned_into_a_failure(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_x="""
        import pytest

        @pytest.mark.xfail(reason="known", strict=True)
        def test_known():
            assert False
    """)
    pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider").assert_outcomes(xfailed=1)


def test_slow_tests_are_run_first(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    pytester.makepyfile(test_order="""
        import pytest

        def test_a(): pass

        @pytest.mark.slow
        def test_b(): pass

        def test_c(): pass
    """)
    result = pytester.runpytest_inprocess("-p", "no:xdist", "-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines(["*test_b PASSED*", "*test_a PASSED*", "*test_c PASSED*"])
