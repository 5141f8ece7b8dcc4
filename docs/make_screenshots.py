"""Export SVG screenshots of the app's main screens into docs/screenshots/ (the app draws them itself).

    .venv/bin/python docs/make_screenshots.py

Re-run after changing the app or the default scenario so the README stays current. The games are
seeded, so the pictures only change when the app or the ruleset does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from endgame_game.tui.app import make_app  # noqa: E402
from endgame_game.tui.screens.ending import EndingScreen  # noqa: E402
from endgame_game.tui.screens.game import GameScreen  # noqa: E402
from endgame_game.tui.screens.turn_report import TurnReportScreen  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
RULESET, ROLE, SEED = "endgame-2024", "kyiv", 11


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def to_game(pilot) -> None:
    for _ in range(6):
        if isinstance(pilot.app.screen, GameScreen):
            return
        await pilot.press("enter")
        await settle(pilot)


async def play_turn(pilot) -> None:
    await to_game(pilot)
    await pilot.press("enter", "e", "y")
    await settle(pilot)


def shot(app, name: str) -> None:
    app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(OUT / f"{name}.svg")


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the screens show "saves/autosave-…", as a player sees it, not a temporary path
        saves = "saves"
        app = make_app(seed=SEED, saves_dir=saves, animate=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            shot(app, "title")
        for size in ((80, 24), (120, 40)):
            app = make_app(RULESET, [ROLE], seed=SEED, saves_dir=saves, animate=False, umpire=size == (120, 40))
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                if size == (120, 40):
                    shot(app, "briefing")
                await play_turn(pilot)
                await play_turn(pilot)
                assert isinstance(app.screen, TurnReportScreen)
                shot(app, f"turn-report-{size[0]}x{size[1]}")
                await to_game(pilot)
                shot(app, f"game-{size[0]}x{size[1]}")
                if size == (80, 24):
                    for key, name in (("g", "endings"), ("d", "move-detail"), ("h", "history")):
                        await pilot.press(key)
                        await settle(pilot)
                        shot(app, f"{name}-80x24")
                        await pilot.press("escape")
                        await settle(pilot)
                if size == (120, 40):
                    await pilot.press("u")
                    await settle(pilot)
                    shot(app, "umpire")
                    await pilot.press("escape")
                    await settle(pilot)
                    while not isinstance(app.screen, EndingScreen):
                        if isinstance(app.screen, GameScreen):
                            await pilot.press("e", "y")
                        else:
                            await pilot.press("enter")
                        await settle(pilot)
                    shot(app, "ending")
        app = make_app(RULESET, [ROLE], seed=SEED, saves_dir=saves, animate=False, guided=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await to_game(pilot)
            shot(app, "guided-80x24")
        app = make_app(RULESET, ["moscow", "kyiv"], seed=SEED, saves_dir=saves, animate=False, umpire=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            shot(app, "hotseat-handover")


if __name__ == "__main__":
    asyncio.run(main())
