"""How long the fuzzers run, and what they saw.

In a normal run (CI) each fuzzer tries a few dozen cases (seconds). ``pytest -m slow tests/fuzz`` runs
them longer (``FUZZ_EXAMPLES``, default 1500 cases each); the counts are printed at the end of the run.
"""

from __future__ import annotations

import collections
import os

LONG = False  # set by tests/fuzz/conftest.py when the run selects slow tests
COUNTS: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)


def examples(ci: int) -> int:
    """Cases a fuzzer tries: ``ci`` in a normal run, FUZZ_EXAMPLES (default 1500) in a slow one."""
    if LONG:
        return int(os.environ.get("FUZZ_EXAMPLES", "1500"))
    return ci


def start(fuzzer: str) -> None:
    """A case begins; one that ends without an outcome (an assertion failed, something raised) counts as failed."""
    COUNTS[fuzzer]["tried"] += 1


def count(fuzzer: str, outcome: str) -> None:
    """How a case ended, when it passed."""
    COUNTS[fuzzer][outcome] += 1


def failed(fuzzer: str) -> int:
    c = COUNTS[fuzzer]
    return c["tried"] - sum(v for k, v in c.items() if k != "tried")
