"""The AI ladder: training a tuned policy, policy files, the ``tuned`` agent, and the tournament's pairing."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from endgame_game.ai import make_agent, make_agents, run_games
from endgame_game.ai.base import orders_only
from endgame_game.ai.doctrine import DoctrineAgent, MixedDoctrineAgent
from endgame_game.ai.loading import is_builtin, refuse_code_from_file, rollout_policies
from endgame_game.ai.lookahead import LookaheadAgent, play_out
from endgame_game.ai.random_agent import RandomAgent
from endgame_game.ai.rollout import RolloutAgent, _improving
from endgame_game.ai.train import TrainConfig, search_space, train
from endgame_game.ai.tuned import (
    TUNED_DIR,
    Policy,
    TunedAgent,
    TunedRule,
    check_policy,
    find_policy,
    is_stale,
    parse_policy,
    read_policy,
)
from endgame_game.batch.tournament import Entry, fit_ratings, pair, tournament
from endgame_game.cli import main
from endgame_game.engine import CompiledModel
from endgame_game.engine.api import Game
from endgame_game.engine.negotiation import no_terms
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import validate
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError, RulesetError
from endgame_game.rules import list_rulesets

RULES = Path(__file__).resolve().parent / "rulesets"
ROOT = Path(__file__).resolve().parents[1]
SMALL = TrainConfig(generations=3, population=6, games=120, eval_games=200)


@pytest.fixture(scope="module")
def mini() -> CompiledModel:
    return CompiledModel.load(RULES / "mini.toml")


@pytest.fixture(scope="module")
def trained(mini: CompiledModel) -> Policy:
    return train(mini, "red", seed=3, config=SMALL).policy


@pytest.fixture
def ruleset_dir(tmp_path: Path, trained: Policy) -> Path:
    """A copy of the mini ruleset with red's tuned policy beside it."""
    shutil.copy(RULES / "mini.toml", tmp_path / "mini.toml")
    (tmp_path / TUNED_DIR).mkdir()
    (tmp_path / TUNED_DIR / "mini.red.toml").write_text(trained.to_toml(), "utf-8")
    return tmp_path


# -- training --

def test_training_is_deterministic_for_a_seed(mini: CompiledModel, trained: Policy) -> None:
    again = train(mini, "red", seed=3, config=SMALL).policy
    assert again.to_toml() == trained.to_toml()
    other = train(mini, "red", seed=4, config=SMALL).policy
    assert other.to_toml() != trained.to_toml()  # the seed keys the search and its games


def test_training_beats_the_doctrine_it_starts_from(mini: CompiledModel) -> None:
    # On mini, red's only doctrine (hawk) loses to random play: the search must find better.
    res = train(mini, "red", seed=3, config=SMALL)
    assert res.baseline == "hawk"
    assert res.win_share >= 0.65
    assert res.policy.trained["win_share"] == round(res.win_share, 4)
    assert res.history and res.history[-1].mean_share > 0.5


def test_training_against_every_doctrine_takes_the_worst_pairing(tmp_path: Path) -> None:
    """With two doctrines, a candidate's fitness is its lower win share of the two, and the result is
    measured against each (recorded in the file); --against best trains against the best by mean only."""
    text = (RULES / "mini.toml").read_text("utf-8")
    text += '\n[doctrines.red.dove]\nlabel = "Dove"\n[[doctrines.red.dove.rules]]\nmove = "talks"\nweight = 3\n'
    (tmp_path / "mini2.toml").write_text(text, "utf-8")
    model = CompiledModel.load(tmp_path / "mini2.toml")
    res = train(model, "red", seed=3, config=SMALL)
    assert set(res.win_shares) == {"hawk", "dove"}
    assert res.win_share == min(res.win_shares.values())
    assert res.policy.trained["against"] == "every"
    back = parse_policy(res.policy.to_toml(), "x.toml")
    assert dict(back.trained["win_shares"]) == res.win_shares


