"""endgame sensitivity on the tiny ruleset: paired sweeps, effects with intervals, the tornado and its chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from endgame_game.batch.sensitivity import format_tornado, ranged_params, sensitivity
from endgame_game.cli import main
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError

MINI = Path(__file__).resolve().parent / "rulesets" / "mini.toml"


def test_a_parameter_that_matters_shows_and_its_effect_has_the_right_sign() -> None:
    model = CompiledModel.load(MINI)
    assert ranged_params(model) == ["growth"]
    rep = sensitivity(model, games=300, seed=2)
    (p,) = rep.params
    assert (p.low, p.high) == (0.0, 20.0)
    # More growth for blue: blue's score (blue.men - red.men) rises by about 20 a turn's growth times turns.
    blue = p.scores["blue"]
    assert blue.lo > 0 and blue.lo <= blue.mean <= blue.hi
    assert p.largest[0].startswith(("score:", "ending:"))
    text = format_tornado(rep)
    assert "growth" in text and "0–20" in text


def test_common_random_numbers_make_a_no_op_sweep_exactly_zero(tmp_path: Path) -> None:
    # A parameter that nothing reads: every paired difference is exactly 0, so it is reported inert.
    p = tmp_path / "dead.toml"
    p.write_text(f'extends = "{MINI.as_posix()}"\n[ruleset]\nid = "dead"\n'
                 '[params.dead]\nvalue = 1.0\nmin = 0.0\nmax = 2.0\nsource = "test"\n', encoding="utf-8")
    rep = sensitivity(p, games=100, seed=0, params=["dead"])
    (eff,) = rep.params
    assert all(e.mean == 0 for e in eff.endings.values()) and all(e.mean == 0 for e in eff.scores.values())
    assert [x.param for x in rep.inert] == ["dead"]
    assert "1 of 1 parameters" in format_tornado(rep)


def test_unknown_or_unranged_parameters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EndgameError, match="no parameter 'nope'"):
        sensitivity(MINI, games=10, params=["nope"])
    p = tmp_path / "fixed.toml"
    p.write_text(f'extends = "{MINI.as_posix()}"\n[ruleset]\nid = "fixed"\n[params.fixed]\nvalue = 1.0\nsource = "test"\n',
                 encoding="utf-8")
    with pytest.raises(EndgameError, match="no documented range"):
        sensitivity(p, games=10, params=["params.fixed"])


def test_cli_prints_the_table_draws_the_chart_and_fails_below(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "t.png"
    assert main(["sensitivity", str(MINI), "--games", "60", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "growth" in out and png.stat().st_size > 1000
    assert main(["sensitivity", str(MINI), "--games", "60", "--fail-below", "1000"]) == 1
    assert main(["sensitivity", str(MINI), "--games", "60", "--stakes"]) == 0
    assert "Doctrine against random play" in capsys.readouterr().out

