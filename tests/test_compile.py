"""The straight-line compiler: bit-identical to the tree-walking reference on random expressions and
derived formulas (draws included), derived formulas shared instead of inlined, no recursion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endgame_game.engine import CompiledModel
from endgame_game.errors import RulesetError
from endgame_game.rules import expr
from endgame_game.rules.compile import MAX_STEPS, Program, compile_expr
from tests import reference_compile
from tests.conftest import TEST_RULESETS
from tests.strategies import BOOL_NAMES, NUM_NAMES, expressions

NUM0, _ = expressions(draws=True)
NUM1, _ = expressions(extra_num=("d1",), draws=True)
NUM2, BOOL2 = expressions(extra_num=("d1", "d2"), draws=True)
NUM3, BOOL3 = expressions(extra_num=("d1", "d2"), extra_bool=("e1",), draws=True)
BASE = (TEST_RULESETS / "exprs.toml").read_text()


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return CompiledModel.load(TEST_RULESETS / "derived.toml")


def _tree(model: CompiledModel, text: str) -> expr.Node:
    node = expr.parse(text)
    expr.check_names(node, {k: s.type for k, s in model.symbols.table.items()})
    return node


def _state(model: CompiledModel, data: st.DataObject, batch: int):
    s = model.new_state(batch=batch, seed=data.draw(st.integers(0, 2**64 - 1)))
    vals = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False).map(lambda v: round(v, 2))
    for name in NUM_NAMES:
        col = np.array(data.draw(st.lists(vals, min_size=batch, max_size=batch)))
        if name.startswith("params."):
            s.params[:, model.param_index[name[7:]]] = col
        else:
            s.values[:, model.value_index[name]] = col
    for name in BOOL_NAMES:
        s.flags[:, model.flag_index[name[6:]]] = data.draw(st.lists(st.booleans(), min_size=batch, max_size=batch))
    s.turn = data.draw(st.integers(1, 50))
    return s


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@settings(max_examples=150, deadline=None)
@given(d1=NUM0, d2=NUM1, e1=BOOL2, root=st.one_of(NUM3, BOOL3), batch=st.sampled_from([1, 5]), data=st.data())
def test_bit_identical_to_the_reference_compiler(model, d1, d2, e1, root, batch, data):
    derived = {"d1": _tree(model, d1), "d2": _tree(model, d2), "e1": _tree(model, e1)}
    node = _tree(model, root)
    fast = compile_expr(node, model.symbols, "site", derived)
    ref = reference_compile.compile_expr(node, model.symbols, "site", derived)
    s = _state(model, data, batch)
    with np.errstate(all="ignore"):
        got, want = fast(s), ref(s)
    assert _same(got, want), (root, d1, d2, e1, got, want)


def test_shared_subexpressions_are_computed_once(model):
    derived = {"d1": _tree(model, "a.x * 2"), "d2": _tree(model, "d1 + d1"), "e1": _tree(model, "d2 > 0")}
    p = compile_expr(_tree(model, "d2 * d2 + (a.x * 2)"), model.symbols, "s", derived)
    assert isinstance(p, Program)
    # a.x, a.x * 2 (d1, also the last term), d1 + d1, d2 * d2, the sum: five steps.
    assert len(p) == 5
    assert len(compile_expr(_tree(model, "(1 + 2) * 3 + a.x"), model.symbols, "s")) == 2  # constants folded


@pytest.fixture
def no_check_limits(monkeypatch):
    """``endgame check`` bounds derived chains and their written-out size (rules/check.py, so a ruleset
    it passes compiles in bounded time on any compiler); these tests are of the compiler itself, far
    past those bounds."""
    import importlib

    check = importlib.import_module("endgame_game.rules.check")
    for name in ("MAX_DERIVED_DEPTH", "MAX_INLINED_NODES", "MAX_INLINED_DEPTH", "MAX_TOTAL_INLINED"):
        monkeypatch.setattr(check, name, 10**30)


def _ruleset(tmp_path: Path, derived: dict[str, str], score: str) -> Path:
    text = BASE.replace('[scores.a]\nvalue = "a.x"', f'[scores.a]\nvalue = "{score}"')
    text += "".join(f'\n[derived.{k}]\nvalue = "{v}"\n' for k, v in derived.items())
    path = tmp_path / "r.toml"
    path.write_text(text)
    return path


def test_derived_doubling_compiles_in_linear_size(tmp_path, no_check_limits):
    # Each level reads the one below twice: inlined, level 60 would be 2**60 nodes.
    derived = {"d0": "a.x + 1"} | {f"d{k}": f"d{k - 1} + d{k - 1}" for k in range(1, 61)}
    model = CompiledModel.load(_ruleset(tmp_path, derived, "d60 / 1e18"))
    program = model.scores[0]
    assert isinstance(program, Program) and len(program) <= 63
    s = model.new_state(batch=3)
    s.values[:, model.value_index["a.x"]] = [0.0, 1.0, -1.0]
    assert np.array_equal(program(s), (s.values[:, model.value_index["a.x"]] + 1) * 2.0**60 / 1e18)


def test_a_long_derived_chain_compiles_without_recursion(tmp_path, no_check_limits):
    derived = {"d0": "a.x"} | {f"d{k}": f"d{k - 1} + 1" for k in range(1, 1500)}
    model = CompiledModel.load(_ruleset(tmp_path, derived, "d1499"))
    s = model.new_state(batch=2)
    assert np.array_equal(model.scores[0](s), np.full(2, 1499.0))


def test_draws_in_derived_formulas_that_would_explode_are_refused_naming_the_path(tmp_path, no_check_limits):
    # d and e both read both of the level below, which draws: every path is new draws, 2**k of them.
    derived = {"d0": "uniform(0, 1)", "e0": "uniform(0, 1)"}
    for k in range(1, 30):
        derived[f"d{k}"] = f"d{k - 1} + e{k - 1}"
        derived[f"e{k}"] = f"d{k - 1} - e{k - 1}"
    with pytest.raises(RulesetError) as e:
        CompiledModel.load(_ruleset(tmp_path, derived, "d29"))
    assert e.value.issues[0].path == "scores.a.value"
    assert f"{MAX_STEPS:,} steps" in str(e.value)


def test_a_derived_draw_read_twice_on_one_path_is_one_draw(model):
    derived = {"d1": _tree(model, "uniform(0, 1)"), "d2": _tree(model, "d1 - d1"), "e1": _tree(model, "true")}
    s = model.new_state(batch=4)
    assert np.array_equal(compile_expr(_tree(model, "d2"), model.symbols, "s", derived)(s), np.zeros(4))
