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


# -- the full set of orders per turn, state_space, rendering --

def test_multi_action_mode_passes_the_checkers(mini: CompiledModel) -> None:
    from pettingzoo.test import render_test
    from pettingzoo.utils.conversions import parallel_to_aec

    parallel_api_test(parallel_env(mini, action_mode="multi"), num_cycles=200)
    parallel_seed_test(lambda: parallel_env(mini, action_mode="multi"))
    render_test(lambda render_mode=None: parallel_to_aec(parallel_env(mini, render_mode=render_mode)))
    env = parallel_env(mini, action_mode="multi")
    obs, _ = env.reset(seed=1)
    assert env.state_space.contains(env.state())


def test_multi_mode_takes_several_orders_in_a_turn() -> None:
    env = parallel_env("endgame-2024", roles=["kyiv"], action_mode="multi")
    obs, infos = env.reset(seed=3)
    legal = obs["kyiv"]["legal"]
    want = legal.astype(np.int64)  # every move legal on its own: more than fit together
    cols = env.model.moves_of[env.model.actor_index["kyiv"]]
    before = env.game.state.taken[0, cols].copy()
    _obs, _r, _t, _tr, infos = env.step({"kyiv": want})
    taken = int((env.game.state.taken[0, cols] - before).sum())
    assert taken >= 2  # two action points: two orders in one turn
    assert infos["kyiv"]["dropped"] == int(want.sum()) - taken


def test_gymnasium_env_checker_and_vector_env() -> None:
    from gymnasium.utils.env_checker import check_env

    from endgame_game.rl_vector import EndgameEnv, EndgameVectorEnv

    check_env(EndgameEnv(RULES / "mini.toml", role="red", render_mode="ansi"), skip_render_check=False)
    env = EndgameVectorEnv(RULES / "mini.toml", role="red", num_envs=16, opponents="doctrine")
    obs, infos = env.reset(seed=5)
    assert obs.shape == (16, env.single_observation_space.shape[0]) and infos["action_mask"].shape == (16, 2 * len(env.move_ids))
    total = np.zeros(16)
    steps = 0
    while True:
        mask = infos["action_mask"].reshape(16, -1, 2)[:, :, 1]
        action = np.zeros_like(mask)
        action[:, 0] = mask[:, 0]  # the first move whenever it is legal
        obs, rew, term, trunc, infos = env.step(action)
        total += rew
        steps += 1
        assert env.observation_space.contains(obs) and not trunc.any()
        if term.all():
            break
        assert not term.any()  # the games of a batch terminate together (absorbing endings)
    # The returns are the games' final scores: the same games as batch.run with the same agents.
    from endgame_game.batch import run

    class FirstIfLegal:
        def __init__(self, model: CompiledModel, actor: str) -> None:
            self.model, self.actor = model, model.actor_index[actor]

        def act(self, ob):  # noqa: ANN001, ANN201
            orders = np.zeros_like(ob.legal)
            s = self.model.moves_of[self.actor][0]
            orders[:, s] = ob.legal[:, s]
            return orders

    rows = run(RULES / "mini.toml", games=16, seed=5, agents={"red": FirstIfLegal}, workers=1, keep_rows=True).rows
    from endgame_game.engine import Game

    model = CompiledModel.load(RULES / "mini.toml")
    start = Game(model, seed=5, batch=16).state.scores[:, model.actor_index["red"]]
    assert rows is not None and np.allclose(start + total, rows["score.red"], atol=1e-3)
    # NEXT_STEP autoreset: the next step starts games 16..31.
    obs, rew, term, _trunc, infos = env.step(np.zeros((16, len(env.move_ids)), dtype=np.int64))
    assert (rew == 0).all() and not term.any() and infos["game"].tolist() == list(range(16, 32))
    assert env.render() is None
    env.render_mode = "ansi"
    assert "turn" in env.render()


def test_the_docs_training_example_beats_random(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/agents.md §5: the cross-entropy example, shortened to 3 iterations, beats random play."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "agents.md").read_text()
    head = "```python\nimport numpy as np\nfrom endgame_game.rl_vector import EndgameVectorEnv\n"
    code = head.removeprefix("```python\n") + text.split(head, 1)[1].split("```", 1)[0]
    code = code.replace("range(8)", "range(3)")
    scope: dict[str, object] = {}
    exec(compile(code, "docs/agents.md", "exec"), scope)
    assert scope["trained"] > scope["random"] + 5  # type: ignore[operator]
    assert "trained" in capsys.readouterr().out
