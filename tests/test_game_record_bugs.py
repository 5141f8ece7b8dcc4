"""Regression tests for three bugs that lived in the seams between the copies of the replay and the
order queue (each failed before the game record: the game remembers its own orders, index and
parameters, and a turn that fails changes nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from endgame_game.cli import main
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EvaluationError
from endgame_game.saves import load_game, save_game
from endgame_game.tui.app import make_app
from endgame_game.tui.screens.dialogs import ConfirmDialog
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.session import load_session
from tests.conftest import TEST_RULESETS
from tests.test_tui_helpers import mini_app, screen_text, settle

# --- 1. an umpire rewind keeps the game's index and parameters ---------------------------------------


def test_rewind_of_a_batch_saved_game_keeps_its_index_and_parameters(tmp_path, capsys):
    """Game 17 of sweep point 2, saved by ``endgame batch --save-games``, rewound by the umpire, is still
    game 17 with point 2's parameters: every turn it replays matches the saved checksums."""
    out = tmp_path / "games"
    assert main(["batch", str(TEST_RULESETS / "mini.toml"), "--games", "20", "--sweep", "params.growth=2:12:3",
                 "--save-games", str(out), "--save-which", "2:17", "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    (path,) = out.glob("*.toml")
    session = load_session(path, umpire=True, saves_dir=None)
    before = session.game
    assert int(before.state.games[0]) == 17 and before.value("params.growth") == 12.0
    assert before.turn > 3
    session.rewind(3)
    g = session.game
    assert g.turn == 3
    assert int(g.state.games[0]) == 17
    assert np.array_equal(g.state.params, before.state.params)
    # the rewound game is the saved game at the start of turn 3, bit for bit
    assert g.state.equals(load_game(path, upto=3).game.state)


# --- 2. a save made mid-turn shows its queued orders ------------------------------------------------


async def to_game(pilot, app) -> None:
    for _ in range(6):
        if isinstance(app.screen, GameScreen):
            break
        await pilot.press("enter")
        await settle(pilot, app)
    assert isinstance(app.screen, GameScreen), type(app.screen).__name__


async def test_orders_queued_before_a_save_are_shown_after_loading_it(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_game(pilot, app)
        assert app.screen.add_order("attack")
        saved = app.session.save(tmp_path / "mid-turn.toml")
    app2 = make_app(load=saved, saves_dir=tmp_path, animate=False)
    async with app2.run_test(size=(100, 30)) as pilot:
        await to_game(pilot, app2)  # past the briefing
        text = screen_text(app2)
        assert "1. Attack" in text and "none yet" not in text
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app2.screen, ConfirmDialog)
        text = screen_text(app2)
        assert "Attack" in text and "No orders" not in text


# --- 3. a turn that fails mid-resolution changes nothing ------------------------------------------


@pytest.fixture
def nan_model(tmp_path: Path) -> CompiledModel:
    """mini, where production's growth is NaN once escalation is exactly 0.5 (after one attack)."""
    text = (TEST_RULESETS / "mini.toml").read_text("utf-8").replace(
        'add = "params.growth"', 'add = "params.growth * ((escalation - 0.5) / (escalation - 0.5))"')
    f = tmp_path / "nan-mini.toml"
    f.write_text(text, "utf-8")
    return CompiledModel.load(f)


def test_a_turn_that_fails_mid_resolution_changes_nothing(nan_model, tmp_path):
    g = Game(nan_model, seed=3)
    g.step()
    g.adjust("blue.men", 90.0, "a ruling")
    g.set_orders("red", ["attack"])
    before = g.state.copy()
    checksums = [e.checksum for e in g.turn_records]
    n_logs, n_history = len(g.logs), len(g.history)
    with pytest.raises(EvaluationError):
        g.step()
    # the costs, the attack's effects and the ruling's turn are all as before the attempt
    assert g.state.equals(before)
    assert g.turn == 2 and [e.checksum for e in g.turn_records] == checksums
    assert (len(g.logs), len(g.history)) == (n_logs, n_history)
    assert g.orders_of("red") == ["attack"]  # nothing lost: the orders wait for a fix or a change
    # and the game still saves and loads (a half-resolved state was refused as "edited or damaged")
    loaded = load_game(save_game(g, tmp_path / "after-error.toml")).game
    assert loaded.state.equals(before) and loaded.orders_of("red") == ["attack"]
    g.set_orders("red", [])
    g.step()
    assert g.turn == 3