def test_training_searches_from_every_doctrine_and_keeps_the_best_end(tmp_path: Path) -> None:
    text = (RULES / "mini.toml").read_text("utf-8")
    text += '\n[doctrines.red.dove]\nlabel = "Dove"\n[[doctrines.red.dove.rules]]\nmove = "talks"\nweight = 3\n'
    (tmp_path / "mini2.toml").write_text(text, "utf-8")
    model = CompiledModel.load(tmp_path / "mini2.toml")
    every = train(model, "red", seed=3, config=SMALL)
    first = every.history[0].start  # the doctrine with the best worst pairing, then the other
    assert [g.start for g in every.history] == [first] * 3 + [{"hawk": "dove", "dove": "hawk"}[first]] * 3
    assert every.baseline in ("hawk", "dove") and every.policy.trained["baseline"] == f"doctrine:{every.baseline}"
    one = train(model, "red", seed=3, config=replace(SMALL, starts="best"))
    assert {g.start for g in one.history} == {one.history[0].start} and len(one.history) == 3
    assert "--starts best" in one.policy.trained["command"]
    # The first search (from the best doctrine) is the same in both: its draws have the same key.
    assert [g.mean_share for g in one.history] == [g.mean_share for g in every.history[:3]]
    with pytest.raises(EndgameError, match="--starts"):
        train(model, "red", seed=3, config=replace(SMALL, starts="all"))
    best = train(model, "red", seed=3, config=replace(SMALL, against="best"))
    assert set(best.win_shares) == {"hawk", "dove"}  # measured against both, trained against one
    assert best.policy.trained["against"] == "best"
    with pytest.raises(EndgameError, match="--against"):
        train(model, "red", config=replace(SMALL, against="worst"))


def test_worst_share_is_the_lowest_pairing() -> None:
    from endgame_game.ai.train import _worst_share

    scores = np.array([[3.0, 3.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    bases = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 0.0]])
    # row 0: 2 wins and a tie of 4 against base 0 (0.625), 3 wins against base 1 (0.75);
    # row 1: nothing against base 0 (0.0), one tie against base 1 (0.125)
    assert _worst_share(scores, bases).tolist() == [0.625, 0.0]


def test_search_space_holds_the_doctrines_rules_and_every_move(mini: CompiledModel) -> None:
    space = search_space(mini, "red")
    assert TunedRule("talks", "escalation > 1", 1.0) in space
    moves = {mini.moves[s].id for s in mini.moves_of[mini.actor_index["red"]]}
    assert {r.move for r in space if r.when is None} == moves


def test_training_refuses_a_role_without_doctrines_or_unknown(mini: CompiledModel) -> None:
    with pytest.raises(EndgameError, match="no role 'rde'.*red"):
        train(mini, "rde", config=SMALL)


# -- policy files --

def test_a_trained_policy_validates_and_round_trips(mini: CompiledModel, trained: Policy) -> None:
    text = trained.to_toml()
    back = parse_policy(text, "x.toml")
    assert back.rules == trained.rules
    assert back.pass_weight == trained.pass_weight
    assert dict(back.trained) == dict(trained.trained)
    assert back.to_toml() == text
    cp = check_policy(back, mini, text)
    assert len(cp.rules) == len(trained.rules)
    assert not is_stale(back, mini)
    assert "endgame train" in text and "--seed 3" in text


def _issues(text: str, model: CompiledModel | None = None) -> list[str]:
    with pytest.raises(RulesetError) as e:
        p = parse_policy(text, "bad.toml")
        if model is not None:
            check_policy(p, model, text)
    return [str(i) for i in e.value.issues]


GOOD = """[policy]
ruleset = "mini"
role = "red"

[[rules]]
move = "attack"
weight = 2
"""


