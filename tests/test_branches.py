"""`endgame report` compares the lines of a rewound game: the decisions that differed, where each line
ended, the values that parted (issue: seminar play, "rewind with care")."""

from __future__ import annotations

from pathlib import Path

import pytest

from endgame_game.cli import main
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError
from endgame_game.report.branches import compare, write_branches
from endgame_game.saves import save_game
from tests.conftest import TEST_RULESETS


def _turn(g: Game, red: list[str], blue: list[str]) -> None:
    g.set_orders("red", red)
    g.set_orders("blue", blue)
    g.step()


@pytest.fixture
def rewound(tmp_path: Path) -> Path:
    model = CompiledModel.load(str(TEST_RULESETS / "mini.toml"))
    g = Game(model, seed=3)
    _turn(g, [], ["dig_in"])
    _turn(g, ["attack"], [])
    _turn(g, ["attack"], [])
    g.rewind(2, reason="what if Red had talked instead?")
    _turn(g, ["talks"], ["dig_in"])
    _turn(g, [], [])
    return save_game(g, tmp_path / "seminar.toml")


def test_the_decisions_that_differed_and_both_outcomes(rewound: Path) -> None:
    c = compare(rewound)
    (branch,), (decisions,) = c.branches, c.decisions
    assert branch.fork == 2 and branch.last_turn == 3 and c.main.last_turn == 3
    by_turn = {(d.turn, d.role): d for d in decisions}
    assert by_turn[2, "red"].main == ("Offer talks",) and by_turn[2, "red"].branch == ("Attack",)
    assert by_turn[2, "blue"].main == ("Dig in",) and by_turn[2, "blue"].branch == ()
    assert (3, "blue") not in by_turn  # both lines passed
    assert not (branch.values[:2] != c.main.values[:2]).any()  # the shared turn is the same
    assert c.parted and (branch.values[-1] != c.main.values[-1]).any()


def test_report_writes_the_comparison_beside_the_after_action_report(rewound: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main(["report", str(rewound), "--out", str(out)]) == 0
    assert "branches.md" in capsys.readouterr().out
    text = (out / "branches.md").read_text()
    assert "Decisions that differed: main line vs branch 1" in text
    assert "| 2 | Red | Offer talks | Attack |" in text
    assert "Where each line ended" in text and "The values that parted most" in text
    assert (out / "branches.png").exists() and "<table>" in (out / "branches.html").read_text()


def test_a_game_without_branches_says_so(tmp_path: Path) -> None:
    model = CompiledModel.load(str(TEST_RULESETS / "mini.toml"))
    g = Game(model, seed=1)
    g.step()
    with pytest.raises(EndgameError, match="no branches"):
        write_branches(save_game(g, tmp_path / "plain.toml"), tmp_path / "out")
