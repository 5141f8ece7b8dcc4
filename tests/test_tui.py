"""Pilot tests of the app: every screen and flow, asserting on the engine's state behind it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Input, OptionList, Select

from endgame_game.engine.model import CompiledModel
from endgame_game.rules.registry import list_rulesets
from endgame_game.tui.app import EndgameApp, make_app
from endgame_game.tui.screens.briefing import BriefingScreen
from endgame_game.tui.screens.dialogs import AdjustDialog, ChoiceDialog, ConfirmDialog, TextDialog
from endgame_game.tui.screens.ending import EndingScreen
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.handover import HandoverScreen
from endgame_game.tui.screens.help import HelpScreen
from endgame_game.tui.screens.pause import PauseScreen
from endgame_game.tui.screens.title import TitleScreen
from endgame_game.tui.screens.turn_report import TurnReportScreen
from endgame_game.tui.screens.umpire import UmpireScreen
from endgame_game.tui.view import num
from tests.test_tui_helpers import MINI, MINI_INFO, mini_app, screen_text, settle

SIZE = (80, 24)


async def to_game(pilot, app: EndgameApp) -> GameScreen:
    """Click through handover, report and briefing screens to the role's game screen."""
    for _ in range(6):
        if isinstance(app.screen, GameScreen):
            break
        await pilot.press("enter")
        await settle(pilot, app)
    assert isinstance(app.screen, GameScreen), type(app.screen).__name__
    return app.screen


async def end_turn(pilot, app: EndgameApp) -> None:
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmDialog)
    await pilot.press("y")
    await settle(pilot, app)


def notes(app: EndgameApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_title_choose_role_then_play(tmp_path):
    app = make_app(seed=3, saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, TitleScreen)
        text = screen_text(app)
        assert "Red" in text and "Blue" in text and "Opponents" in text
        # untick Red, tick Blue: play Blue against the AI
        await pilot.press("space", "down", "space")
        await settle(pilot, app)
        # The opponent's agent: its doctrine by default, or the lookahead planner, or random.
        select = app.screen.query_one("#agent-red", Select)
        offered = [v for _, v in select._options]
        assert offered[0] == "doctrine:hawk" and "lookahead" in offered and offered[-1] == "random"
        select.value = "lookahead"
        await pilot.click("#play")
        await settle(pilot, app)
        assert isinstance(app.screen, BriefingScreen)
        assert app.session is not None and app.session.humans == ("blue",)
        assert app.session.agent_specs["red"] == "lookahead:4:8" and app.session.game.seed == 3
        assert type(app.session.agents["red"]).__name__ == "LookaheadAgent"
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, GameScreen) and app.screen.role == "blue"


async def test_title_refuses_no_role(tmp_path):
    app = make_app(saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("space", "p")
        await settle(pilot, app)
        assert isinstance(app.screen, TitleScreen)
        assert "Tick at least one role" in notes(app)


async def test_play_to_the_ending(tmp_path):
    """start → orders → end turn → turn report → … → ending, with an autosave every turn."""
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, BriefingScreen)
        reports = 0
        for _ in range(40):
            if isinstance(app.screen, EndingScreen):
                break
            if isinstance(app.screen, TurnReportScreen):
                reports += 1
                await pilot.press("enter")
            elif isinstance(app.screen, GameScreen):
                game = app.session.game
                if "attack" in game.legal_moves("red"):
                    app.screen.add_order("attack")
                    assert game.orders_of("red") == ["attack"]
                await end_turn(pilot, app)
            else:
                await pilot.press("enter")
            await settle(pilot, app)
        assert isinstance(app.screen, EndingScreen)
        game = app.session.game
        assert game.done and reports == len(game.logs)
        assert any(e.orders.get("red") for e in game.turn_records)
        text = screen_text(app)
        ending = game.model.endings[int(game.state.ending[0])]
        assert f"Ending: {ending.label}" in text
        assert "Red" in text and "Blue" in text and num(float(game.state.scores[0, 0])) in text
        assert list(tmp_path.glob("autosave-*.toml"))


