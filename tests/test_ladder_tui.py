"""Difficulty on the title screen: each level sets the opponents' tier and says how strong it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Select

from endgame_game.ai.ladder import LEVELS, describe, level, read_shares, spec_for
from endgame_game.ai.train import TrainConfig, train
from endgame_game.ai.tuned import TUNED_DIR
from endgame_game.engine import CompiledModel
from endgame_game.rules.registry import RulesetInfo
from endgame_game.tui.app import make_app
from endgame_game.tui.screens.briefing import BriefingScreen
from endgame_game.tui.screens.title import TitleScreen
from tests.test_tui_helpers import MINI, MINI_INFO, screen_text, settle

SIZE = (100, 30)
LADDER = """[ladder]
ruleset = "mini"
seed = 1
opponents = "mixed"

[roles.red]
"mixed" = { over = "random", share = 0.68, games = 100 }
"doctrine:*" = { over = "random", share = 0.31, games = 100 }
"tuned" = { over = "doctrine:*", share = 0.74, games = 100 }
"rollout" = { over = "tuned", share = 0.62, games = 100 }
"""


@pytest.fixture(scope="module")
def tuned_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("rules")
    shutil.copy(MINI, d / "mini.toml")
    (d / TUNED_DIR).mkdir()
    policy = train(CompiledModel.load(MINI), "red", seed=3,
                   config=TrainConfig(generations=2, population=4, games=60, eval_games=0)).policy
    (d / TUNED_DIR / "mini.red.toml").write_text(policy.to_toml(), "utf-8")
    (d / TUNED_DIR / "mini.ladder.toml").write_text(LADDER, "utf-8")
    return d


def test_each_level_maps_to_a_tier_the_role_can_play(tuned_dir: Path) -> None:
    model = CompiledModel.load(tuned_dir / "mini.toml")
    plain = CompiledModel.load(MINI)
    assert [spec_for(model, "red", lv) for lv in LEVELS] == ["random", "doctrine", "tuned", "rollout"]
    assert spec_for(plain, "red", level("hard")) == "doctrine"  # no tuned policy: its doctrine
    shares = read_shares(model)
    assert shares["red"]["tuned"] == 0.74
    assert describe(model, level("hard")) == "hard: the tuned policy; beats the best doctrine in 7 of 10 games"
    assert describe(model, level("expert")).endswith("beats the tuned policy in 6 of 10 games")
    assert describe(model, level("normal")) == "normal: the ruleset's doctrines, one drawn per game; beats random play in 7 of 10 games"
    assert describe(model, level("easy")) == "easy: random legal moves; the doctrines beat it in 7 of 10 games"
    assert describe(plain, level("hard")) == "hard: the tuned policy"  # nothing measured: no figure


async def test_difficulty_sets_the_opponents_and_describes_them(tuned_dir: Path, tmp_path: Path) -> None:
    info = RulesetInfo("mini", "Mini", "0.1", tuned_dir / "mini.toml", False)
    app = make_app(seed=3, saves_dir=tmp_path, rulesets=[info], animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, TitleScreen)
        await pilot.press("space", "down", "space")  # play blue: red is the AI
        await settle(pilot, app)
        red = app.screen.query_one("#agent-red", Select)
        offered = dict((v, str(p).split(" · ", 1)[-1]) for p, v in red._options)  # after the difficulty word
        assert offered["doctrine:hawk"].startswith("Hawk")  # the doctrine's label, not its id
        assert "tuned" in offered and offered["tuned"].startswith("Tuned")
        diff = app.screen.query_one("#difficulty", Select)
        for name, spec in [("easy", "random"), ("hard", "tuned"), ("expert", "rollout"), ("normal", "doctrine:hawk")]:
            diff.value = name
            await settle(pilot, app)
            assert red.value == spec, name
        diff.value = "hard"
        await settle(pilot, app)
        assert "hard: the tuned policy; beats the best doctrine in 7 of 10 games" in screen_text(app)
        await pilot.click("#play")
        await settle(pilot, app)
        assert isinstance(app.screen, BriefingScreen)
        assert app.session is not None and app.session.agent_specs["red"] == "tuned"
        assert type(app.session.agents["red"]).__name__ == "TunedAgent"


async def test_without_tuned_policies_hard_plays_the_doctrine(tmp_path: Path) -> None:
    app = make_app(seed=3, saves_dir=tmp_path, rulesets=[MINI_INFO], animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("space", "down", "space")
        await settle(pilot, app)
        red = app.screen.query_one("#agent-red", Select)
        assert "tuned" not in [v for _, v in red._options]
        app.screen.query_one("#difficulty", Select).value = "hard"
        await settle(pilot, app)
        assert red.value == "doctrine:hawk"
        assert "hard: the tuned policy (none trained for this scenario: its doctrines play)" in screen_text(app)