@pytest.mark.parametrize("change, expect", [
    (('move = "attack"', 'move = "atack"'), r"bad.toml:6: error: rules\[0\].move: red has no move 'atack'.*attack"),
    (('move = "attack"', 'move = "dig_in"'), r"rules\[0\].move: 'dig_in' is a move of blue, not of red"),
    (('weight = 2', 'weight = 2\nwhen = "escalation > "'), r"rules\[0\].when: .* in 'escalation > '"),
    (('weight = 2', 'weight = 2\nwhen = "escalaton > 1"'), r"rules\[0\].when: unknown name 'escalaton'.*escalation"),
    (('weight = 2', 'weight = 2\nwhen = "escalation + 1"'), r"needs a condition"),
    (('role = "red"', 'role = "rde"'), r"bad.toml:3: error: policy.role: no role 'rde'"),
])
def test_a_policy_that_does_not_fit_its_ruleset_names_key_and_line(mini: CompiledModel, change: tuple[str, str],
                                                                   expect: str) -> None:
    issues = _issues(GOOD.replace(*change), mini)
    assert any(__import__("re").search(expect, i) for i in issues), issues


@pytest.mark.parametrize("text, expect", [
    (GOOD.replace("weight = 2", "weight = -1"), r"bad.toml:7: error: rules\[0\].weight: must be a number from 0"),
    (GOOD.replace("weight = 2", 'weight = "heavy"'), r"rules\[0\].weight: must be a number"),
    (GOOD.replace('weight = 2', ''), r"rules\[0\]: missing weight"),
    (GOOD.replace('role = "red"\n', ''), r"missing policy.role"),
    (GOOD.replace("[policy]", "[policy]\nformat = 9"), r"policy.format: unsupported policy format 9"),
    (GOOD.replace("[policy]", "[policy]\npas_weight = 1"), r"policy.pas_weight: unknown key .*pass_weight"),
    (GOOD + "\n[extra]\n", r"extra: unknown key"),
    (GOOD.split("[[rules]]")[0], r"at least one \[\[rules\]\]"),
    ("[policy\n", r"bad.toml:1: error: not valid TOML"),
])
def test_a_malformed_policy_file_names_key_and_line(text: str, expect: str) -> None:
    issues = _issues(text)
    assert any(__import__("re").search(expect, i) for i in issues), issues


def test_reading_refuses_what_is_not_a_policy_file(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="not a file"):
        read_policy(tmp_path)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 1_000_001)
    with pytest.raises(RulesetError, match="larger than"):
        read_policy(big)


# -- the tuned agent --

def test_tuned_agent_is_found_beside_the_ruleset_and_plays(ruleset_dir: Path, trained: Policy) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    assert find_policy(model, "red") == ruleset_dir / TUNED_DIR / "mini.red.toml"
    agent = make_agent("tuned", model, "red")
    assert isinstance(agent, TunedAgent) and agent.spec == "tuned"
    assert isinstance(make_agent("tuned:red", model, "red"), TunedAgent)
    g = run_games(Game(model, seed=5, batch=64), {"red": agent, "blue": make_agent("doctrine", model, "blue")})
    assert g.done
    # Deterministic per game: game 7 alone plays as it did in the batch.
    alone = run_games(Game(model, seed=5, games=np.array([7], dtype=np.uint64)),
                      {"red": agent, "blue": make_agent("doctrine", model, "blue")})
    assert alone.results()["score.red"][0] == g.results()["score.red"][7]


def test_tuned_names_are_built_in_and_bounded(ruleset_dir: Path, mini: CompiledModel) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    assert is_builtin("tuned") and is_builtin("tuned:red")
    refuse_code_from_file({"red": "tuned:red"}, "a save")  # data, not code: a save may name it
    with pytest.raises(EndgameError, match="plays the role it was trained for; use tuned or tuned:red"):
        make_agent("tuned:blue", model, "red")
    with pytest.raises(EndgameError, match="no tuned policy for blue.*endgame train .* --role blue --seed 1"):
        make_agent("tuned", model, "blue")
    # As the default for every role, a role without a policy plays its doctrine.
    agents = make_agents(model, {}, default="tuned")
    assert isinstance(agents["red"], TunedAgent) and isinstance(agents["blue"], DoctrineAgent)