async def test_turn_report_says_what_happened(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        app.screen.add_order("attack")
        await end_turn(pilot, app)
        assert isinstance(app.screen, TurnReportScreen)
        text = screen_text(app)
        assert "Turn 1" in text and "Red: Attack" in text and "Escalation" in text
        assert "Autosaved to" in text


async def test_invalid_order_shows_reason(tmp_path):
    app = mini_app(("red",), tmp_path, umpire=True)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        app.session.game.adjust("red.ammo", 5, "test: too little ammo to attack")
        gs.refresh_view()
        await pilot.pause()
        # the move list greys it out with the reason
        assert "costs 10 Ammo" in screen_text(app)  # the ruleset's label, not the key
        # choosing it anyway says why and orders nothing
        moves = gs.query_one("#moves", OptionList)
        moves.highlighted = [o.id for o in moves.options].index("attack")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.game.orders_of("red") == []
        assert "costs 10 Ammo" in notes(app)


async def test_orders_respect_action_points_and_undo(tmp_path):
    app = mini_app(("blue",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        await pilot.press("enter")  # the first move: Dig in (1 AP, blue has 1)
        await pilot.pause()
        assert app.session.game.orders_of("blue") == ["dig_in"]
        assert "AP 0/1" in screen_text(app)
        await pilot.press("backspace")
        await pilot.pause()
        assert app.session.game.orders_of("blue") == [] and gs.queue == []


async def test_hotseat_privacy(tmp_path):
    """A role's screen never shows another human role's exact (noisy) values."""
    app = mini_app(("red", "blue"), tmp_path, seed=4)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, HandoverScreen)
        assert "Pass the terminal to Red" in screen_text(app)
        game = app.session.game
        blue_men = num(game.value("blue.men"))
        red_men = num(game.value("red.men"))
        assert blue_men not in screen_text(app) and red_men not in screen_text(app)
        gs = await to_game(pilot, app)
        assert gs.role == "red"
        text = screen_text(app)
        assert red_men in text and "≈" in text and blue_men not in text
        gs.add_order("attack")
        await end_turn(pilot, app)
        # Blue's turn: the handover covers Red's dashboard first
        assert isinstance(app.screen, HandoverScreen)
        text = screen_text(app)
        assert "Pass the terminal to Blue" in text and "Attack" not in text
        gs = await to_game(pilot, app)
        assert gs.role == "blue"
        text = screen_text(app)
        assert blue_men in text and "Attack" not in text  # Red's orders stay secret before resolution
        assert num(game.value("red.men")) not in text.replace(blue_men, "")
        await end_turn(pilot, app)
        # the next turn: each role gets its own report, without the other's exact values
        assert isinstance(app.screen, HandoverScreen)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TurnReportScreen)
        text = screen_text(app)
        assert "Red: Attack" in text
        # Blue's men appear only as an assessment of what Red's attack did (≈ … ± …), never exactly.
        assert num(game.value("blue.men")) not in text
        assert all("≈" in line for line in text.splitlines() if "Blue men" in line)


async def test_umpire_inject_adjust_pause_land_in_the_log(tmp_path):
    app = mini_app(("red",), tmp_path, umpire=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_game(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        assert isinstance(app.screen, UmpireScreen)
        assert "true values" in screen_text(app) and num(app.session.game.value("blue.men")) in screen_text(app)
        # inject
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # the only event: storm
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"cable cut", "enter")
        await settle(pilot, app)
        # adjust: refused without a reason, then accepted
        await pilot.press("a")
        await pilot.pause()
        dlg = app.screen
        assert isinstance(dlg, AdjustDialog)
        dlg.query_one("#target", Select).value = "blue.men"
        await pilot.pause()
        assert dlg.query_one("#value", Input).value == num(app.session.game.value("blue.men"))
        dlg.query_one("#value", Input).value = "60"
        await pilot.click("#ok")
        await pilot.pause()
        assert isinstance(app.screen, AdjustDialog) and "reason" in screen_text(app)
        dlg.query_one("#reason", Input).value = "Blue argued its case well"
        await pilot.pause(0.3)
        await pilot.click("#ok")
        await settle(pilot, app)
        assert app.session.game.value("blue.men") == 60
        # pause: a full screen for the class (no values shown) until the umpire resumes
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, PauseScreen) and "Paused for discussion" in screen_text(app)
        assert num(app.session.game.value("blue.men")) not in screen_text(app)
        acts = [a.action for a in app.session.game.umpire_actions]
        assert acts == ["inject", "adjust", "pause"]
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, UmpireScreen) and "argued" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        await end_turn(pilot, app)
        entry = app.session.game.turn_records[-1]
        assert [a.action for a in entry.umpire] == ["inject", "adjust", "pause"]
        assert entry.umpire[1].reason == "Blue argued its case well"


