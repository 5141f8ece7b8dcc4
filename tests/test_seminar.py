"""Seminar play: the umpire lock in hot-seat, rewind with a confirmation, the umpire console's flags,
gauges and scores, and the class timer (Pilot tests on the mini ruleset)."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from endgame_game.engine.api import Game
from endgame_game.saves import load_game
from endgame_game.tui.screens.briefing import BriefingScreen
from endgame_game.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.handover import HandoverScreen
from endgame_game.tui.screens.umpire import PassphraseDialog, UmpireScreen
from endgame_game.tui.session import load_session
from endgame_game.tui.umpire_lock import hash_passphrase, verify
from endgame_game.tui.view import num
from tests.test_tui import end_turn, to_game
from tests.test_tui_helpers import mini_app, screen_text, settle

SIZE = (80, 24)
PASS = "white-cell"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_passphrase_hash_is_salted_and_checks():
    a, b = hash_passphrase(PASS), hash_passphrase(PASS)
    assert a != b and PASS not in a  # a fresh salt each time; never the passphrase itself
    assert verify(PASS, a) and verify(PASS, b)
    assert not verify("white-cel", a) and not verify(PASS, "scrypt$zz$00") and not verify(PASS, "")
    with pytest.raises(ValueError, match="at least"):
        hash_passphrase("abc")


async def test_hotseat_umpire_is_unreachable_from_team_screens(tmp_path):
    app = mini_app(("red", "blue"), tmp_path, umpire=True, umpire_pass=PASS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)
        text = screen_text(app)
        assert "Umpire" not in text and "UMPIRE" not in text
        await pilot.press("u")
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)  # no `u` on the handover screen
        gs = await to_game(pilot, app)
        assert "Umpire" not in screen_text(app)  # nor in a team's footer
        await pilot.press("u")
        await settle(pilot, app)
        assert app.screen is gs
        # The command palette's entry and ctrl+u only ask for the passphrase; a wrong one gets nothing.
        for attempt in ("guess", "1234"):
            await pilot.press("ctrl+u")
            await settle(pilot, app)
            assert isinstance(app.screen, PassphraseDialog)
            await pilot.press(*attempt, "enter")
            await settle(pilot, app)
            assert app.screen is gs and "Wrong umpire passphrase" in "\n".join(
                str(n.message) for n in app._notifications)
        assert not any(isinstance(s, UmpireScreen) for s in app.screen_stack)
        await pilot.press("ctrl+u")
        await settle(pilot, app)
        await pilot.press(*PASS, "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, UmpireScreen)
        assert num(app.session.game.value("blue.men")) in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        # Leaving the console locks it again.
        assert app.screen is gs and app.umpire_locked
        await pilot.press("u")
        await settle(pilot, app)
        assert app.screen is gs


async def test_hotseat_umpire_lockout_after_wrong_passphrases(tmp_path):
    clock = FakeClock()
    app = mini_app(("red", "blue"), tmp_path, umpire=True, umpire_pass=PASS, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        for _ in range(3):
            await pilot.press("ctrl+u")
            await settle(pilot, app)
            await pilot.press(*"nope", "enter")
            await settle(pilot, app)
        await pilot.press("ctrl+u")
        await settle(pilot, app)
        assert app.screen is gs  # refused without even asking
        clock.now += 31
        await pilot.press("ctrl+u")
        await settle(pilot, app)
        assert isinstance(app.screen, PassphraseDialog)


async def test_hotseat_umpire_without_passphrase_asks_for_one_and_saves_only_a_hash(tmp_path):
    app = mini_app(("red", "blue"), tmp_path, umpire=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        dlg = app.screen
        assert isinstance(dlg, PassphraseDialog)
        dlg.query_one("#pass", Input).value = PASS
        dlg.query_one("#again", Input).value = "other"
        await pilot.click("#ok")
        await pilot.pause()
        assert app.screen is dlg and "do not match" in screen_text(app)
        dlg.query_one("#again", Input).value = PASS
        await pilot.pause(0.3)  # the error line moved the button: let the layout settle
        await pilot.click("#ok")
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen) and app.umpire_locked
        saved = app.session.save(tmp_path / "locked.toml")
    body = saved.read_text()
    assert PASS not in body and "umpire_lock" in body
    again = load_session(saved, saves_dir=tmp_path)
    assert again.umpire and verify(PASS, again.umpire_lock)


async def test_handover_screen_saves_with_s(tmp_path):
    app = mini_app(("red", "blue"), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)
    assert list(tmp_path.glob("mini-turn1.toml"))


async def test_rewind_asks_first_naming_what_is_discarded(tmp_path):
    app = mini_app(("red",), tmp_path, umpire=True)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(2):
            await to_game(pilot, app)
            app.screen.add_order("attack")
            await end_turn(pilot, app)
        gs = await to_game(pilot, app)
        gs.add_order("attack")
        await pilot.press("u")
        await settle(pilot, app)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "enter")  # turn 1
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        text = screen_text(app)
        assert "Rewind to the start of turn 1?" in text and "2 resolved turns" in text
        assert "Turn 1: Red: Attack; Blue: Dig in" in text and "Turn 2: Red: Attack" in text
        assert "Turn 3 so far" in text
        await pilot.press("n")  # cancelled: nothing changes
        await settle(pilot, app)
        assert app.session.game.turn == 3 and len(app.session.game.turn_records) == 2
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("down", "enter")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert app.session.game.turn == 1 and app.session.game.turn_records == ()


async def test_umpire_sets_a_flag_with_a_reason_sees_gauges_and_the_save_replays_it(tmp_path):
    app = mini_app(("red",), tmp_path, umpire=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_game(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        text = screen_text(app)
        assert "Scores (live)" in text and "Derived gauges" in text and "winter" in text and "Flags" in text
        assert app.session.game.value("flags.talks") == 0
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and "talks" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")  # a reason is required
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"both sides asked", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, UmpireScreen) and app.session.game.value("flags.talks") == 1
        assert "both sides asked" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        await end_turn(pilot, app)
        entry = app.session.game.turn_records[-1]
        assert [(u.action, u.target, u.value, u.reason) for u in entry.umpire] == [
            ("adjust", "flags.talks", 1.0, "both sides asked")]
        saved = app.session.save(tmp_path / "flag.toml")
        live = app.session.game
    loaded = load_game(saved)
    assert loaded.game.value("flags.talks") == live.value("flags.talks") == 1
    again, diverged = Game.from_record(loaded.game.model, loaded.game.record())
    assert diverged is None and again.state.checksum() == live.state.checksum()


async def test_turn_timer_expires_and_the_queued_orders_go(tmp_path):
    clock = FakeClock()
    app = mini_app(("red", "blue"), tmp_path, turn_timer=90, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        assert gs.role == "red" and app.timer_left == pytest.approx(90)
        text = screen_text(app)
        assert "1:30" in text and "queued orders go" in text, text
        gs.add_order("attack")
        clock.now += 60
        app.tick()
        await pilot.pause()
        assert "0:30" in screen_text(app)
        await pilot.press("e")  # the team hesitates in the end-turn dialog: time runs out anyway
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        clock.now += 31
        app.tick()
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen) and app.session.current_role == "blue"
        assert app.session.game.orders_of("red") == ["attack"]
        gs = await to_game(pilot, app)
        assert gs.role == "blue" and app.timer_left == pytest.approx(90)
        clock.now += 91  # Blue queued nothing: it passes
        app.tick()
        await settle(pilot, app)
        assert app.session.game.turn == 2
        assert app.session.game.turn_records[0].orders == {"red": (("attack",),)}


async def test_turn_timer_stands_still_while_the_umpire_has_the_floor(tmp_path):
    clock = FakeClock()
    app = mini_app(("red",), tmp_path, umpire=True, turn_timer=60, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_game(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        clock.now += 600
        app.tick()
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.session.game.turn == 1 and app.timer_left == pytest.approx(60)
        clock.now += 10
        app.tick()
        assert app.timer_left == pytest.approx(50)


async def test_briefing_timer_closes_the_briefing(tmp_path):
    clock = FakeClock()
    app = mini_app(("red",), tmp_path, briefing_timer=120, turn_timer=300, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, BriefingScreen)
        assert "2:00" in screen_text(app)
        clock.now += 121
        app.tick()
        await settle(pilot, app)
        assert isinstance(app.screen, GameScreen) and app.timer_left == pytest.approx(300)


async def test_turns_option_shortens_the_game(tmp_path):
    app = mini_app(("red",), tmp_path, turns=2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.session.model.max_turns == 2
        await to_game(pilot, app)
        assert "turn 1/2" in screen_text(app)