def test_a_variant_plays_its_base_policy(ruleset_dir: Path) -> None:
    (ruleset_dir / "variant.toml").write_text('extends = "mini.toml"\n[ruleset]\nid = "mini-variant"\n', "utf-8")
    model = CompiledModel.load(ruleset_dir / "variant.toml")
    assert find_policy(model, "red") == ruleset_dir / TUNED_DIR / "mini.red.toml"


def test_lookahead_rollouts_play_the_others_known_policies(ruleset_dir: Path, mini: CompiledModel) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    la = make_agent("lookahead:2:2", model, "red")
    assert isinstance(la, LookaheadAgent)
    assert isinstance(la._rollout[model.actor_index["red"]], TunedAgent)  # its own later turns
    other = make_agent("lookahead:2:2", model, "blue")._rollout[model.actor_index["red"]]  # type: ignore[attr-defined]
    assert isinstance(other, MixedDoctrineAgent) and other.doctrines == ["hawk", "tuned"]
    plain = make_agent("lookahead:2:2", mini, "blue")._rollout[mini.actor_index["red"]]  # type: ignore[attr-defined]
    assert isinstance(plain, MixedDoctrineAgent) and plain.doctrines == ["hawk"]  # no tuned policy beside it


def test_a_loaded_save_finds_its_rulesets_tuned_policies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save knows its rulesets by file name only (it carries their text): the tuned policies are looked
    for where rulesets are found, as the guide is (before, `tuned` found none after a load)."""
    from endgame_game.saves import load_game, save_game

    monkeypatch.chdir(tmp_path)  # no ./rulesets here: the built-in folder has them
    model = CompiledModel.load("endgame-2024")
    game = Game(model, seed=3)
    path = save_game(game, tmp_path / "g.toml")
    loaded = load_game(path).game.model
    assert not Path(loaded.files[0][0]).is_file()  # a bare file name
    assert find_policy(loaded, "kyiv") == find_policy(model, "kyiv") is not None
    assert isinstance(make_agent("tuned", loaded, "kyiv"), TunedAgent)


def test_the_tuned_folder_is_not_a_ruleset() -> None:
    assert not any(r.id.endswith((".moscow", ".kyiv", ".washington", ".brussels")) for r in list_rulesets())
    assert not any(TUNED_DIR in r.path.parts for r in list_rulesets())


def test_shipped_policies_validate() -> None:
    shipped = sorted(p for p in (ROOT / "rulesets" / TUNED_DIR).glob("*.toml") if not p.name.endswith(".ladder.toml"))
    assert shipped
    for path in shipped:
        policy = read_policy(path)
        model = CompiledModel.load(policy.ruleset)
        check_policy(policy, model)
        assert path.name == f"{policy.ruleset}.{policy.role}.toml"


# -- the tournament --

def test_tournament_pairs_every_agent_on_the_same_games(mini: CompiledModel) -> None:
    res = tournament(mini, ["random", "doctrine", "doctrine:hawk", "mixed"], games=150, seed=2, roles=["red"],
                     workers=1)
    red = res.pairs["red"]
    # doctrine, doctrine:hawk and mixed are the same agent for red: with common game keys every game is a tie.
    for a, b in [("doctrine", "doctrine:hawk"), ("doctrine", "mixed")]:
        assert red[(a, b)].ties == red[(a, b)].games == 150
        assert red[(a, b)].share == 0.5
    # The random agent's games are the same keys: its pair with each of them has the same counts.
    assert red[("random", "doctrine")] .wins == red[("random", "mixed")].wins
    assert red[("random", "doctrine")].wins + red[("doctrine", "random")].wins + red[("random", "doctrine")].ties == 150
    lo, hi = red[("random", "doctrine")].ci
    assert lo <= red[("random", "doctrine")].share <= hi
    assert res.ratings["red"]["random"] == 0.0
    assert "ladder: doctrine > random" in res.format()


def test_tournament_entries_use_common_seeds(mini: CompiledModel) -> None:
    # Each entry's game i is game i of a batch run with the same seed: the same as playing it alone.
    res = tournament(mini, ["random", "doctrine"], games=40, seed=9, roles=["blue"], workers=1)
    alone = run_games(Game(mini, seed=9, games=np.array([13], dtype=np.uint64)),
                      make_agents(mini, {"blue": "random"}, default="mixed"))
    assert res.entries["blue"]["random"].scores[13] == alone.results()["score.blue"][0]


def test_fewer_games_for_a_slow_agent_pair_on_the_games_both_played() -> None:
    a = Entry("r", "a", np.array([1.0, 2, 3, 4]), 1.0, 4)
    b = Entry("r", "b", np.array([0.0, 2, 5]), 1.0, 3)
    p = pair("r", a, b)
    assert (p.games, p.wins, p.ties, p.losses) == (3, 1, 1, 1)


def test_ratings_match_the_pairwise_odds() -> None:
    from endgame_game.batch.tournament import Pair

    # 3:1 odds between two agents is 400*log10(3) = 190.8 Elo points.
    pairs = {("x", "y"): Pair("r", "x", "y", 4000, 3000, 0), ("y", "x"): Pair("r", "y", "x", 4000, 1000, 0)}
    r = fit_ratings(["x", "y"], pairs, prior=0.0)
    assert r["x"] == 0.0 and r["y"] == pytest.approx(-190.85, abs=0.1)
    # A clean sweep has a finite gap thanks to the prior.
    sweep = {("x", "y"): Pair("r", "x", "y", 100, 100, 0), ("y", "x"): Pair("r", "y", "x", 100, 0, 0)}
    assert np.isfinite(fit_ratings(["x", "y"], sweep)["y"])


def test_tournament_skips_tuned_where_there_is_no_policy(mini: CompiledModel) -> None:
    res = tournament(mini, ["random", "tuned"], games=20, seed=1, roles=["red"], workers=1)
    assert "tuned" in res.skipped["red"]
    assert "tuned: skipped (no tuned policy for red" in res.format()


def test_tournament_refuses_bad_arguments(mini: CompiledModel) -> None:
    with pytest.raises(EndgameError, match="at least two agents"):
        tournament(mini, ["random"], games=10)
    with pytest.raises(EndgameError, match="no role 'green'"):
        tournament(mini, ["random", "doctrine"], games=10, roles=["green"])
    with pytest.raises(EndgameError, match="games for 'lookahead'"):
        tournament(mini, ["random", "doctrine"], games=10, games_of={"lookahead": 5})


# -- the commands --

def test_train_and_tournament_commands(ruleset_dir: Path, tmp_path: Path, trained: Policy,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "red.toml"
    rc = main(["train", str(ruleset_dir / "mini.toml"), "--role", "red", "--seed", "3", "--generations", "3",
               "--population", "6", "--games", "120", "--eval-games", "200", "--out", str(out), "--quiet"])
    assert rc == 0
    made = read_policy(out)  # the same policy as the same training from Python
    assert (made.rules, made.pass_weight) == (trained.rules, trained.pass_weight)
    assert main(["train", str(ruleset_dir / "mini.toml"), "--check"]) == 0
    text = capsys.readouterr().out
    assert "red: " in text and "ok, " in text and "blue: no tuned policy" in text
    table = tmp_path / "t.csv"
    rc = main(["tournament", str(ruleset_dir / "mini.toml"), "--agents", "random,doctrine:*,tuned", "--games", "60",
               "--workers", "1", "--csv", str(table), "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "red (60 games per agent)" in text and "ladder: doctrine:hawk > random" in text
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert {(r["role"], r["agent"], r["opponent"]) for r in rows} >= {("red", "tuned", "doctrine:hawk")}
    assert all(int(r["games"]) == 60 for r in rows)


def test_bad_policy_file_fails_the_command_with_its_line(ruleset_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = ruleset_dir / TUNED_DIR / "mini.red.toml"
    f.write_text(GOOD.replace('"attack"', '"atack"'), "utf-8")
    assert main(["simulate", str(ruleset_dir / "mini.toml"), "--ai", "red=tuned", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"{f}:6: error: rules[0].move: red has no move 'atack'" in err


def test_the_recorded_ladder_is_what_the_app_quotes(ruleset_dir: Path) -> None:
    from endgame_game.ai.ladder import LADDER_TIERS, describe, ladder_path, level, read_shares
    from endgame_game.batch.tournament import record

    model = CompiledModel.load(ruleset_dir / "mini.toml")
    res = tournament(model, list(LADDER_TIERS[:-1]), games=60, seed=1, roles=["red"], workers=1)
    path = record(res, ladder_path(model))
    assert path == ruleset_dir / TUNED_DIR / "mini.ladder.toml"
    shares = read_shares(model)
    tuned = res.pairs["red"][("tuned", res.best_of("red", "doctrine:*"))].share
    assert shares["red"]["tuned"] == round(tuned, 4)
    assert shares["red"]["mixed"] == round(res.pairs["red"][("mixed", "random")].share, 4)
    assert describe(model, level("hard")).endswith(f"beats the best doctrine in {round(tuned * 10)} of 10 games")


# -- the rollout agent (search over the tuned policy's rollouts) --

def test_rollout_with_one_candidate_and_no_variations_is_the_tuned_policy(ruleset_dir: Path) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    blue = {"blue": make_agent("doctrine", model, "blue")}
    one = RolloutAgent(model, "red", candidates=1, vary=False, rollout=rollout_policies(model))
    a = run_games(Game(model, seed=4, batch=30), {"red": one, **blue})
    b = run_games(Game(model, seed=4, batch=30), {"red": make_agent("tuned", model, "red"), **blue})
    assert np.array_equal(a.results()["score.red"], b.results()["score.red"])


def test_rollout_departs_from_its_policy_only_where_the_rollouts_are_sure() -> None:
    # [games, candidates, samples]; candidate 0 is the policy's own order.
    score = np.array([
        [[1.0, 2.0, 3.0, 4.0], [1.5, 2.5, 3.5, 4.5], [20.0, -5.0, 20.0, -5.0]],   # steady gain beats a noisy larger one
        [[1.0, 2.0, 3.0, 4.0], [20.0, -5.0, 20.0, -5.0], [1.0, 2.0, 3.0, 4.0]],   # noisy or equal: the policy's order
        [[1.0, 2.0, 3.0, 4.0], [np.nan] * 4, [2.0, 3.0, 4.0, 5.0]],             # a candidate not tried is skipped
    ])
    assert list(_improving(score, 2.0)) == [1, 0, 2]
    # With no margin the noisy candidate's larger mean wins: the winner's curse the margin guards against.
    assert list(_improving(score, 0.0))[:2] == [2, 1]


def test_rollout_varies_the_policys_order_and_keeps_its_offers_terms(ruleset_dir: Path) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    agent = RolloutAgent(model, "red", candidates=2, samples=2, depth=2, rollout=rollout_policies(model))
    g = Game(model, seed=5, batch=12)
    obs = g.observe("red")
    base = orders_only(agent.base.act(obs))
    cands: list[np.ndarray] = [base]
    valid = [np.ones(12, dtype=bool)]
    agent._variations(obs.state, obs.legal, cands, [], valid)
    slots = model.moves_of[model.actor_index["red"]]
    for order, where in zip(cands[1:], valid[1:], strict=True):
        changed = (order[:, slots] != base[:, slots]).sum(axis=1)
        assert (changed[where] >= 1).all()  # every variation differs from the policy's order where it applies
        validate(model, obs.state.take(np.nonzero(where)[0]), model.actor_index["red"], order[where])


def test_a_rollouts_agents_offers_keep_their_terms() -> None:
    model = CompiledModel.load(RULES / "negotiation.toml")
    red, blue = model.actor_index["red"], model.actor_index["blue"]
    deal = next(s for s, m in enumerate(model.moves) if m.id == "deal")
    neg = model.negotiation[0]

    class Offers:  # red offers the deal with a cap of 60 men (the default is another)
        def act(self, obs: Observation) -> tuple[np.ndarray, np.ndarray]:
            B = obs.legal.shape[0]
            mask = np.zeros_like(obs.legal)
            mask[:, deal] = obs.legal[:, deal]
            terms = no_terms(model, B)
            terms[:, model.offer_slot[deal], neg.term("cap").k] = 60
            return mask, terms

    g = Game(model, seed=3, batch=4)
    sim = g.state.fork(np.arange(4))
    play_out(model, sim, {red: Offers(), blue: RandomAgent(model, "blue")}, blue, 1,
             np.zeros((4, len(model.moves)), dtype=bool), lambda orders, first: None)
    assert (sim.terms[:, neg.term("cap").k] == 60).all()


def test_rollout_simulates_a_repeated_candidate_once_and_plays_the_same(
        ruleset_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import endgame_game.ai.rollout as rollout_mod

    model = CompiledModel.load(ruleset_dir / "mini.toml")
    agents = {"red": make_agent("rollout:4:2:3", model, "red"), "blue": make_agent("doctrine", model, "blue")}
    sizes: list[int] = []
    real_play_out = rollout_mod.play_out

    def counting(model: CompiledModel, sim: BatchState, *args: object, **kw: object) -> None:
        sizes.append(sim.batch)
        real_play_out(model, sim, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(rollout_mod, "play_out", counting)
    dropped = run_games(Game(model, seed=6, batch=20), agents).results()["score.red"]
    fewer = sum(sizes)
    sizes.clear()
    monkeypatch.setattr(rollout_mod, "_drop_repeats", lambda *args: None)
    kept = run_games(Game(model, seed=6, batch=20), agents).results()["score.red"]
    assert np.array_equal(dropped, kept)
    assert fewer < sum(sizes)  # the policy's other draws often repeat its own order


def test_the_rollout_agent_plans_against_each_other_roles_known_policies(ruleset_dir: Path) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    red, blue = model.actor_index["red"], model.actor_index["blue"]
    agent = RolloutAgent(model, "blue")
    assert isinstance(agent._rollout[blue], DoctrineAgent)  # its own later turns: its fast policy
    pop = agent._rollout[red]  # red: its doctrine or its tuned policy, drawn per game
    assert isinstance(pop, MixedDoctrineAgent) and pop.doctrines == ["hawk", "tuned"]
    g = Game(model, seed=2, batch=60)
    obs = g.observe("red")
    drew = pop.doctrine_of(obs.state)
    assert set(drew) == {"hawk", "tuned"}
    got = orders_only(pop.act(obs))
    for name, alone in (("hawk", DoctrineAgent(model, "red", "hawk")), ("tuned", make_agent("tuned", model, "red"))):
        rows = drew == name
        assert np.array_equal(got[rows], orders_only(alone.act(obs))[rows])
    assert isinstance(RolloutAgent(model, "red")._rollout[red], TunedAgent)


def test_rollout_plays_legal_orders_and_replays_alone(ruleset_dir: Path) -> None:
    model = CompiledModel.load(ruleset_dir / "mini.toml")
    agents = {"red": make_agent("rollout:4:2:2", model, "red"), "blue": make_agent("doctrine", model, "blue")}
    assert agents["red"].spec == "rollout:4:2:2"  # type: ignore[attr-defined]
    g = run_games(Game(model, seed=8, batch=24), agents, validate=True)  # every order checked
    alone = run_games(Game(model, seed=8, games=np.array([11], dtype=np.uint64)), agents, validate=True)
    assert alone.results()["score.red"][0] == g.results()["score.red"][11]


@pytest.mark.parametrize("spec, expect", [
    ("rollout:x", "rollout\\[:CANDIDATES"), ("rollout:1:2:3:4", "rollout\\[:CANDIDATES"),
    ("rollout:0", "1 to 32 candidates"), ("rollout:4:99", "1 to 32 samples"),
])
def test_rollout_specs_are_bounded(mini: CompiledModel, spec: str, expect: str) -> None:
    assert is_builtin(spec)
    with pytest.raises(EndgameError, match=expect):
        make_agent(spec, mini, "red")
