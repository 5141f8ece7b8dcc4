"""A Hypothesis-driven ruleset mutator: deletions, duplicates, wrong types, NaN/inf/huge numbers, odd ids,
odd ``extends`` and deep nesting applied to a valid ruleset. Whatever comes out, ``check`` answers with the
project's own error (a RulesetError, or issues) and never a traceback, in time proportional to the file;
what it accepts compiles within a bounded memory and plays a turn (issue 18)."""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import time
import tomllib
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError, RulesetError
from endgame_game.rules import check_file
from tests.fuzz import budget, key_paths

TEST_RULESETS = Path(__file__).resolve().parents[1] / "rulesets"
MINI = TEST_RULESETS / "mini.toml"
BASE = tomllib.loads(MINI.read_text())
SECONDS_BASE, SECONDS_PER_MB = 30.0, 60.0  # a hang detector, not a benchmark: a mutated mini (3 KB) checks in
# about 0.2 s alone, once 5.6 s on the shared 2-core machine; the audit's hangs were minutes
COMPILE_PEAK_BYTES = 256 * 1024**2

_DIR = Path(tempfile.mkdtemp(prefix="rulesetfuzz-"))
shutil.copy(MINI, _DIR / "mini.toml")

ODD_NUMBERS = [math.nan, math.inf, -math.inf, 1e308, -1e308, 2**63 - 1, -(2**63), 0, -1, 1e-320, 10**6]
ODD_TEXT = ["", " ", "x" * 5000, "ｔｕｒｎ", "__import__('os')", "a.b.c", "1e999", "inf", "nan", "../../etc/passwd",
            "\x00", "é", "red.men ** 1e999", "(" * 40 + "1" + ")" * 40, "true", "[", "{"]
ODD_EXTENDS = ["", "mini.toml", "v.toml", "nope", "a" * 3000, "x/" * 600 + "y.toml", "/dev/zero", ".", "..",
               "mini", "\x00", "rulesets/../mini.toml"]



def _nest(depth: int, leaf: Any) -> Any:
    v = leaf
    for i in range(depth):
        v = [v] if i % 2 else {"k": v}
    return v


@st.composite
def mutations(draw: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = key_paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for k in path[:-1]:
            parent = parent[k]
        last = path[-1]
        op = draw(st.sampled_from(["delete", "duplicate", "type", "number", "text", "id", "nest", "extends"]))
        if op == "delete":
            del parent[last]
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(last, copy.deepcopy(parent[last]))
            else:
                parent[f"{last}_2"] = copy.deepcopy(parent[last])
        elif op == "type":
            parent[last] = draw(st.sampled_from([True, 1, 1.5, "x", [], {}, [1, "a"], {"a": {"b": 1}}]))
        elif op == "number":
            parent[last] = draw(st.sampled_from(ODD_NUMBERS) | st.floats(allow_nan=True, allow_infinity=True)
                                | st.integers(-(2**63), 2**63 - 1))
        elif op == "text":
            parent[last] = draw(st.sampled_from(ODD_TEXT) | st.text(max_size=30))
        elif op == "id":
            target = draw(st.sampled_from(["moves", "flows", "events", "endings", "thresholds"]))
            items = doc.get(target)
            entries = [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []
            if entries:
                draw(st.sampled_from(entries))["id"] = draw(
                    st.sampled_from([["a"], {"x": 1}, "", "1abc", "ｔｕｒｎ", "a-b", "a" * 500, 7, "moves"])
                    | st.text(max_size=12))
        elif op == "nest":
            parent[last] = _nest(draw(st.integers(2, 120)), draw(st.sampled_from([1, "x", {}])))
        elif op == "extends":
            doc["extends"] = draw(st.sampled_from(ODD_EXTENDS) | st.text(max_size=20))
    return doc


def _write(doc: dict[str, Any]) -> Path | None:
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # e.g. a NUL in a key: not TOML at all, nothing to check
        return None
    f = _DIR / "v.toml"
    f.write_text(text, "utf-8")
    return f


@pytest.mark.slow
@settings(max_examples=budget.examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutations())
def test_mutated_rulesets_end_in_ruleset_errors_or_compile(doc):
    budget.start("ruleset mutator")
    f = _write(doc)
    if f is None:
        budget.count("ruleset mutator", "not TOML (skipped)")
        return
    size_mb = max(f.stat().st_size, 1) / 1e6
    t0 = time.perf_counter()
    try:
        checked = check_file(f)
    except RulesetError as e:
        assert e.issues and all(isinstance(i.message, str) and i.message for i in e.issues)
        budget.count("ruleset mutator", "refused (RulesetError)")
        return
    finally:
        took = time.perf_counter() - t0
        assert took < SECONDS_BASE + SECONDS_PER_MB * size_mb, f"check took {took:.1f} s for {size_mb:.2f} MB"
    if checked.errors:
        assert all(i.path or i.message for i in checked.errors)
        budget.count("ruleset mutator", "refused (issues)")
        return
    tracemalloc.start()
    try:
        model = CompiledModel(checked, str(f), {})
        _, peak = tracemalloc.get_traced_memory()
    except EndgameError:
        budget.count("ruleset mutator", "accepted, refused at compile (EndgameError)")
        return
    finally:
        tracemalloc.stop()
    assert peak < COMPILE_PEAK_BYTES, f"compiling took {peak / 1e6:.0f} MB"
    try:
        g = Game(model, seed=1)
        g.step()
    except EndgameError:
        budget.count("ruleset mutator", "accepted, a turn refused (EndgameError)")
        return
    budget.count("ruleset mutator", "accepted and played a turn")
