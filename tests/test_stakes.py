"""Per-role outcomes (``[scores.<role>] win / lose``) and the stakes report, on a tiny ruleset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.batch.stakes import doctrine_pairs, doctrine_vs_random, format_stakes, play_mixed, stakes
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import RulesetError
from endgame_game.rules import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "rulesets" / "mini.toml"


def ruled(tmp_path: Path, red: str, blue: str = "") -> Path:
    p = tmp_path / "ruled.toml"
    p.write_text(f'extends = "{MINI}"\n[ruleset]\nid = "ruled"\n[scores.red]\n{red}\n[scores.blue]\n{blue}\n', encoding="utf-8")
    return p


def test_outcome_rules_give_win_draw_loss_per_ending(tmp_path: Path) -> None:
    path = ruled(tmp_path, 'win = "ending.rout"\nlose = "ending.peace"\nstakes = "Red wants a rout."')
    model = CompiledModel.load(path)
    assert model.ruleset.scores["red"].stakes == "Red wants a rout."
    assert set(model.outcome_rules) == {"red"}
    game = Game(model, seed=3, batch=64, log=False, history=False)
    assert set(game.results()["outcome.red"]) == {""}  # no outcome while a game runs
    from endgame_game.ai import make_agents
    from endgame_game.ai.play import run_games

    run_games(game, make_agents(model, {}, default="random"))
    res = game.results()
    out, ending = res["outcome.red"], res["ending"]
    assert "outcome.blue" not in res  # blue has no rule
    assert np.all(out[ending == "rout"] == "win")
    assert np.all(out[ending == "peace"] == "loss")
    assert np.all(out[ending == "horizon"] == "draw")
    assert len(set(ending)) >= 2


def test_lose_wins_over_win_when_both_hold(tmp_path: Path) -> None:
    model = CompiledModel.load(ruled(tmp_path, 'win = "true"\nlose = "true"'))
    game = Game(model, seed=0, batch=4, log=False, history=False)
    game.state.ending[:] = model.fallback
    game.state.end_turn[:] = 1
    assert list(model.outcomes(game.state)["red"]) == ["loss"] * 4


@pytest.mark.parametrize(("body", "needle"), [
    ('win = "red.men"', "scores.red.win"),
    ('lose = "chance(0.5)"', "scores.red.lose"),
    ('lose = "ending.nope"', "scores.red.lose"),
])
def test_bad_outcome_rules_are_errors_with_their_key(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(RulesetError) as e:
        CompiledModel.load(ruled(tmp_path, body))
    assert needle in str(e.value) or any(needle in str(i) for i in e.value.issues)


def test_stakes_report_counts_every_game_once(tmp_path: Path) -> None:
    path = ruled(tmp_path, 'win = "ending.rout"\nlose = "ending.peace"', 'win = "ending.peace"')
    rep = stakes(path, games=300, seed=1)
    red = rep.roles["red"]
    assert sum(s.k for s in red.outcomes.values()) == 300
    assert sum(m.n for m in red.by_doctrine.values()) == 300
    assert set(red.by_doctrine) == {"hawk", "random"} | set(load_ruleset(path).ruleset.doctrines["red"])
    text = format_stakes(rep)
    reached = [e for e, sh in rep.endings.items() if sh.k]
    assert "red" in text and "win" in text and all(e in text for e in reached)


def test_doctrine_vs_random_is_paired_on_common_seeds(tmp_path: Path) -> None:
    path = ruled(tmp_path, 'win = "ending.rout"')
    model = CompiledModel.load(path)
    # The same fixed agents on the same games give the same scores: the pairing is exact.
    a = play_mixed(model, 5, np.arange(100, dtype=np.uint64), fixed={"red": "random"})
    b = play_mixed(model, 5, np.arange(100, dtype=np.uint64), fixed={"red": "random"})
    assert np.array_equal(a["score.red"], b["score.red"])
    assert np.array_equal(a["doctrine.blue"], b["doctrine.blue"])
    res = doctrine_vs_random(model, 200, seed=5, roles=["red"])
    assert [p.doctrine for p in res] == list(model.doctrines["red"])
    assert all(0.0 <= p.better.share <= 1.0 and p.n == 200 for p in res)


def test_the_paired_spread_compares_doctrines_on_the_same_games(tmp_path: Path) -> None:
    path = ruled(tmp_path, 'win = "ending.rout"')
    path.write_text(path.read_text(encoding="utf-8")
                    + '[doctrines.red.dove]\n[[doctrines.red.dove.rules]]\nmove = "talks"\n', encoding="utf-8")
    model = CompiledModel.load(path)
    res = doctrine_pairs(model, 200, seed=5, roles=["red"])
    assert [p.doctrine for p in res.vs_random] == ["hawk", "dove"]
    idx = np.arange(200, dtype=np.uint64)
    scores = {d: play_mixed(model, 5, idx, fixed={"red": f"doctrine:{d}"})["score.red"] for d in ("hawk", "dove")}
    sp = res.spread["red"]
    assert {sp.best, sp.worst} == {"hawk", "dove"} and sp.diff.n == 200
    assert np.isclose(sp.diff.mean, scores[sp.best].mean() - scores[sp.worst].mean()) and sp.diff.mean >= 0
    # paired: the interval is that of the per-game differences, not of two separate means
    d = scores[sp.best] - scores[sp.worst]
    assert np.isclose(sp.diff.hi - sp.diff.lo, 2 * 1.959964 * d.std(ddof=1) / np.sqrt(200), rtol=1e-3)
    assert "Best − worst doctrine on paired games" in format_stakes(stakes(model, 50, seed=5), res)


def test_a_mean_just_below_zero_prints_without_a_sign() -> None:
    from endgame_game.batch.stakes import Mean, RoleStakes, StakesReport

    rep = StakesReport("r", 3, 0, {"red": RoleStakes("red", {}, {"hawk": Mean(3, -0.04, -0.049, 0.9)}, {})})
    line = next(x for x in format_stakes(rep).splitlines() if "hawk" in x)
    assert "score     0.0 (0.0 to 0.9)" in line and "-0.0" not in line
