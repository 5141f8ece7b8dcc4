"""Each mechanism pinned on a small purpose-built ruleset; the rule checked is quoted in each docstring."""

from __future__ import annotations

import numpy as np
import pytest

from endgame_game.engine import (
    CompiledModel,
    EndingReached,
    EventFired,
    ProposalRecord,
    ThresholdCrossed,
    new_game,
)
from endgame_game.errors import EndgameError, EvaluationError, OrderError
from tests.conftest import TEST_RULESETS


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return CompiledModel.load(TEST_RULESETS / "mechanisms.toml")


def game(model, **kw):
    return new_game(model, **kw)


def test_costs_are_paid_and_must_be_affordable(model):
    """"cost: paid when the turn resolves; must be affordable (value - cost >= min)" — together with
    the actor's other orders this turn."""
    g = game(model)
    g.set_orders("a", ["spend"])
    g.step()
    assert g.value("a.gold") == 6 and g.value("heat") == 1
    g.set_orders("a", ["spend"])
    g.step()
    assert g.value("a.gold") == 2
    assert "spend" not in g.legal_moves("a")
    assert "costs 4" in g.reason("spend")
    with pytest.raises(OrderError) as e:
        g.set_orders("a", ["spend"])
    assert e.value.move == "spend" and "available" in e.value.reason


def test_action_points_limit_orders(model):
    """"every actor picks up to its action points of legal moves"."""
    g = game(model)
    with pytest.raises(OrderError) as e:
        g.set_orders("a", ["big", "spend"])
    assert "action points" in e.value.reason
    g.set_orders("a", ["big"])
    g.set_orders("a", ["spend", "once"])  # replaces the earlier orders; 2 AP
    assert g.orders_of("a") == ["spend", "once"]


def test_once_moves(model):
    """"once = true: can be taken once per game"."""
    g = game(model)
    g.set_orders("a", ["once"])
    g.step()
    assert g.value("a.gold") == 15
    assert "once" not in g.legal_moves("a") and "only once" in g.reason("once")


def test_requires_is_the_reason(model):
    g = game(model)
    assert g.reason("cool") == "requires heat >= 1"
    with pytest.raises(OrderError):
        g.set_orders("b", ["cool"])
    with pytest.raises(OrderError) as e:
        g.set_orders("b", ["spend"])
    assert "has no such move" in e.value.reason


def test_multi_party_agreement_needs_every_party(model):
    """"when every party has accepted, on_accept applies and agreed.<id> becomes true" — and it can be
    answered only from the turn after it is made."""
    g = game(model)
    g.set_orders("a", ["treaty"])
    assert "accept_treaty" not in g.legal_moves("b")
    g.step()
    assert {"accept_treaty", "reject_treaty"} <= set(g.legal_moves("b"))
    g.set_orders("b", ["accept_treaty"])
    g.step()  # C has not answered yet: still pending (expires = 2)
    assert not g.state.agreed[0, 0] and g.state.pending[0, 0] == 1
    assert "already answered" in g.reason("accept_treaty")
    g.set_orders("c", ["accept_treaty"])
    tl = g.step()
    assert g.state.agreed[0, 0] and g.value("flags.treaty") == 1.0
    assert [r.status for r in tl.of(ProposalRecord)] == ["accepted"]
    assert g.done and g.model.endings[int(g.state.ending[0])].id == "peace"
    assert g.state.scores[0, 0] == g.value("a.gold") + 10


def test_one_rejection_ends_a_proposal(model):
    """"One rejection ends it (on_reject)"."""
    g = game(model)
    g.set_orders("a", ["treaty"])
    g.step()
    g.set_orders("b", ["accept_treaty"])
    g.set_orders("c", ["reject_treaty"])
    tl = g.step()
    assert [r.status for r in tl.of(ProposalRecord)] == ["rejected"]
    assert g.value("heat") == 1 and g.state.pending[0, 0] == -1 and not g.state.agreed[0, 0]
    assert "treaty" in g.legal_moves("a")  # can be proposed again


def test_unanswered_proposal_lapses(model):
    """"if the parties have not all answered within `expires` turns, it lapses (on_lapse)"."""
    g = game(model)
    g.set_orders("a", ["treaty"])
    g.step()
    g.step()
    assert g.state.pending[0, 0] == 1
    tl = g.step()
    assert [r.status for r in tl.of(ProposalRecord)] == ["lapsed"]
    assert g.value("a.gold") == 9


def test_accept_requires_blocks_acceptance(model):
    g = game(model)
    g.set_orders("a", ["treaty"])
    g.step()
    g.adjust("heat", 3, "test: make it hot")
    assert "accept_treaty" not in g.legal_moves("b") and "reject_treaty" in g.legal_moves("b")
    assert "cannot accept" in g.reason("accept_treaty")


def test_thresholds_fire_once_per_upward_crossing(model):
    """"fires when its condition becomes true (once per upward crossing); re-arms when false again"."""
    g = game(model, log=True)
    crossings = []
    for heat in (2, 2, 1, 3, 3):
        g.adjust("heat", heat - 0.5 if heat == 1 else heat, "set up")
        tl = g.step()
        crossings.append([r.threshold for r in tl.of(ThresholdCrossed)])
    assert crossings == [["hot"], [], [], ["hot", "boiling_once"], []]
    assert g.state.crossed[0].tolist() == [2, 1]


