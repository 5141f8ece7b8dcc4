"""Randomness is a pure function of (seed, game, turn, site): game i of any batch equals game i alone."""

from __future__ import annotations

import os
import subprocess
import sys

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from endgame_game.ai import make_agents, run_games
from endgame_game.engine import CompiledModel, Game
from endgame_game.engine.state import ARRAYS
from tests.conftest import ROOT, TEST_RULESETS

MODELS = {name: CompiledModel.load(TEST_RULESETS / f"{name}.toml") for name in ("mini", "mechanisms")}


def _play(model, seed, games, agent="random"):
    g = Game(model, seed=seed, games=np.asarray(games, dtype=np.uint64), log=True)
    run_games(g, make_agents(model, {}, default=agent))
    return g


@given(name=st.sampled_from(sorted(MODELS)), seed=st.integers(0, 2**63 - 1), batch=st.integers(2, 40),
       data=st.data(), agent=st.sampled_from(["random", "doctrine"]))
def test_game_in_batch_equals_game_alone(name, seed, batch, data, agent):
    model = MODELS[name]
    start = data.draw(st.integers(0, 10**9))
    i = data.draw(st.integers(0, batch - 1))
    whole = _play(model, seed, np.arange(start, start + batch), agent)
    alone = _play(model, seed, [start + i], agent)
    for n in ARRAYS:
        assert np.array_equal(getattr(whole.state, n)[i], getattr(alone.state, n)[0]), n
    assert [r.describe() for r in whole.records(i)] == [r.describe() for r in alone.records(0)]


@given(seed=st.integers(0, 2**64 - 1))
def test_same_seed_same_game_and_replay_matches(seed):
    model = MODELS["mini"]
    a, b = _play(model, seed, [0]), _play(model, seed, [0])
    assert a.state.equals(b.state) and a.turn_records == b.turn_records
    again, diverged = Game.from_record(model, a.record())
    assert diverged is None and again.state.equals(a.state)


def test_different_seeds_differ():
    model = MODELS["mini"]
    outcomes = {_play(model, s, [0]).state.checksum() for s in range(20)}
    assert len(outcomes) > 10


def test_tampered_order_log_diverges_at_that_turn():
    model = MODELS["mini"]
    g = _play(model, 5, [0])
    record = g.record()
    assert len(record.turns) >= 3
    tampered = list(record.turns)
    t = tampered[1]
    red = t.orders.get("red", ((),))[0]
    tampered[1] = attrs.evolve(t, orders={**t.orders, "red": ((),) if red else (("attack",),)})
    _, diverged = Game.from_record(model, attrs.evolve(record, turns=tuple(tampered)))
    assert diverged == record.turns[1].turn


@pytest.mark.parametrize("hashseed", ["0", "1", "12345"])
def test_independent_of_python_hash_seed(hashseed):
    code = (
        "from endgame_game.engine import CompiledModel, Game;"
        "from endgame_game.ai import make_agents, run_games;"
        f"m = CompiledModel.load(r'{TEST_RULESETS / 'mini.toml'}');"
        "g = Game(m, seed=99, batch=8); run_games(g, make_agents(m, {}, default='random')); print(g.state.checksum())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    baseline = Game(MODELS["mini"], seed=99, batch=8)
    run_games(baseline, make_agents(MODELS["mini"], {}, default="random"))
    assert out.stdout.strip() == baseline.state.checksum()
