"""The compiled kernels (the optional ``fast`` extra) pick exactly what the numpy path picks."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endgame_game.ai import kernels, make_agents, play_turn
from endgame_game.ai.base import weighted_picks
from endgame_game.engine import CompiledModel, Game
from tests.conftest import ROOT, TEST_RULESETS

pytest.importorskip("numba")

MODELS = {
    "mechanisms": CompiledModel.load(TEST_RULESETS / "mechanisms.toml"),
    "endgame-2024": CompiledModel.load(ROOT / "rulesets" / "endgame-2024.toml"),
}


def _both(fn):  # noqa: ANN001, ANN202
    """(fn() on the numpy path, fn() with the kernels)."""
    before, min_batch = os.environ.get("ENDGAME_KERNELS"), kernels.MIN_BATCH
    kernels.MIN_BATCH = 0  # the kernels for every batch size here (they only start at 20,000 games otherwise)
    try:
        os.environ["ENDGAME_KERNELS"] = "numpy"
        assert not kernels.enabled()
        want = fn()
        os.environ["ENDGAME_KERNELS"] = "auto"
        assert kernels.enabled()
        return want, fn()
    finally:
        kernels.MIN_BATCH = min_batch
        if before is None:
            os.environ.pop("ENDGAME_KERNELS", None)
        else:
            os.environ["ENDGAME_KERNELS"] = before


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(MODELS)), seed=st.integers(0, 2**64 - 1), turns=st.integers(0, 6),
       batch=st.integers(1, 60), data=st.data())
def test_weighted_picks_match_the_numpy_path(name, seed, turns, batch, data):
    model = MODELS[name]
    g = Game(model, seed=seed, batch=batch, log=False, history=False)
    agents = make_agents(model, {}, default="random")
    for _ in range(turns):
        if g.done:
            break
        play_turn(g, agents, validate=False)
    actor = data.draw(st.sampled_from([a for a in range(len(model.actors)) if model.moves_of[a]]))
    obs = g.observe(model.actors[actor])
    own = model.moves_of[actor]
    cands = data.draw(st.lists(st.tuples(
        st.sampled_from(own), st.lists(st.booleans(), min_size=batch, max_size=batch).map(np.array),
        st.sampled_from([0.3, 0.5, 0.7, 1.0, 2.0, 3.5, 1e-3])), max_size=25))
    pass_weight = data.draw(st.sampled_from([0.0, 0.5, 2.0]))
    want, got = _both(lambda: weighted_picks(model, obs, actor, cands, "t", pass_weight))
    assert np.array_equal(want, got)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("agent", ["doctrine", "random", "mixed"])
def test_whole_games_are_identical_with_and_without_kernels(name, agent):
    model = MODELS[name]

    def play() -> list[str]:
        g = Game(model, seed=3, batch=200, log=False, history=False)
        agents = make_agents(model, {}, default=agent)
        sums = []
        while not g.done:
            play_turn(g, agents, validate=False)
            sums.append(g.state.checksum())
        return sums

    want, got = _both(play)
    assert want == got
