"""Pilot tests of negotiation in the app: compose an offer, counter, accept; an unavailable answer
shows its reason and what would unlock it; a hot-seat note is logged."""

from __future__ import annotations

from endgame_game.rules.registry import RulesetInfo
from endgame_game.tui.app import make_app
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.offer import OfferScreen, TermPicker
from tests.test_tui import end_turn, to_game
from tests.test_tui_helpers import RULESETS, screen_text, settle

NEG = RULESETS / "negotiation.toml"
NEG_INFO = RulesetInfo("negotiation", "Negotiation", "0.1", NEG, False)
SIZE = (80, 24)


def neg_app(roles, tmp, **kw):
    return make_app(NEG, list(roles), seed=kw.pop("seed", 1), saves_dir=tmp, rulesets=[NEG_INFO], animate=False, **kw)


async def test_unavailable_accept_shows_reason_and_unlock(tmp_path):
    app = neg_app(("blue",), tmp_path, agents={"red": "random", "green": "doctrine"})
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        game = app.session.game
        game.set_orders("red", ["deal{cap=60}"])
        app.session.agents.pop("red")
        await end_turn(pilot, app)  # Blue did not lift its ban
        gs = await to_game(pilot, app)
        moves = {m.id: m for m in gs._moves.values()}
        assert "accept_deal" in moves, "an Accept that cannot be given stays in the orders list"
        assert "needs: Lift the ban (Blue)" in (moves["accept_deal"].reason or "")
        assert not gs.add_order("accept_deal")
        await pilot.press("i")
        await pilot.pause()
        text = screen_text(app)
        assert "A deal — Red's offer" in text and "men: 60" in text  # the inbox column wraps at 80×24
        assert "Accept ✗" in text and "Lift the ban (Blue)" in text and "Counter ✓" in text


async def test_compose_counter_then_accept(tmp_path):
    app = neg_app(("blue",), tmp_path, agents={"red": "random", "green": "doctrine"})
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        assert gs.add_order("lift_ban")
        game = app.session.game
        game.set_orders("red", ["deal{cap=40,guarantee=none}"])
        app.session.agents.pop("red")
        await end_turn(pilot, app)
        gs = await to_game(pilot, app)
        await pilot.press("c")  # compose: the counter to the offer on the table
        await pilot.pause()
        assert isinstance(app.screen, OfferScreen) and app.screen.counter
        text = screen_text(app)
        assert "Counter-offer: A deal" in text and "How they may view it" in text
        assert all(len(line) <= 80 for line in text.splitlines())
        await pilot.press("down")  # to the cap
        await pilot.press("right", "right")  # 40 → 60 → 80
        await pilot.pause()
        assert [p.value for p in app.screen.query(TermPicker).results(TermPicker)][1] == 80
        await pilot.click("#term-guarantee")  # the mouse cycles an option: none → by Green
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, GameScreen)
        assert game.orders_of("blue") == ["counter_deal{cap=80,guarantee=green}"]
        await end_turn(pilot, app)
        assert int(game.state.offer_by[0, 0]) == game.model.actor_index["blue"]
        assert game.turn_records[-1].orders["blue"] == (("counter_deal{cap=80,guarantee=green}",),)
        await to_game(pilot, app)
        game.set_orders("red", ["accept_deal"])  # Red takes Blue's counter; Green (AI) answers too
        await end_turn(pilot, app)
        assert bool(game.state.agreed[0, 0])
        assert game.value("flags.guaranteed") == 1.0


async def test_hotseat_note_on_an_offer_is_logged(tmp_path):
    app = neg_app(("red", "blue"), tmp_path, agents={"green": "doctrine"})
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        assert gs.role == "red"
        gs.open_offer("deal")
        await pilot.pause()
        assert isinstance(app.screen, OfferScreen)
        await pilot.click("#offer-note")
        await pilot.press(*"we can talk")
        await pilot.press("enter")
        await settle(pilot, app)
        game = app.session.game
        assert game.orders_of("red") == ["deal{line=current,cap=100,guarantee=none}"]
        assert any("we can talk" in a.describe() for a in game.umpire_actions)
