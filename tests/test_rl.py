"""The PettingZoo adapter passes PettingZoo's own conformance tests and replays by (seed, game)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
pytest.importorskip("gymnasium")

from pettingzoo.test import parallel_api_test, parallel_seed_test  # noqa: E402

from endgame_game.engine import CompiledModel  # noqa: E402
from endgame_game.rl import EndgameParallelEnv, parallel_env  # noqa: E402

RULES = Path(__file__).resolve().parent / "rulesets"
DEFAULT = Path(__file__).resolve().parents[1] / "rulesets" / "endgame-2024.toml"


@pytest.fixture(scope="module")
def mini() -> CompiledModel:
    return CompiledModel.load(RULES / "mini.toml")


@pytest.fixture(scope="module")
def default() -> CompiledModel:
    return CompiledModel.load(DEFAULT)


def test_parallel_api_test_mini(mini: CompiledModel) -> None:
    parallel_api_test(EndgameParallelEnv(mini), num_cycles=50)


def test_parallel_api_test_default_scenario(default: CompiledModel) -> None:
    parallel_api_test(EndgameParallelEnv(default, roles=["kyiv", "moscow"]), num_cycles=20)


def test_parallel_seed_test(mini: CompiledModel) -> None:
    parallel_seed_test(lambda: EndgameParallelEnv(mini, seed=3))


def test_rewards_add_up_to_the_score_and_the_mask_is_honest(mini: CompiledModel) -> None:
    env = parallel_env(mini, roles=["red"], opponents="doctrine")
    obs, infos = env.reset(seed=4)
    start = env._last_score["red"]
    total = 0.0
    rng = np.random.default_rng(0)
    while env.agents:
        mask = obs["red"]["action_mask"]
        assert mask[0] == 1 and obs["red"]["observation"].dtype == np.float32
        legal = np.nonzero(mask)[0]
        obs, rew, term, trunc, info = env.step({"red": int(rng.choice(legal))})
        assert info["red"]["illegal"] is False
        total += rew["red"]
    assert env.game is not None and env.game.done
    assert total == pytest.approx(float(env.game.state.scores[0, 0]) - start)
    assert info["red"]["ending"] in {e.id for e in mini.endings}


def test_an_illegal_action_is_a_pass(mini: CompiledModel) -> None:
    env = parallel_env(mini, roles=["blue"])
    env.reset(seed=1)
    assert env.move_ids("blue")[1:] == ["accept_talks", "reject_talks"]
    _, _, _, _, info = env.step({"blue": 2})  # nothing to accept on turn 1
    assert info["blue"]["illegal"] is True
    assert env.game is not None and env.game.state.taken[0, mini.move_ids.index("accept_talks")] == 0


def test_episodes_are_batch_games(mini: CompiledModel) -> None:
    """Episode k after reset(seed=s) is game k of seed s: passing every turn gives the batch's all-pass game."""
    from endgame_game.ai import make_agents
    from endgame_game.engine.api import Game

    env = parallel_env(mini, roles=["red"])
    env.reset(seed=9)
    env.reset()  # game 1
    while env.agents:
        env.step({"red": 0})
    g = Game(mini, seed=9, batch=3, log=False)
    agents = make_agents(mini, {})
    del agents["red"]
    from endgame_game.ai import run_games

    run_games(g, agents)
    assert env.game is not None
    assert np.array_equal(env.game.state.values[0], g.state.values[1])