async def test_umpire_rewind(tmp_path):
    app = mini_app(("red",), tmp_path, umpire=True)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(2):
            await to_game(pilot, app)
            app.screen.add_order("attack")
            await end_turn(pilot, app)
        await to_game(pilot, app)
        assert app.session.game.turn == 3
        checksum_t2 = app.session.game.turn_records[0].checksum
        await pilot.press("u")
        await settle(pilot, app)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "enter")  # options: turn 2, turn 1
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)  # it names what is discarded first
        await pilot.press("y")
        await settle(pilot, app)
        game = app.session.game
        assert game.turn == 1 and game.turn_records == ()
        assert [a.action for a in game.umpire_actions] == ["rewind"]
        gs = await to_game(pilot, app)
        assert gs.queue == [] and "turn 1/6" in screen_text(app)
        gs.add_order("attack")
        await end_turn(pilot, app)
        # the branch replays the same first turn (same seed and orders) and logs the rewind
        assert app.session.game.turn_records[0].checksum == checksum_t2
        assert app.session.game.turn_records[0].umpire[0].action == "rewind"


async def test_umpire_keys_do_nothing_without_umpire(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        assert isinstance(app.screen, GameScreen)


async def test_mistyped_keys_are_harmless(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        turn = app.session.game.turn
        await pilot.press("k", "1", "%", "f5", "ctrl+x", "tab", "tab", "left", "right", "escape")
        await settle(pilot, app)
        assert app.session.game.turn == turn and app.session.game.orders_of("red") == []
        assert app.is_running


async def test_help_tabs_theme_and_briefing(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Keys" in text and "Where" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert "Agreements in force" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "No news yet" in screen_text(app)
        before = app.theme
        await pilot.press("t")
        await pilot.pause()
        assert app.theme != before
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Save game", "Load game", "Toggle light/dark", "Keys and help"} <= set(titles)


async def test_diplomacy_inbox_and_answer(tmp_path):
    """Red proposes talks; next turn Blue sees it in the inbox and answers with a response move."""
    app = mini_app(("blue",), tmp_path, agents={"red": "random"})
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        game = app.session.game
        game.set_orders("red", ["talks"])  # what the AI would order; the agent adds its own on top
        app.session.agents.pop("red")
        await end_turn(pilot, app)
        gs = await to_game(pilot, app)
        await pilot.press("i")
        await pilot.pause()
        text = screen_text(app)
        assert "Red: Offer talks" in text and "Inbox (1)" in text
        await pilot.press("o")
        assert gs.add_order("accept_talks")
        await end_turn(pilot, app)
        assert bool(app.session.game.state.agreed[0, 0])


async def test_save_then_resume_from_title(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        app.screen.add_order("attack")
        await end_turn(pilot, app)
        await to_game(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")
        await settle(pilot, app)
        saved = tmp_path / "mini-turn2.toml"
        assert saved.exists() and "Saved to" in notes(app)
    app2 = make_app(saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot, app2)
        await pilot.press("r")  # resume the newest autosave
        await settle(pilot, app2)
        assert app2.session is not None and app2.session.game.turn == 2
        assert app2.session.humans == ("red",)
        assert app2.session.game.turn_records[0].orders["red"] == (("attack",),)
    app3 = make_app(load=saved, saves_dir=tmp_path, animate=False)
    async with app3.run_test(size=SIZE) as pilot:
        await settle(pilot, app3)
        assert app3.session is not None and app3.session.game.turn == 2
        assert isinstance(app3.screen, GameScreen)  # no second briefing when resuming
    app4 = make_app(load=saved, turn=1, saves_dir=tmp_path, animate=False)  # endgame play --load S --turn 1
    async with app4.run_test(size=SIZE) as pilot:
        await settle(pilot, app4)
        assert app4.session is not None and app4.session.game.turn == 1 and app4.session.game.turn_records == ()


async def test_load_dialog_lists_saves(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        await end_turn(pilot, app)
        (tmp_path / "broken.toml").write_text("this is not a save")
        await to_game(pilot, app)
        app.action_load()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        text = screen_text(app)
        assert "autosave-" in text and "Type a path" in text


async def test_bad_ruleset_and_bad_save_are_messages(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[ruleset]\nid = 'bad'\n")
    for app in (make_app(bad, ["red"], saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False),
                make_app("no-such-ruleset", ["red"], saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False),
                make_app(load=tmp_path / "missing.toml", saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False),
                make_app(load=bad, saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False)):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert isinstance(app.screen, TitleScreen)
            assert app._notifications and app.is_running


async def test_ending_writes_the_after_action_report(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_game(pilot, app)
        app.session.game.adjust("flags.talks", 1, "test: peace now")
        await end_turn(pilot, app)
        for _ in range(3):
            if isinstance(app.screen, EndingScreen):
                break
            await pilot.press("enter")
            await settle(pilot, app)
        assert isinstance(app.screen, EndingScreen)
        await pilot.click("#report")
        for _ in range(100):
            await settle(pilot, app)
            if "written" in screen_text(app):
                break
        assert (tmp_path / "mini-seed1-final.toml").exists()
        report = tmp_path / "mini-seed1-final-report" / "report.md"
        assert report.exists() and (report.parent / "ai-games.csv").exists()
        assert "Compared with AI games" in report.read_text() and "better than" in report.read_text()
        assert "report.md" in screen_text(app)


async def test_quit_asks_during_a_game(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_game(pilot, app)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen) and app.is_running


def test_play_demo_without_a_terminal():
    r = subprocess.run([sys.executable, "-m", "endgame_game", "play", str(MINI), "--demo", "--seed", "2"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "Turn 1" in r.stdout and "Ending after turn" in r.stdout and "Scores:" in r.stdout


def test_play_without_a_terminal_says_so():
    r = subprocess.run([sys.executable, "-m", "endgame_game", "play", str(MINI), "--as", "red"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "--demo" in r.stderr


@pytest.mark.parametrize("args", [["--as", "nobody"], ["--load", "/nonexistent/save.toml"]])
def test_play_bad_arguments_are_messages(args, monkeypatch):
    from endgame_game.cli import main

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["play", str(MINI), *args]) == 2


async def test_resize_switches_between_compact_and_wide(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        assert not gs.has_class("-wide")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert gs.has_class("-wide") and "war" in screen_text(app)  # the full ladder, every rung
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not gs.has_class("-wide")


@pytest.mark.parametrize("info", [r for r in list_rulesets() if not r.extends], ids=lambda r: r.id)
async def test_every_ruleset_plays_in_the_app(info, tmp_path):
    """Whatever a ruleset declares, the app renders it and plays a turn: no scenario code."""
    model = CompiledModel.load(info.path)
    role = model.playable[-1]
    app = make_app(info.path, [role], seed=5, saves_dir=tmp_path, animate=False)
    async with app.run_test(size=SIZE) as pilot:
        gs = await to_game(pilot, app)
        assert model.ruleset.actors[role].name in screen_text(app)
        legal = app.session.game.legal_moves(role)
        if legal:
            assert gs.add_order(legal[0])
        await end_turn(pilot, app)
        assert isinstance(app.screen, (TurnReportScreen, EndingScreen))
        assert len(app.session.game.turn_records) == 1
