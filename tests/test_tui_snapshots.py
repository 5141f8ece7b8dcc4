"""SVG snapshots of the main screens at 80×24 and 120×40, on seeded games of the mini ruleset.

Update after looking at the report: ``pytest tests/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest

from endgame_game.report import debrief as db
from endgame_game.tui.app import make_app
from endgame_game.tui.screens.game import GameScreen
from tests.test_tui_helpers import MINI, MINI_INFO, still

SMALL, LARGE = (80, 24), (120, 40)


def app(roles=("red",), **kw):
    return make_app(MINI, list(roles), seed=7, saves_dir=None, rulesets=[MINI_INFO], animate=False, **kw)


async def _to_game(pilot):
    for _ in range(5):
        if isinstance(pilot.app.screen, GameScreen):
            return
        await pilot.press("enter")
        await pilot.pause()


async def _one_turn(pilot):
    await _to_game(pilot)
    pilot.app.screen.add_order("attack")
    await pilot.press("e", "y")
    await pilot.app.workers.wait_for_complete()
    await still(pilot)


async def _game_after_a_turn(pilot):
    await _one_turn(pilot)
    await _to_game(pilot)
    await pilot.press("down")
    await still(pilot)


def test_title(snap_compare):
    assert snap_compare(make_app(seed=7, saves_dir=None, rulesets=[MINI_INFO], animate=False), terminal_size=SMALL,
                        run_before=still)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_game_screen(snap_compare, size):
    assert snap_compare(app(), terminal_size=size, run_before=_game_after_a_turn)


def test_briefing(snap_compare):
    assert snap_compare(app(), terminal_size=SMALL, run_before=still)


def test_turn_report(snap_compare):
    assert snap_compare(app(), terminal_size=SMALL, run_before=_one_turn)


def test_handover(snap_compare):
    assert snap_compare(app(("red", "blue")), terminal_size=SMALL, run_before=still)


async def _umpire(pilot):
    await _one_turn(pilot)
    await _to_game(pilot)
    await pilot.press("u")
    await still(pilot)


def test_umpire(snap_compare):
    assert snap_compare(app(umpire=True), terminal_size=LARGE, run_before=_umpire)


async def _ending(pilot):
    # The AI games the standing is computed against, played before the ending: the screen then shows
    # the comparison as it mounts. (Filled in later by its daemon thread, the roles' text grew after the
    # first layout, and on a loaded machine the snapshot could catch it clipped to its first height.)
    db.play_ai_games(pilot.app.session.model)
    await _to_game(pilot)
    pilot.app.session.game.adjust("flags.talks", 1, "snapshot: peace")
    await pilot.press("e", "y")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    while not screen.ai_done.is_set():  # the AI games the standing is computed against (a daemon thread)
        await pilot.pause(0.05)
    await still(pilot)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_ending(snap_compare, size):
    assert snap_compare(app(umpire=True), terminal_size=size, run_before=_ending)


def _after_a_turn_press(key):
    async def run(pilot):
        await _game_after_a_turn(pilot)
        await pilot.press(key)
        await still(pilot)
    return run


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_endings_panel(snap_compare, size):
    assert snap_compare(app(), terminal_size=size, run_before=_after_a_turn_press("g"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_history(snap_compare, size):
    assert snap_compare(app(), terminal_size=size, run_before=_after_a_turn_press("h"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_move_detail(snap_compare, size):
    assert snap_compare(app(), terminal_size=size, run_before=_after_a_turn_press("d"))


async def _scenario_endings(pilot):
    await _to_game(pilot)
    await pilot.press("g")
    await still(pilot)


def test_endings_panel_compound(snap_compare):
    """The scenario's endings at 80×24: "and"/"or" conditions with their structure, part by part."""
    scenario = make_app("endgame-2024", ["kyiv"], seed=3, saves_dir=None, animate=False)
    assert snap_compare(scenario, terminal_size=SMALL, run_before=_scenario_endings)
