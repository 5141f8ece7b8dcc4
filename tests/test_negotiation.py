"""Negotiation with terms on a tiny ruleset: offers, counters, several parties, guarantors, deadlines,
withdrawal, reasons, order text, and a counter chain that replays bit for bit from a save."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.engine import CompiledModel, Game
from endgame_game.engine.negotiation import split_order, term_lines
from endgame_game.errors import OrderError, RulesetError
from endgame_game.rules import load_ruleset
from endgame_game.saves import load_game, replay_save, save_game

RS = Path(__file__).parent / "rulesets" / "negotiation.toml"


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return CompiledModel.load(RS)


def statuses(g: Game) -> list[str]:
    return [r.describe() for r in g.records() if r.describe().startswith("Proposal")]


def opened(model: CompiledModel, offer: str = "deal{line=current,cap=60,guarantee=green}") -> Game:
    g = Game(model, seed=3)
    g.set_orders("blue", ["lift_ban"])
    g.set_orders("red", [offer])
    g.step()
    return g


def test_offer_terms_are_on_the_table_and_in_the_record(model: CompiledModel) -> None:
    g = Game(model, seed=1)
    g.set_orders("red", ["deal{cap=60, line=current}"])
    assert g.record().current.orders["red"] == (("deal{line=current,cap=60}",),)  # canonical: the ruleset's order
    g.step()
    neg = model.negotiation[0]
    assert g.state.terms[0, neg.term("cap").k] == 60
    assert g.state.terms[0, neg.term("guarantee").k] == 0  # not given: the default (the first option)
    assert term_lines(model, "accept_deal", g.state) == [
        ("The line", "current line"), ("Cap on Blue's men", "60"), ("Guarantee", "none")]
    assert term_lines(model, "deal")[0] == ("The line", "current line | far line")


def test_multi_party_acceptance_needs_the_guarantor(model: CompiledModel) -> None:
    g = opened(model)
    assert "accept_deal" in g.legal_moves("green")  # the option named Green as guarantor
    g.set_orders("blue", ["accept_deal"])
    g.step()
    # Green did not answer within the offer's turn (expires = 1): no deal, it lapsed
    assert not g.state.agreed[0, 0] and g.state.status[0, 0] == 3
    assert g.state.ending[0] == -1


def test_all_parties_accept_and_option_effects_apply(model: CompiledModel) -> None:
    g = opened(model)
    g.set_orders("blue", ["accept_deal"])
    g.set_orders("green", ["accept_deal"])
    g.step()
    assert g.state.agreed[0, 0]
    assert g.value("flags.guaranteed") == 1.0
    assert model.endings[int(g.state.ending[0])].id == "deal_done"


def test_guarantor_refusal_ends_the_offer(model: CompiledModel) -> None:
    g = opened(model)
    g.set_orders("blue", ["accept_deal"])
    g.set_orders("green", ["reject_deal"])
    g.step()
    assert not g.state.agreed[0, 0] and g.state.pending[0, 0] == -1
    assert g.state.status[0, 0] == 2
    assert g.value("flags.guaranteed") == 0.0
    assert statuses(g)[-1].startswith("Proposal rejected")


def test_a_guarantor_not_named_is_not_asked(model: CompiledModel) -> None:
    g = opened(model, "deal{guarantee=none}")
    assert "accept_deal" not in g.legal_moves("green")
    assert g.refusal("accept_deal", actor="green").kind == "not_asked"
    g.set_orders("blue", ["accept_deal"])
    g.step()
    assert g.state.agreed[0, 0]


def test_counter_chain_and_deadline_lapse(model: CompiledModel) -> None:
    g = opened(model)  # turn 1: offered (deadline 4 turns from turn 1)
    g.set_orders("blue", ["counter_deal{cap=100,guarantee=none}"])
    g.step()  # turn 2: countered; now Red answers Blue's offer
    assert int(g.state.offer_by[0, 0]) == model.actor_index["blue"]
    assert "accept_deal" in g.legal_moves("red") and "counter_deal" not in g.legal_moves("blue")
    g.set_orders("red", ["counter_deal{cap=80}"])
    g.step()  # turn 3: Red counters back
    assert g.state.rounds[0, 0] == 2
    g.set_orders("blue", ["counter_deal{cap=100}"])
    g.step()  # turn 4: Blue counters again
    assert g.state.rounds[0, 0] == 3
    g.set_orders("red", ["counter_deal{cap=60}"])
    g.step()  # turn 5: past the deadline (opened turn 1 + 4 turns): the negotiation lapses, counter or not
    assert statuses(g)[-1] == "Proposal lapsed: A deal"
    assert g.state.pending[0, 0] == -1 and g.state.status[0, 0] == 3


def test_an_unanswered_offer_lapses_after_expires(model: CompiledModel) -> None:
    g = opened(model)
    g.step()
    assert g.state.pending[0, 0] == -1 and g.state.status[0, 0] == 3


def test_withdrawal(model: CompiledModel) -> None:
    g = opened(model)
    assert g.refusal("withdraw_deal", actor="blue").kind == "not_offerer"
    g.set_orders("red", ["withdraw_deal"])
    g.set_orders("blue", ["accept_deal"])  # an answer to a withdrawn offer does not make a deal
    g.step()
    assert not g.state.agreed[0, 0] and g.state.status[0, 0] == 4
    assert statuses(g)[-1] == "Proposal withdrawn: A deal"


def test_unavailable_answer_names_the_condition_and_what_unlocks_it(model: CompiledModel) -> None:
    g = Game(model, seed=1)
    g.set_orders("red", ["deal"])
    g.step()  # the ban is still in force
    why = g.refusal("accept_deal", actor="blue")
    assert why.kind == "cannot_accept" and why.unlock == ("Lift the ban (Blue)",)
    assert "needs: Lift the ban (Blue)" in why.text
    g2 = opened(model, "deal{line=far}")
    why2 = g2.refusal("accept_deal", actor="blue")
    assert why2.kind == "term_cannot_accept" and "The line: far line" in why2.text and "tension >= 2" in why2.text


def test_option_preconditions_and_bad_order_text(model: CompiledModel) -> None:
    g = Game(model, seed=1)
    with pytest.raises(OrderError, match="cannot offer Guarantee: held hostage"):
        g.set_orders("red", ["deal{guarantee=hostage}"])
    with pytest.raises(OrderError, match="no option 'farr'.*far"):
        g.set_orders("red", ["deal{line=farr}"])
    with pytest.raises(OrderError, match="steps of 20"):
        g.set_orders("red", ["deal{cap=50}"])
    with pytest.raises(OrderError, match="no term 'caps'"):
        g.set_orders("red", ["deal{caps=60}"])
    with pytest.raises(OrderError, match="takes no terms"):
        g.set_orders("red", ["drill{x=1}"])
    assert split_order("deal{line=far,cap=40}") == ("deal", {"line": "far", "cap": "40"})


def test_counter_chain_replays_bit_for_bit_from_a_save(model: CompiledModel, tmp_path: Path) -> None:
    g = opened(model)
    g.set_orders("blue", ["counter_deal{cap=100}"])
    g.step()
    g.set_orders("red", ["counter_deal{cap=80,guarantee=none}"])
    g.step()
    g.set_orders("blue", ["accept_deal"])
    g.step()
    assert g.state.agreed[0, 0]
    path = save_game(g, tmp_path / "n.toml")
    res = replay_save(path)
    assert res.state_matches and res.diverged is None
    loaded = load_game(path).game
    assert loaded.state.equals(g.state)
    again, diverged = Game.from_record(model, g.record())
    assert diverged is None and again.state.checksum() == g.state.checksum()
    # a rewind to the counter reproduces it too
    g.rewind(3)
    assert g.state.rounds[0, 0] == 1


def test_batched_agents_with_terms_record_each_game(model: CompiledModel) -> None:
    g = Game(model, seed=5, batch=3)
    mask = np.zeros((3, len(model.moves)), dtype=bool)
    mask[:, model.move_ids.index("deal")] = True
    terms = np.full((3, len(model.offer_slot), model.max_terms), np.nan)
    j = model.offer_slot[model.move_ids.index("deal")]
    terms[:, j, 1] = [40, 60, 100]
    g.set_orders("red", mask, terms=terms)
    rows = g.record().current.orders["red"]
    assert rows == (("deal{cap=40}",), ("deal{cap=60}",), ("deal{cap=100}",))
    g.step()
    assert list(g.state.terms[:, 1]) == [40, 60, 100]
    again, diverged = Game.from_record(model, g.record())
    assert diverged is None


BAD = """
[[moves]]
id = "offer"
actor = "red"
kind = "proposal"
to = ["blue"]
label = "Offer"
guarantors = ["bleu"]
deadline = -1
[[moves.terms]]
id = "line"
default = "curent"
[[moves.terms.options]]
id = "current"
appeal = { rde = 1 }
guarantor = "blue"
[[moves.terms]]
id = "cap"
min = 10
max = 5
[[moves.terms]]
id = "empty"
[[moves.terms]]
id = "line"
[[moves.terms.options]]
id = "now"
[[moves.terms.options]]
id = "now"
"""


def test_checker_reports_every_error_with_path_line_and_hint(tmp_path: Path) -> None:
    text = RS.read_text(encoding="utf-8") + BAD
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as e:
        load_ruleset(p)
    issues = {i.path: i for i in e.value.issues}
    n = len([m for m in text.split("[[moves]]")]) - 2  # the index of the bad move
    base = f"moves[{n}]"
    assert "did you mean 'blue'" in issues[f"{base}.guarantors[0]"].hint
    assert f"{base}.deadline" in issues
    assert "current" in issues[f"{base}.terms[0].default"].hint
    assert "red" in issues[f"{base}.terms[0].options[0].appeal.rde"].hint
    assert "already a party" in issues[f"{base}.terms[0].options[0].guarantor"].message
    assert "at least min" in issues[f"{base}.terms[1].max"].message
    assert "options" in issues[f"{base}.terms[2]"].message
    assert issues[f"{base}.terms[3].id"].message == "duplicate term 'line'"
    assert issues[f"{base}.terms[3].options[1].id"].message == "duplicate option 'now'"
    assert all(i.line for i in issues.values() if i.path.startswith(base))
