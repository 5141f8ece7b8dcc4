"""The game record and ``Game`` as the one thing that changes a game: orders in the order given, typed
umpire actions, transactional umpire injects, rewinds that keep their branches, records of other
rulesets refused, and batches that resolve in place refusing to go on after an error."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from endgame_game.ai import make_agents
from endgame_game.engine import Adjust, CompiledModel, Game, Inject, Pause, ReplayError, Rewind
from endgame_game.errors import EndgameError, EvaluationError
from endgame_game.saves import load_game, save_game
from tests.conftest import TEST_RULESETS


def play(model: CompiledModel, turns: int, seed: int = 4) -> Game:
    g = Game(model, seed=seed, games=np.array([17], dtype=np.uint64), params={"params.growth": 11.0})
    g.play(make_agents(model, {}, default="random"), turns=turns)
    return g


def test_orders_are_kept_in_the_order_given(mini_model):
    g = Game(mini_model, seed=1)
    g.set_orders("red", ["talks", "attack"])
    assert g.orders_of("red") == ["talks", "attack"]
    assert g.record().current.orders == {"red": (("talks", "attack"),)}
    g.step()
    assert g.turn_records[0].orders == {"red": (("talks", "attack"),)}
    again, _ = Game.from_record(mini_model, g.record())
    assert again.turn_records == g.turn_records


def test_an_inject_whose_effects_fail_changes_nothing(tmp_path):
    text = (TEST_RULESETS / "mini.toml").read_text("utf-8").replace(
        'effects = [{ target = "red.ammo", add = "-2" }]', 'effects = [{ target = "red.ammo", add = "-2" }, '
                                                          '{ target = "red.men", add = "0 / (red.ammo - red.ammo)" }]')
    f = tmp_path / "m.toml"
    f.write_text(text, "utf-8")
    g = Game(CompiledModel.load(f), seed=1)
    before = g.state.copy()
    with pytest.raises(EvaluationError):
        g.inject("storm", "test")
    assert g.state.equals(before) and g.umpire_actions == ()


def test_rewind_keeps_the_abandoned_line_as_a_branch_that_replays(mini_model, tmp_path):
    g = play(mini_model, 4)
    g.pause("before the rewind")  # the turn in progress is kept too
    live = g.record()
    g.rewind(2, reason="try the other way")
    assert g.turn == 2 and g.umpire_actions == (Rewind("try the other way"),)
    (b,) = g.branches
    assert b.fork == 2 and b.turns == live.turns[1:] and b.current == live.current
    line, diverged = Game.from_record(mini_model, g.record().branch(0))
    assert diverged is None and line.record().turns == live.turns
    assert line.umpire_actions == (Pause("before the rewind"),) and line.state.equals(Game.from_record(mini_model, live)[0].state)
    # a second rewind further back: the first branch takes over the turns in between
    g.play(make_agents(mini_model, {}, default="random"), turns=2)
    g.rewind(1)
    first, second = g.branches
    assert first.fork == 1 and first.turns == live.turns and second.fork == 1
    for i in range(2):
        _, diverged = Game.from_record(mini_model, g.record().branch(i))
        assert diverged is None
    # and the branches survive a save
    assert load_game(save_game(g, tmp_path / "b.toml")).game.branches == g.branches


def test_a_rewind_that_does_not_replay_changes_nothing(mini_model):
    g = play(mini_model, 3)
    record = g.record()
    bad = attrs.evolve(record.turns[0], checksum="0" * 64)
    # as a save from another platform opens: the stored state, the recorded turns as written
    forged, diverged = Game.from_record(mini_model, attrs.evolve(record, turns=(bad, *record.turns[1:])),
                                        state=g.state.copy())
    assert diverged == 1 and forged.turn_records[0].checksum == "0" * 64
    before = forged.state.copy()
    with pytest.raises(EndgameError, match="turn 1 does not replay"):
        forged.rewind(2)
    assert forged.state.equals(before) and forged.turn == g.turn
    assert forged.rewind(2, allow_divergence=True) == 1 and forged.turn == 2


def test_a_record_names_what_does_not_replay(mini_model):
    record = play(mini_model, 2).record()
    t = attrs.evolve(record.turns[1], orders={"red": (("fly",),)})
    with pytest.raises(ReplayError) as e:
        Game.from_record(mini_model, attrs.evolve(record, turns=(record.turns[0], t)))
    assert e.value.turn == 2 and e.value.key == "turns[1].orders.red[0]" and "fly" in str(e.value)
    u = attrs.evolve(record.current, umpire=(Adjust("red.gold", 1.0, "no such value"),))
    with pytest.raises(ReplayError) as e:
        Game.from_record(mini_model, attrs.evolve(record, current=u))
    assert e.value.key == "current.umpire[0]" and "red.gold" in str(e.value)


def test_a_record_of_another_ruleset_is_refused(mini_model):
    other = CompiledModel.load(TEST_RULESETS / "mini.toml", {"params.growth": 2})
    with pytest.raises(EndgameError, match="another ruleset"):
        Game.from_record(other, play(mini_model, 1).record())


def test_umpire_actions_are_typed_and_logged(mini_model):
    g = Game(mini_model, seed=2)
    g.umpire(Adjust("flags.talks", 1.0, "talks open"))
    g.umpire(Inject("storm"))
    g.pause("discussion")
    assert [a.action for a in g.umpire_actions] == ["adjust", "inject", "pause"]
    assert g.umpire_actions[2] == Pause("discussion") and g.value("flags.talks") == 1.0
    tl = g.step()
    assert [r.action for r in tl.records if type(r).__name__ == "UmpireAction"] == ["adjust", "inject", "pause"]


def test_a_batch_that_resolves_in_place_refuses_to_go_on_after_an_error(tmp_path):
    text = (TEST_RULESETS / "mini.toml").read_text("utf-8").replace(
        'add = "params.growth"', 'add = "params.growth * ((escalation - 0.5) / (escalation - 0.5))"')
    f = tmp_path / "nan.toml"
    f.write_text(text, "utf-8")
    g = Game(CompiledModel.load(f), seed=3, batch=4, log=False, history=False)
    g.set_orders("red", ["attack"])
    with pytest.raises(EvaluationError):
        g.step()
    with pytest.raises(EndgameError, match="cannot go on"):
        g.step()
    with pytest.raises(EndgameError, match="log=False"):
        g.record()


def test_play_hooks_see_every_turn_and_observation(mini_model):
    g = Game(mini_model, seed=5, batch=3)
    seen: list[tuple[str, int]] = []
    before: list[int] = []
    after: list[int] = []
    logs = g.play(make_agents(mini_model, {}, default="random"), before_turn=lambda game: before.append(game.turn),
                  observed=lambda actor, obs: seen.append((actor, obs.legal.shape[0])),
                  after_turn=lambda game, tl: after.append(tl.turn))
    assert g.done and len(logs) == len(before) == len(after) == g.turn - 1
    assert before == after and seen == [(a, 3) for _ in before for a in ("red", "blue")]


def test_refusals_are_typed_and_the_app_renders_them_in_labels(mini_model):
    from endgame_game.errors import OrderError
    from endgame_game.tui import view

    g = Game(mini_model, seed=1)
    g.adjust("red.ammo", 4, "short of shells")
    r = g.refusal("attack")
    assert r is not None and (r.kind, r.target, r.need, r.have) == ("cost", "red.ammo", 10.0, 4.0)
    assert r.text == "costs 10 red.ammo; only 4 available" == g.reason("attack")
    assert view.readable_refusal(mini_model, r) == "costs 10 Ammo; only 4 available"
    with pytest.raises(OrderError) as e:
        g.set_orders("red", ["attack"])
    assert e.value.refusal == r
    g.adjust("blue.men", 40, "losses")
    r = g.refusal("dig_in")
    assert r is not None and (r.kind, r.condition) == ("requires", "blue.men > 50")
    shown = view.readable_refusal(mini_model, r)
    assert shown is not None and shown.startswith("requires ") and "blue.men" not in shown
    assert g.refusal("accept_talks").kind == "no_proposal" and g.refusal("fly").kind == "unknown_move"
