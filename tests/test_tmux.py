"""Play the default scenario to an ending in a real terminal (tmux), as a person would with keys.

Skipped when tmux is not installed. Uses ``endgame-2024`` (or ``tutorial`` if the default is absent).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from endgame_game.rules.registry import list_rulesets

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

ROOT = Path(__file__).resolve().parents[1]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


class Terminal:
    def __init__(self, command: str, width: int = 120, height: int = 40):
        self.name = f"endgame-test-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), command],
                       check=True, timeout=10, env={**os.environ, "TERM": "xterm-256color"})

    def screen(self) -> str:
        return _tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        for k in keys:
            _tmux("send-keys", "-t", self.name, k)
            time.sleep(0.15)

    def wait_for(self, *texts: str, timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.screen()
            if any(t in s for t in texts):
                return s
            time.sleep(0.1)
        raise AssertionError(f"none of {texts} on screen:\n{self.screen()}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_play_default_scenario_to_an_ending_in_tmux(tmp_path):
    ids = {r.id for r in list_rulesets()}
    ruleset, role, name = ("endgame-2024", "kyiv", "Kyiv") if "endgame-2024" in ids else ("tutorial", None, None)
    if role is None:
        from endgame_game.engine.model import CompiledModel

        model = CompiledModel.load(ruleset)
        role, name = model.playable[0], model.ruleset.actors[model.playable[0]].name
    done = tmp_path / "exit-code"
    cmd = (f"cd {ROOT} && {sys.executable} -m endgame_game play {ruleset} --as {role} --seed 11 "
           f"--saves {tmp_path / 'saves'}; echo $? > {done}")
    term = Terminal(cmd)
    try:
        term.wait_for("briefing", timeout=20)
        term.keys("Enter")
        turns = 0
        for _ in range(200):  # a bound, not a budget: a loaded machine needs more rounds per turn
            s = term.wait_for("Your resources", "Turn report", "Ending:", "The last turn")
            if "Ending:" in s:
                break
            if "Your resources" in s and "End turn" in s and "Continue" not in s:
                term.keys("Enter")  # order the highlighted move (a greyed one only says why not)
                term.keys("e")
                term.wait_for(f"End {name}'s turn?")
                term.keys("y")
                turns += 1
                term.wait_for("Turn report", "The last turn", "Ending:", timeout=20)
            else:
                term.keys("Enter")
        s = term.wait_for("vs AI", timeout=40)  # an error toast may cover it for a few seconds
        # The percentile against 10,000 AI games of the same ruleset, computed in the app.
        s = term.wait_for("better than this share", timeout=120)
        assert "Ending:" in s and "Score" in s and name in s and turns >= 1
        assert list((tmp_path / "saves").glob("autosave-*.toml"))
        term.keys("q")
        end = time.monotonic() + 10
        while not done.exists() and time.monotonic() < end:
            time.sleep(0.1)
        assert done.read_text().strip() == "0"
    finally:
        term.close()
