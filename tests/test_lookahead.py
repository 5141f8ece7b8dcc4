"""The lookahead agent: sees a trap a greedy player falls into, stays legal, and is deterministic per game."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.ai import make_agent, make_agents, play_turn, run_games
from endgame_game.ai.lookahead import LookaheadAgent
from endgame_game.engine import CompiledModel
from endgame_game.engine.api import Game
from endgame_game.errors import EndgameError

RULES = Path(__file__).resolve().parent / "rulesets"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trap() -> CompiledModel:
    return CompiledModel.load(RULES / "lookahead_trap.toml")


@pytest.fixture(scope="module")
def mini() -> CompiledModel:
    return CompiledModel.load(RULES / "mini.toml")


def _orders_of(game: Game, actor: str) -> list[list[list[str]]]:
    return [e.orders.get(actor, ((),) * game.batch) for e in game.turn_records]


@pytest.mark.parametrize("depth, expected", [
    # "greedy" pays +3 now and curses the next turn (-10); "steady" pays +2. On the last turn there is no
    # next turn, so greedy is right there.
    (1, ["greedy", "greedy", "greedy", "greedy"]),
    (2, ["steady", "steady", "steady", "greedy"]),
    (3, ["steady", "steady", "steady", "greedy"]),
])
def test_depth_decides_whether_the_trap_is_seen(trap: CompiledModel, depth: int, expected: list[str]) -> None:
    """tests/rulesets/lookahead_trap.toml: "A depth-1 lookahead takes the bait; depth 2 sees the curse"."""
    g = Game(trap, seed=1, batch=5)
    run_games(g, make_agents(trap, {"p": f"lookahead:{depth}"}))
    per_turn = _orders_of(g, "p")
    assert [set(map(tuple, t)) for t in per_turn] == [{(m,)} for m in expected]


def test_it_beats_random_play_and_never_wastes(trap: CompiledModel) -> None:
    g = Game(trap, seed=2, batch=50, log=False)
    run_games(g, make_agents(trap, {"p": "lookahead:2"}))
    r = Game(trap, seed=2, batch=50, log=False)
    run_games(r, make_agents(trap, {"p": "random"}))
    assert g.state.scores[:, 0].min() > r.state.scores[:, 0].mean()
    assert g.state.taken[:, trap.move_ids.index("waste")].sum() == 0


def test_candidates_are_scored_together_with_minus_inf_for_illegal(trap: CompiledModel) -> None:
    agent = LookaheadAgent(trap, "p", depth=2)
    st = trap.new_state(batch=3, seed=0)
    legal = np.ones((3, len(agent.slots)), dtype=bool)
    legal[1, agent.slots.index(trap.move_ids.index("steady"))] = False
    score = agent.evaluate(st, legal)
    assert score.shape == (3, agent.candidates) == (3, 4)  # pass + steady, greedy, waste
    assert score[1, 1] == -np.inf and np.isfinite(score[0]).all()
    assert score[0].argmax() == 1  # steady


def test_only_legal_orders_on_the_default_scenario() -> None:
    """Every order passes the engine's validation (play_turn validates) on the full scenario."""
    model = CompiledModel.load(ROOT / "rulesets" / "endgame-2024.toml")
    g = Game(model, seed=3, batch=6, log=False, history=False)
    agents = make_agents(model, {"kyiv": "lookahead:2", "moscow": "lookahead:1"})
    for _ in range(3):
        play_turn(g, agents, validate=True)
    assert g.state.taken[:, model.moves_of[model.actor_index["kyiv"]]].sum() > 0


def test_game_i_alone_plans_like_game_i_in_a_batch(mini: CompiledModel) -> None:
    agents = make_agents(mini, {"red": "lookahead:2"})
    batch = Game(mini, seed=7, batch=12, log=False)
    run_games(batch, agents)
    for i in (0, 5, 11):
        alone = Game(mini, seed=7, games=np.array([i], dtype=np.uint64), log=False)
        run_games(alone, agents)
        assert alone.state.checksum(0) != "" and np.array_equal(alone.state.values[0], batch.state.values[i])
        assert alone.state.scores[0].tolist() == batch.state.scores[i].tolist()


def test_planning_does_not_touch_the_real_game(mini: CompiledModel) -> None:
    g = Game(mini, seed=1, batch=4)
    before = g.state.checksum()
    make_agent("lookahead:3", mini, "red").act(g.observe("red"))
    assert g.state.checksum() == before


def test_rollouts_use_their_own_random_stream(trap: CompiledModel, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's seed is derived from (seed, actor, turn): it does not replay the real game's future draws."""
    import endgame_game.ai.lookahead as la

    seen: list[tuple[int, int]] = []
    real_step = la.step

    def spy(model, state, orders, log=False, terms=None, intel=True):  # noqa: ANN001, ANN202
        seen.append((state.seed, state.turn))
        return real_step(model, state, orders, log, terms=terms, intel=intel)

    monkeypatch.setattr(la, "step", spy)
    agent = LookaheadAgent(trap, "p", depth=2)
    for turn in (1, 2):
        st = trap.new_state(batch=2, seed=5)
        st.turn = turn
        agent.evaluate(st, np.ones((2, 3), dtype=bool))
    seeds = {s for s, _ in seen}
    assert 5 not in seeds and len(seeds) == 2  # not the real seed; a new stream each turn


def test_bad_specs(trap: CompiledModel) -> None:
    with pytest.raises(EndgameError, match="depth"):
        LookaheadAgent(trap, "p", depth=0)
    with pytest.raises(EndgameError, match="samples"):
        LookaheadAgent(trap, "p", samples=0)
    with pytest.raises(EndgameError, match="whole number"):
        make_agent("lookahead:3:many", trap, "p")
    assert make_agent("lookahead:3", trap, "p").spec == "lookahead:3:8"  # type: ignore[attr-defined]
    assert make_agent("lookahead:3:1", trap, "p").spec == "lookahead:3"  # type: ignore[attr-defined]
    assert make_agent("lookahead", trap, "p").spec == "lookahead:4:8"  # type: ignore[attr-defined]


def test_samples_average_rollouts_that_every_candidate_shares(mini: CompiledModel) -> None:
    """With S samples, a candidate's value is the mean of S one-rollout values: sample j of game g is
    game g * S + j of the planner's stream, the same future for every candidate of g."""
    S = 4
    many = LookaheadAgent(mini, "red", depth=3, samples=S)
    one = LookaheadAgent(mini, "red", depth=3, samples=1)
    st = mini.new_state(batch=3, seed=9)
    legal = np.ones((3, len(many.slots)), dtype=bool)
    want = []
    for j in range(S):
        sj = st.take(np.arange(3))
        sj.games = st.games * np.uint64(S) + np.uint64(j)
        want.append(one.evaluate(sj, legal))
    got = many.evaluate(st, legal)
    assert np.allclose(got, np.mean(want, axis=0))
    assert not np.allclose(want[0], want[1])  # the samples really are different futures
