"""The fast paths change no game: effects on a few games touch only their rows, with the same bits and
the same errors as the whole-column path; the bargaining AI values offers on the games that make or
answer one only, with the same choices as over the whole batch."""

from __future__ import annotations

import numpy as np
import pytest

from endgame_game.ai import bargain, make_agents, play_turn
from endgame_game.engine import CompiledModel, Game, negotiation, observe, turn
from endgame_game.errors import EvaluationError
from tests.conftest import ROOT, TEST_RULESETS


def _checksums(model: CompiledModel, agent: str, batch: int = 300) -> list[str]:
    g = Game(model, seed=11, batch=batch, log=False, history=False)
    agents = make_agents(model, {}, default=agent)
    out = []
    while not g.done:
        play_turn(g, agents, validate=False)
        out.append(g.state.checksum())
    return out


@pytest.mark.parametrize("path", [TEST_RULESETS / "mechanisms.toml", ROOT / "rulesets" / "tutorial.toml",
                                  ROOT / "rulesets" / "endgame-2024.toml"])
def test_sparse_effects_give_the_same_games_as_whole_columns(monkeypatch, path):
    model = CompiledModel.load(path)
    fast = _checksums(model, "random")
    monkeypatch.setattr(turn, "SPARSE", 0)  # never sparse: every effect over the whole column
    assert _checksums(model, "random") == fast


@pytest.mark.parametrize("agent", ["doctrine", "mixed"])
def test_bargaining_on_the_games_that_bargain_gives_the_same_games_as_on_the_whole_batch(monkeypatch, agent):
    model = CompiledModel.load(ROOT / "rulesets" / "endgame-2024.toml")
    fast = _checksums(model, agent, batch=400)
    monkeypatch.setattr(bargain, "ROWS_ONLY", False)  # every offer valued over the whole batch
    assert _checksums(model, agent, batch=400) == fast


def test_intelligence_readings_block_by_block_give_the_same_estimates(monkeypatch):
    model = CompiledModel.load(ROOT / "rulesets" / "endgame-2024.toml")

    def play() -> list[np.ndarray]:
        g = Game(model, seed=3, batch=50, log=False, history=False)
        agents = make_agents(model, {}, default="doctrine")
        out = []
        while not g.done:
            play_turn(g, agents, validate=False)
            out.append(np.concatenate([g.state.est, g.state.values], axis=1))
        return out

    monkeypatch.setattr(observe, "READING_BLOCK", 7)  # blocks of 7 games, the last one short
    blocked = play()
    monkeypatch.setattr(observe, "READING_BLOCK", 10**9)  # the whole batch at once
    whole = play()
    assert len(blocked) == len(whole) and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(blocked, whole, strict=True))


def test_a_sparse_effect_that_gives_infinity_names_the_formula_and_the_game(tmp_path):
    text = (TEST_RULESETS / "mechanisms.toml").read_text().replace(
        'effects = [{ target = "a.gold", add = "1" }]', 'effects = [{ target = "a.gold", add = "1 / (heat - heat)" }]')
    f = tmp_path / "m.toml"
    f.write_text(text)
    model = CompiledModel.load(f)
    g = Game(model, seed=0, games=np.arange(100, 140, dtype=np.uint64), log=False)
    orders = np.zeros((40, len(model.moves)), dtype=bool)
    orders[7, model.move_ids.index("big")] = True  # ordered in one game of forty: the sparse path
    g._orders[:] = orders
    with pytest.raises(EvaluationError) as e:
        g.step()
    assert "moves[1].effects[0].add" in str(e.value) and "a.gold" in str(e.value) and "game 107" in str(e.value)


@pytest.mark.parametrize("agent", ["doctrine", "random"])
def test_who_must_answer_for_one_actor_is_that_actors_column(agent):
    model = CompiledModel.load(ROOT / "rulesets" / "endgame-2024.toml")
    g = Game(model, seed=2, batch=300, log=False, history=False)
    agents = make_agents(model, {}, default=agent)
    while not g.done:
        for neg in model.negotiation:
            full = negotiation.needed(model, g.state, neg)
            for a in range(len(model.actors)):
                assert np.array_equal(negotiation.needed_by(model, g.state, neg, a), full[:, a])
        play_turn(g, agents, validate=False)
