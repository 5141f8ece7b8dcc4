"""Conformance on every ruleset (shipped and test): random legal games keep bounds, stay finite,
end by the horizon, and game i alone equals game i in a batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.ai import make_agents, run_games
from endgame_game.engine import CompiledModel, Game
from endgame_game.engine.state import ARRAYS
from tests.conftest import ROOT, TEST_RULESETS

RULESETS = sorted((ROOT / "rulesets").glob("*.toml")) + [TEST_RULESETS / n for n in ("mini.toml", "mechanisms.toml", "mini_variant.toml")]


@pytest.mark.parametrize("path", RULESETS, ids=lambda p: Path(p).stem)
@pytest.mark.parametrize("agent", ["random", "doctrine"])
def test_random_and_doctrine_games_conform(path, agent):
    model = CompiledModel.load(path)
    g = Game(model, seed=11, batch=24, log=False)
    agents = make_agents(model, {}, default=agent)
    turns = 0
    while not g.done:
        from endgame_game.ai import play_turn

        play_turn(g, agents)  # validated: built-in agents only order legal moves that fit
        turns += 1
        v = g.state.values
        assert np.isfinite(v).all() and np.isfinite(g.state.scores).all()
        assert (v >= model.lo - 1e-9).all() and (v <= model.hi + 1e-9).all()
    assert turns <= model.max_turns and (g.state.end_turn >= 1).all() and (g.state.end_turn <= model.max_turns).all()
    alone = Game(model, seed=11, games=np.array([7], dtype=np.uint64), log=False)
    run_games(alone, make_agents(model, {}, default=agent))
    for n in ARRAYS:
        assert np.array_equal(getattr(g.state, n)[7], getattr(alone.state, n)[0]), n
