"""The AI that bargains (ai/bargain.py): it accepts what beats going on, counters, concedes what its
doctrine says, makes no offer nobody may accept, and never repeats a refused offer in an unchanged
situation (counted over sampled AI games of the default scenario)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from endgame_game.ai import make_agents
from endgame_game.ai.bargain import Bargainer, views
from endgame_game.ai.doctrine import DoctrineAgent
from endgame_game.engine import CompiledModel, Game
from endgame_game.engine.log import ProposalRecord

RS = Path(__file__).parent / "rulesets" / "negotiation.toml"


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return CompiledModel.load(RS)


def offered(model: CompiledModel, offer: str) -> Game:
    g = Game(model, seed=2)
    g.set_orders("blue", ["lift_ban"])
    g.set_orders("red", [offer])
    g.step()
    return g


def test_doctrines_differ_in_what_they_concede(model: CompiledModel) -> None:
    # Blue counters Red's deal with a guarantee and the top cap; a tough Red (concede 2) will not take
    # it, a soft Red (concede 8) will.
    g = offered(model, "deal{cap=40}")
    g.set_orders("blue", ["counter_deal{cap=100,guarantee=green}"])
    g.step()
    answers = {}
    for doctrine in ("tough", "soft"):
        agent = DoctrineAgent(model, "red", doctrine)
        orders, _terms = agent.act(g.observe("red"))
        answers[doctrine] = {model.moves[s].id for s in np.nonzero(orders[0])[0]}
    assert "accept_deal" in answers["soft"] and "accept_deal" not in answers["tough"]
    assert {"counter_deal", "reject_deal"} & answers["tough"]


def test_it_accepts_what_beats_going_on_and_counters_otherwise(model: CompiledModel) -> None:
    good = offered(model, "deal{cap=100,guarantee=green}")  # the best Blue can hope for
    bad = offered(model, "deal{cap=40,guarantee=none}")
    agent = DoctrineAgent(model, "blue", "firm")
    got_good, _ = agent.act(good.observe("blue"))
    got_bad, terms = agent.act(bad.observe("blue"))
    ids = lambda o: {model.moves[s].id for s in np.nonzero(o[0])[0]}  # noqa: E731
    assert "accept_deal" in ids(got_good)
    assert "counter_deal" in ids(got_bad)
    j = model.offer_slot[next(s for s in model.moves_of[model.actor_index["blue"]]
                              if model.moves[s].id == "counter_deal")]
    counter = terms[0, j, :3]
    assert counter[1] > 40 or counter[2] == 1  # it moved a term it cares about (the cap or the guarantee)


def test_it_makes_no_offer_nobody_may_accept(model: CompiledModel) -> None:
    g = Game(model, seed=1)  # Blue's ban is in force: nobody may accept the deal yet
    agent = DoctrineAgent(model, "red", "soft")
    orders, _ = agent.act(g.observe("red"))
    assert not orders[0, model.move_ids.index("deal")]


def test_views_use_the_observation_not_the_true_values(model: CompiledModel) -> None:
    g = offered(model, "deal{guarantee=green}")
    obs = g.observe("red")
    neg = model.negotiation[0]
    names = [a for a, _ in views(model, obs, neg, g.state.terms[0, neg.cols])]
    assert names == ["blue", "green"]  # the parties asked, not Red itself
    b = Bargainer(model, "red")
    assert b.going_on(obs.state, model.actor_index["blue"]).shape == (1,)


def test_no_refused_offer_is_repeated_in_an_unchanged_situation() -> None:
    m = CompiledModel.load("endgame-2024")
    flags = m.situation_flags
    B = 60
    g = Game(m, seed=4, batch=B, log=True, history=False)
    sit: dict[int, list[bytes]] = defaultdict(list)  # turn → per game, the situation at its start

    def before(game: Game) -> None:
        st = game.state
        sit[game.turn] = [st.flags[i, flags].tobytes() + st.agreed[i].tobytes() for i in range(game.batch)]

    g.play(make_agents(m, {}, default="mixed"), before_turn=before)
    negotiable = {n.move for n in m.negotiation}
    offers = refusals = repeats = 0
    for game_i in range(B):
        on_table: dict[str, tuple[str, str, int]] = {}  # proposal → (offerer, terms, turn)
        refused: dict[tuple[str, str, str], bytes] = {}  # (proposal, offerer, terms) → situation when made
        for r in g.records(game_i):
            if not isinstance(r, ProposalRecord) or r.proposal not in negotiable:
                continue
            if r.status in ("made", "countered"):
                offers += 1
                prev = on_table.get(r.proposal)
                if r.status == "countered" and prev is not None:  # the offer answered was refused
                    refused[(r.proposal, prev[0], prev[1])] = sit[prev[2]][game_i]
                    refusals += 1
                key = (r.proposal, r.actor, r.terms)
                if key in refused and refused[key] == sit[r.turn][game_i]:
                    repeats += 1
                on_table[r.proposal] = (r.actor, r.terms, r.turn)
            elif r.status == "rejected" and r.proposal in on_table:
                actor, terms, turn = on_table.pop(r.proposal)
                refused[(r.proposal, actor, terms)] = sit[turn][game_i]
                refusals += 1
            else:
                on_table.pop(r.proposal, None)
    assert offers > 100 and refusals > 20  # the sample bargains
    assert repeats == 0


def test_each_game_bargains_the_same_alone_or_in_a_batch() -> None:
    m = CompiledModel.load("endgame-2024")
    games = np.arange(12, dtype=np.uint64)
    whole = Game(m, seed=9, games=games, log=False, history=False)
    whole.play(make_agents(m, {}, default="mixed"), validate=False)
    for part in (games[:5], games[5:]):
        g = Game(m, seed=9, games=part, log=False, history=False)
        g.play(make_agents(m, {}, default="mixed"), validate=False)
        rows = [int(i) for i in part]
        assert g.state.equals(whole.state.take(rows)) or np.array_equal(g.state.terms, whole.state.terms[rows])
        assert np.array_equal(g.state.ending, whole.state.ending[rows])
        assert np.array_equal(g.state.scores, whole.state.scores[rows])


def test_games_that_share_an_id_keep_their_own_memory() -> None:
    # Sweep points, training candidates and the sensitivity blocks play games with the same ids (common
    # random numbers) in one batch, and cached agents play batch after batch: what a bargainer remembers
    # (the offers refused in a game) is that game's own, so each game plays as it does alone.
    m = CompiledModel.load("endgame-2024")
    games = np.arange(48, dtype=np.uint64)
    agents = make_agents(m, {}, default="mixed")
    alone = Game(m, seed=3, games=games, log=False, history=False)
    alone.play(agents, validate=False)
    base = m.params_array(games.size)
    other = base.copy()
    other[:, m.param_index["us_abandonment_cost"]] = 0.0
    other[:, m.param_index["sanctions_bite"]] = 1.6
    both = Game(m, seed=3, games=np.tile(games, 2), params=np.vstack([other, base]), log=False, history=False)
    both.play(agents, validate=False)  # the same agent objects, a second batch
    half = both.state.take(np.arange(games.size, 2 * games.size))
    assert np.array_equal(half.ending, alone.state.ending)
    assert np.array_equal(half.scores, alone.state.scores)
    assert np.array_equal(half.terms, alone.state.terms)
    assert not np.array_equal(both.state.scores[: games.size], alone.state.scores)  # the other half differs


def test_a_lookahead_fork_leaves_the_games_memory_alone() -> None:
    m = CompiledModel.load("endgame-2024")
    g = Game(m, seed=1, batch=3, log=False, history=False)
    g.state.memory[("test", 0)] = {0: {"a": 1}, 2: {"b": 2}}
    fork = g.state.fork([2, 2, 0])
    assert fork.memory[("test", 0)] == {0: {"b": 2}, 1: {"b": 2}, 2: {"a": 1}}
    fork.memory[("test", 0)][0]["b"] = 9
    assert g.state.memory[("test", 0)][2] == {"b": 2}
    sub = g.state.take([2])
    assert sub.memory is g.state.memory and sub.uid.tolist() == [2]


TUNED_RED = """[policy]
ruleset = "negotiation"
role = "red"
{bargain}
[[rules]]
move = "deal"
weight = 3

