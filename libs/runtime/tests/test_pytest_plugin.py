"""The pytest plugin's own rule: with `CI` set, a test that skips fails (naming why it skipped),
wherever the skip comes from; without `CI` a skip stays a skip. An expected failure (xfail) is
not a skip and keeps its outcome. Each case runs a small test file in a pytest of its own."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest


@pytest.fixture
def tool():
    pytest.skip("no such tool here")


def test_skips_in_its_body():
    pytest.skip("feature not there yet")


@pytest.mark.skip(reason="by a marker")
def test_skipped_by_a_marker():
    pass


@pytest.mark.skipif(True, reason="by a condition")
def test_skipped_by_a_condition():
    pass


def test_skipped_at_set_up(tool):
    pass


def test_passes():
    pass


@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_to_fail():
    assert False
"""


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_skipping=SKIPPING)
    return pytester.runpytest("-p", "convive.runtime.pytest_plugin", "-p", "no:cacheprovider")


def test_in_ci_a_skipped_test_fails_naming_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = run(pytester)
    # a skip at set-up (a marker, a fixture) fails there: pytest reports it as an error
    result.assert_outcomes(passed=1, failed=1, errors=3, xfailed=1)
    for reason in ("feature not there yet", "by a marker", "by a condition", "no such tool here"):
        result.stdout.fnmatch_lines([f"*skipped in CI, which counts as a failure*{reason}*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_outside_ci_a_skip_is_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = run(pytester)
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
