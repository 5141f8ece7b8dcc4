"""Custom agents: classes straight into batch.run (a notebook's agent), Budget by role name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.batch import run
from endgame_game.batch.results import read_provenance
from endgame_game.engine import CompiledModel, Game
from endgame_game.engine.orders import Budget, base_legal
from endgame_game.errors import EndgameError

MINI = str(Path(__file__).resolve().parent / "rulesets" / "mini.toml")


class Greedy:
    """Every legal move that still fits, in move order, tracked with Budget by role name (the docs' call)."""

    def __init__(self, model: CompiledModel, actor: str):
        self.model, self.actor = model, actor

    def act(self, obs):  # noqa: ANN001, ANN201
        budget = Budget(self.model, obs.state, self.actor)
        for s in self.model.moves_of[self.model.actor_index[self.actor]]:
            ok = budget.fits(s, obs.legal[:, s])
            budget.take(s, ok)
        return budget.chosen


def test_budget_takes_a_role_name() -> None:
    model = CompiledModel.load(MINI)
    g = Game(model, batch=3)
    by_name = Budget(model, g.state, "red")
    by_index = Budget(model, g.state, model.actor_index["red"])
    assert by_name.actor == by_index.actor
    s = model.moves_of[model.actor_index["red"]][0]
    base = base_legal(model, g.state, model.moves[s])
    assert np.array_equal(by_name.fits(s, base), by_index.fits(s, base))


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_run_takes_an_agent_class(tmp_path: Path, workers: int) -> None:
    res = run(MINI, games=20, seed=3, agents={"red": Greedy}, workers=workers, chunk=5, keep_rows=True,
              out=tmp_path / "r.csv")
    assert res.games == 20 and res.rows is not None
    prov = read_provenance(tmp_path / "r.csv")
    assert prov is not None and prov["agents"]["red"] == f"{__name__}:Greedy" and prov["validate_orders"] is True
    # The orders were validated each turn (a user agent) and the games differ from random play.
    rnd = run(MINI, games=20, seed=3, agents="red=random", workers=1, keep_rows=True).rows
    assert rnd is not None and not np.array_equal(res.rows["score.red"], rnd["score.red"])


def test_a_class_that_is_not_an_agent_is_refused() -> None:
    with pytest.raises(EndgameError, match="act"):
        run(MINI, games=2, agents={"red": dict})