[[rules]]
move = "drill"
weight = 1
"""


def _tuned(model: CompiledModel, bargain: str):
    from endgame_game.ai.tuned import TunedAgent, check_policy, parse_policy

    text = TUNED_RED.format(bargain=bargain)
    return TunedAgent(model, "red", check_policy(parse_policy(text, "red.toml"), model, text))


def test_a_tuned_policy_bargains_as_its_bargain_table_says(model: CompiledModel) -> None:
    # The same position as test_doctrines_differ_in_what_they_concede: a tuned policy that concedes
    # what the soft doctrine does takes the deal, one that concedes what the tough one does will not.
    from endgame_game.ai.tuned import parse_policy

    g = offered(model, "deal{cap=40}")
    g.set_orders("blue", ["counter_deal{cap=100,guarantee=green}"])
    g.step()
    answers = {}
    for concede in (2, 8):
        got = _tuned(model, f"\n[bargain]\nconcede = {concede}\n").act(g.observe("red"))
        assert isinstance(got, tuple)  # it bargains: orders and terms
        answers[concede] = {model.moves[s].id for s in np.nonzero(got[0][0])[0]}
    assert "accept_deal" in answers[8] and "accept_deal" not in answers[2]
    assert not isinstance(_tuned(model, "").act(g.observe("red")), tuple)  # no [bargain]: its rules alone
    text = TUNED_RED.format(bargain='\n[bargain]\nconcede = 2.5\nprefer = ["deal.guarantee.green"]\nfirm = ["cap"]\n')
    p = parse_policy(text, "red.toml")
    assert parse_policy(p.to_toml(), "red.toml").bargain == p.bargain
    assert p.bargain is not None and p.bargain.prefer == ("deal.guarantee.green",) and p.bargain.firm == ("cap",)


@pytest.mark.parametrize("bargain, expect", [
    ('prefer = ["deal.guarantee.blue"]', r"red.toml:\d+: error: bargain.prefer\[0\]: no option 'deal.guarantee.blue'"),
    ('firm = ["capp"]', r"bargain.firm\[0\]: no term 'capp'.*cap"),
    ("concede = -1", r"bargain.concede: must be a number from 0"),
    ("conceed = 1", r"bargain.conceed: unknown key .*concede"),
    ('avoid = "deal.guarantee.none"', r"bargain.avoid: must be a list of names"),
])
def test_a_bad_bargain_table_names_key_and_line(model: CompiledModel, bargain: str, expect: str) -> None:
    import re

    from endgame_game.errors import RulesetError

    with pytest.raises(RulesetError) as e:
        _tuned(model, f"\n[bargain]\n{bargain}\n")
    assert any(re.search(expect, str(i)) for i in e.value.issues), e.value.issues


def test_training_plays_each_doctrine_as_it_plays_alone() -> None:
    # The trainer plays many policies in one batch, a block of rows each; a doctrine that bargains
    # must bargain there (its terms kept with its orders) exactly as it does in a game of its own.
    from endgame_game.ai.train import Trainer

    m = CompiledModel.load("endgame-2024")
    t = Trainer(m, "washington", seed=1)
    games = np.arange(40, dtype=np.uint64)
    names = list(m.doctrines["washington"])
    s = t.scores([DoctrineAgent(m, "washington", d) for d in names], 5, games)
    for k, d in enumerate(names):
        g = Game(m, seed=5, games=games, log=False, history=False)
        from endgame_game.ai import run_games

        run_games(g, {**t.opponents, "washington": DoctrineAgent(m, "washington", d)}, validate=False)
        assert np.array_equal(s[k], g.results()["score.washington"]), d


def test_training_a_bargaining_role_searches_its_concession(model: CompiledModel) -> None:
    from endgame_game.ai.train import CONCEDE_MAX, TrainConfig, train
    from endgame_game.ai.tuned import parse_policy

    cfg = TrainConfig(generations=2, population=4, games=60, eval_games=60)
    res = train(model, "red", seed=2, config=cfg)
    b = res.policy.bargain
    start = model.ruleset.doctrines["red"][res.baseline]
    assert b is not None and 0 <= b.concede <= CONCEDE_MAX
    assert (b.firm, b.prefer, b.avoid) == (tuple(start.firm), tuple(start.prefer), tuple(start.avoid))
    assert parse_policy(res.policy.to_toml()).bargain == b
    assert train(model, "red", seed=2, config=cfg).policy.to_toml() == res.policy.to_toml()


def test_a_refused_offer_is_remembered_by_the_engine_whoever_made_it(model: CompiledModel) -> None:
    # A person plays Red: the engine notes the offer Blue rejects, so a bargainer taking Red over (or
    # a replay of the record) knows it was refused, in the situation it was made in.
    g = offered(model, "deal{cap=40,guarantee=none}")
    g.set_orders("blue", ["reject_deal"])
    g.step()
    red, neg = model.actor_index["red"], model.negotiation[0]
    refused = g.state.memory[("refused", red, neg.n)][0]
    assert list(refused) == [tuple(g.state.terms[0, neg.cols].tolist())]
    replayed, _diverged = Game.from_record(model, g.record())
    assert replayed.state.memory[("refused", red, neg.n)] == g.state.memory[("refused", red, neg.n)]
