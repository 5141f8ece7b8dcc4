"""Helpers for the app's Pilot tests: build apps on the test rulesets, read the screen as text."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from textual.widgets import Markdown

from endgame_game.rules.registry import RulesetInfo
from endgame_game.tui.app import EndgameApp, make_app

RULESETS = Path(__file__).resolve().parent / "rulesets"
MINI = RULESETS / "mini.toml"
MINI_INFO = RulesetInfo("mini", "Mini", "0.1", MINI, False)


def mini_app(roles=("red",), tmp: Path | None = None, **kw) -> EndgameApp:
    return make_app(MINI, list(roles), seed=kw.pop("seed", 1), saves_dir=tmp, rulesets=[MINI_INFO], animate=False, **kw)


def screen_text(app: EndgameApp) -> str:
    """Everything visible on the screen, as plain text."""
    svg = app.export_screenshot()
    lines = []
    for m in re.finditer(r"<text[^>]*>(.*?)</text>", svg, re.S):
        lines.append(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).replace("\xa0", " "))
    return "\n".join(lines)


async def settle(pilot, app: EndgameApp) -> None:
    """Wait for workers (turn resolution) and the screen updates they trigger."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def still(pilot, *, quiet: int = 3, timeout: float = 10.0) -> None:
    """Wait until the screen stops changing: ``quiet`` screenshots in a row, 50 ms apart, alike.

    A snapshot taken while a Markdown widget is still mounting its blocks (Textual parses them in a thread),
    or a table is being refilled, differs from one taken a moment later; on a loaded machine that moment
    can be long."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last, same = None, 0

    def parsing() -> bool:
        return any(not md.children for md in pilot.app.screen.query(Markdown))

    while (same < quiet or parsing()) and loop.time() < end:
        await pilot.pause(0.05)
        now = pilot.app.export_screenshot()
        same = same + 1 if now == last else 0
        last = now
