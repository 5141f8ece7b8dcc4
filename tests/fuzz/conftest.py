"""The fuzzers' budget (see budget.py) and their counts in the run's summary."""

from __future__ import annotations

from typing import Any

from tests.fuzz import budget


def pytest_configure(config: Any) -> None:
    markexpr = config.getoption("markexpr", "") or ""
    budget.LONG = "slow" in markexpr and "not slow" not in markexpr


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not budget.COUNTS:
        return
    terminalreporter.write_sep("-", "fuzzers (cases tried, failed, outcomes of the others)")
    for name, c in sorted(budget.COUNTS.items()):
        rest = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k != "tried")
        terminalreporter.write_line(f"{name}: tried {c['tried']}, failed {budget.failed(name)} ({rest})")