def test_threshold_already_true_at_start_is_not_a_crossing(tmp_path):
    text = (TEST_RULESETS / "mechanisms.toml").read_text().replace('levels = ["cold"', 'initial = 2\nlevels = ["cold"')
    f = tmp_path / "m.toml"
    f.write_text(text)
    g = new_game(f)
    g.step()
    assert g.state.crossed[0, 0] == 0


def test_events_once_and_chance(model):
    g = game(model, batch=50)
    g.step()
    g.step()
    g.step()
    assert (g.state.fired[:, 0] == 1).all() and (g.state.fired[:, 1] == 0).all()
    assert (g.state.values[:, g.model.value_index["c.gold"]] == 20).all()


def test_flows_and_bounds(model):
    """"Numeric results are clipped to the target's bounds"."""
    g = game(model)
    for _ in range(4):
        g.step()
    assert g.value("b.gold") == 18
    g.adjust("b.gold", 500, "clip test")
    assert g.value("b.gold") == 100


def test_endings_first_match_then_fallback(model):
    g = game(model, log=True)
    g.adjust("a.gold", 0.5, "broke")
    tl = g.step()
    assert [r.ending for r in tl.of(EndingReached)] == ["broke"]
    assert g.done and int(g.state.end_turn[0]) == 1
    with pytest.raises(EndgameError):
        g.step()
    g2 = game(model)
    while not g2.done:
        g2.step()
    assert g2.model.endings[int(g2.state.ending[0])].id == "time" and int(g2.state.end_turn[0]) == 5


def test_ended_games_stay_frozen_in_a_batch(model):
    g = game(model, batch=3)
    g.state.values[1, g.model.value_index["a.gold"]] = 0.5
    g.step()
    frozen = g.state.values[1].copy()
    g.step()
    assert np.array_equal(g.state.values[1], frozen) and g.state.ending[1] == 1 and (g.state.ending[[0, 2]] == -1).all()


def test_intel_noise_bounds_and_own_values_exact(model):
    """"others see it with ±20 % (1 sd) noise" — bounded (|z| ≤ 2√3), exact for the owner."""
    g = game(model, batch=4000)
    obs = g.observe("a")
    j_own, j_other = g.model.value_index["a.gold"], g.model.value_index["b.gold"]
    assert (obs.values[:, j_own] == 10).all() and (obs.spread[:, j_own] == 0).all()
    est = obs.values[:, j_other]
    assert abs(est.mean() - 10) < 0.1 and abs(est.std() - 2.0) < 0.1
    assert est.min() >= 10 * (1 - 0.2 * 2 * np.sqrt(3)) - 1e-9 and est.max() <= 10 * (1 + 0.2 * 2 * np.sqrt(3)) + 1e-9
    assert np.array_equal(g.observe("a").values, obs.values)  # replays
    assert not np.array_equal(g.observe("c").values[:, j_other], est)  # each observer has its own noise


def test_umpire_inject_and_adjust_are_logged(model):
    g = game(model, log=True)
    g.inject("windfall", "cable cut")
    g.adjust("heat", 1, "a team argued well")
    assert g.value("c.gold") == 20 and g.value("heat") == 1
    tl = g.step()
    assert any(isinstance(r, EventFired) and r.injected for r in tl.records)
    assert [u.action for u in g.turn_records[0].umpire] == ["inject", "adjust"]
    with pytest.raises(EndgameError):
        g.adjust("heat", 1, "  ")


def test_nan_is_an_error_naming_the_formula(tmp_path):
    text = (TEST_RULESETS / "mechanisms.toml").read_text().replace('add = "2"', 'add = "log(a.gold - a.gold) * 0"')
    f = tmp_path / "m.toml"
    f.write_text(text)
    g = new_game(f)
    with pytest.raises(EvaluationError) as e:
        g.step()
    assert "flows[0].add" in str(e.value) and "b.gold" in str(e.value)


def test_public_log_hides_exact_values_of_others_noisy_resources(model):
    from endgame_game.engine import EffectApplied
    from endgame_game.engine.observe import visible_records

    g = game(model, log=True)
    g.step()  # the flow changes b.gold

    def gold_effects(recs):
        return [r for r in recs if isinstance(r, EffectApplied) and r.target == "b.gold"]

    assert gold_effects(g.records())
    assert not gold_effects(visible_records(model, g.records(), "a"))
    assert gold_effects(visible_records(model, g.records(), "b"))


def test_costs_are_logged(model):
    from endgame_game.engine import EffectApplied

    g = game(model, log=True)
    g.set_orders("a", ["spend"])
    tl = g.step()
    paid = [r for r in tl.records if isinstance(r, EffectApplied) and r.target == "a.gold"]
    assert paid and paid[0].source == "spend" and (paid[0].before, paid[0].after) == (10.0, 6.0)


def test_observe_only_the_values_an_agent_reads(model):
    """An agent may declare what it reads; other hidden values are not estimated (NaN), and the ones
    it reads are the very estimates a full observation gives."""
    g = game(model, batch=5)
    full = g.observe("a")
    j_b, j_c = g.model.value_index["b.gold"], g.model.value_index["c.gold"]
    part = g.observe("a", np.array([j_b]))
    assert np.array_equal(part.values[:, j_b], full.values[:, j_b])
    assert np.isnan(part.values[:, j_c]).all()
    assert np.array_equal(part.values[:, g.model.value_index["a.gold"]], full.values[:, g.model.value_index["a.gold"]])
    assert g.model.reads(["moves[3].requires"]).tolist() == [g.model.value_index["heat"]]
