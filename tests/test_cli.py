"""The small commands: simulate (incl. re-running one game of a batch alone), check, rulesets."""

from __future__ import annotations

import csv
import subprocess
import sys

from tests.conftest import ROOT, TEST_RULESETS


def endgame(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "endgame_game", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_simulate_prints_a_readable_game():
    out = endgame("simulate", str(TEST_RULESETS / "mini.toml"), "--seed", "3")
    assert out.returncode == 0, out.stderr
    assert "Turn 1 — December 2024" in out.stdout and "Ending after turn" in out.stdout and "Scores:" in out.stdout


def test_simulate_game_index_is_that_game_of_a_batch(tmp_path):
    rows = tmp_path / "r.csv"
    out = endgame("batch", "tutorial", "--games", "12", "--seed", "5", "--ai", "north=random", "--agents", "mixed",
                  "--out", str(rows), "--workers", "1")
    assert out.returncode == 0, out.stderr
    row = list(csv.DictReader(rows.open()))[9]
    sim = endgame("simulate", "tutorial", "--seed", "5", "--game", "9", "--ai", "north=random", "--agents", "mixed")
    assert sim.returncode == 0, sim.stderr
    assert f"south=mixed ({row['doctrine.south']})" in sim.stdout.splitlines()[0]  # the doctrine game 9 drew
    scores = dict(part.rsplit(" ", 1) for part in sim.stdout.split("Scores: ")[1].strip().split(", "))
    for actor, value in scores.items():
        assert abs(float(row[f"score.{actor}"]) - float(value.replace(",", ""))) < 0.01 * max(1.0, abs(float(value.replace(",", ""))))


def test_user_mistakes_are_messages_not_tracebacks():
    for args in (["simulate", "endgame-2024", "--ai", "kyiv=doctrin:x"], ["simulate", "nonexistent"],
                 ["simulate", "tutorial", "--set", "params.nope=1"], ["check", str(ROOT / "README.md")],
                 ["replay", str(ROOT / "README.md")], ["simulate", "tutorial", "--game", "-1"]):
        out = endgame(*args)
        assert out.returncode in (1, 2), (args, out.stderr)
        assert "Traceback" not in out.stderr and out.stderr.strip(), args


def test_play_arguments_are_checked_before_the_terminal_is_needed():
    """Without a terminal, a wrong role, save or option is named (not hidden behind "needs a terminal")."""
    cases = {("play", "--as", "kiev"): "did you mean 'kyiv'?",
             ("play", "--hotseat", "moscow,kiev"): "no playable role 'kiev'",
             ("play", "--load", "nothere.toml"): "no such file",
             ("play", "--as", "kyiv", "--demo"): "--as is for the app",
             ("play", "--turn", "3", "--demo"): "use it with --load"}
    for args, words in cases.items():
        out = endgame(*args)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
    out = endgame("play", "--as", "kyiv")
    assert out.returncode == 2 and "needs an interactive terminal" in out.stderr


def test_headless_games_end_with_each_roles_outcome():
    """simulate and play --demo print each role's win/draw/loss by the scenario's stakes, as the batch rows do."""
    import json
    import re

    line = re.compile(r"^Outcomes: Moscow (win|draw|loss), Kyiv (win|draw|loss), Washington (win|draw|loss), "
                      r"Brussels (win|draw|loss)$", re.M)
    for args in (["simulate", "endgame-2024", "--seed", "3", "--quiet"], ["play", "endgame-2024", "--demo", "--seed", "3"]):
        r = endgame(*args)
        assert r.returncode == 0, r.stderr
        assert line.search(r.stdout), r.stdout[-400:]
    r = endgame("simulate", "endgame-2024", "--seed", "3", "--json")
    outcomes = json.loads(r.stdout)["outcomes"]
    assert set(outcomes) == {"moscow", "kyiv", "washington", "brussels"} and set(outcomes.values()) <= {"win", "draw", "loss"}
