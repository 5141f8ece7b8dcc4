"""``endgame report``: the after-action report is written, its charts are real PNGs, its text tells the
game (ending, timeline, thresholds, umpire actions) and places it among AI batch results."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

from endgame_game.ai import make_agents, play_turn
from endgame_game.cli import main
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError
from endgame_game.saves import save_game

HERE = Path(__file__).resolve().parent
TUTORIAL = HERE.parent / "rulesets" / "tutorial.toml"
MINI = HERE / "rulesets" / "mini.toml"


@pytest.fixture(scope="module")
def seminar(tmp_path_factory):
    """A finished tutorial game with humans, umpire actions, and a batch file of 200 AI games."""
    model = CompiledModel.load(TUTORIAL)
    g = Game(model, seed=8)
    agents = make_agents(model, {}, default="doctrine")
    while not g.done:
        if g.turn == 2:
            g.adjust(model.symbols.values[0], g.value(model.symbols.values[0]) + 1, "the class argued for more")
            g.inject(model.events[0].id, "the umpire's surprise")
        play_turn(g, agents)
    folder = tmp_path_factory.mktemp("rep")
    save = save_game(g, folder / "seminar.toml", agents={a: "doctrine" for a in agents},
                     meta={"name": "Week 3", "humans": ["north"]})
    rows = []
    for i in range(200):
        row = {"ending": model.endings[i % len(model.endings)].id, "ruleset": "tutorial", "game": str(i)}
        for a in model.actors:
            if model.actor_index[a] in model.scores:
                row[f"score.{a}"] = str(float(i % 100) - 50.0)
        rows.append(row)
    rows.append({**rows[0], "ruleset": "other-ruleset"})  # filtered out: another ruleset
    batch = folder / "runs.csv"
    with batch.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return model, g, save, batch


def test_report_files_charts_and_text(seminar, tmp_path, capsys):
    model, g, save, batch = seminar
    out = tmp_path / "handout"
    assert main(["report", str(save), "--out", str(out), "--batch", str(batch)]) == 0
    assert "wrote" in capsys.readouterr().out
    md = (out / "report.md").read_text("utf-8")
    html = (out / "report.html").read_text("utf-8")
    for name in ("resources.png", "tracks.png", "distribution.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, name
        assert f"({name})" in md and f'src="{name}"' in html
    ending = model.endings[int(g.state.ending[0])]
    assert f"**{ending.label}**" in md and ending.label in html
    if ending.text:
        assert ending.text.strip().splitlines()[0][:40] in md
    for t in range(1, len(g.turn_records) + 1):
        assert f"### Turn {t} — {model.date_of(t):%B %Y}" in md
    assert "Umpire set" in md and "the class argued for more" in md and "Umpire inject" in md
    north = model.ruleset.actors["north"].name
    assert f"{north}: played by people" in md and "Game: Week 3" in md
    # The standing is computed over the 200 tutorial rows only.
    mine = float(g.state.scores[0, model.actor_index["north"]])
    share = np.mean((np.arange(200) % 100 - 50.0) < mine)
    assert f"Your {north} did better than {100 * share:.0f} % of 200 AI games" in md
    assert f"came up in {100 * (1 / len(model.endings)):.0f} % of 200 AI games" in md


def test_report_from_a_game_in_memory_and_an_unfinished_game(tmp_path):
    from endgame_game.report import write_report

    model = CompiledModel.load(MINI)
    g = Game(model, seed=3, history=False)
    play_turn(g, make_agents(model, {}, default="random"))
    files = write_report(g, tmp_path / "r")
    md = files.markdown.read_text("utf-8")
    assert "No ending yet" in md and "### Turn 1" in md and files.charts


def test_report_without_matplotlib_says_how_to_get_charts(seminar, tmp_path, monkeypatch, capsys):
    _model, _g, save, _batch = seminar
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "endgame_game.report.charts", None)
    assert main(["report", str(save), "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "pip install matplotlib" in err
    assert (tmp_path / "r" / "report.md").is_file() and not list((tmp_path / "r").glob("*.png"))


def test_bad_batch_files_are_clear_errors(seminar, tmp_path):
    from endgame_game.report import write_report

    _model, _g, save, _batch = seminar
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(EndgameError, match="neither an 'ending' column"):
        write_report(save, tmp_path / "r", batch=bad, charts=False)
    with pytest.raises(EndgameError, match="no batch results file"):
        write_report(save, tmp_path / "r", batch=tmp_path / "missing.csv", charts=False)


def test_a_game_saved_from_a_sweep_is_compared_with_its_own_sweep_point(tmp_path):
    from endgame_game.report.aar import build

    model = CompiledModel.load(MINI)
    g = Game(model, seed=5)
    agents = make_agents(model, {}, default="doctrine")
    while not g.done:
        play_turn(g, agents)
    save = save_game(g, tmp_path / "g.toml", meta={"batch": {"seed": 5, "point": 1, "game": 0}})
    batch = tmp_path / "runs.csv"
    lines = ["seed,point,game,ending,score.red,score.blue"]
    lines += [f"5,0,{i},rout,1000,1000" for i in range(50)]  # point 0: far better than this game
    lines += [f"5,1,{i},peace,-1000,-1000" for i in range(30)]  # point 1: far worse
    batch.write_text("\n".join(lines) + "\n", "utf-8")
    b = build(save, batch=batch).batch
    assert b is not None and b.point == 1 and b.games == 30
    assert all(s.better_than == 1.0 for s in b.standings)



def test_a_change_with_many_causes_names_the_rest_so_the_figures_add_up():
    from endgame_game.engine.log import EffectApplied
    from endgame_game.report.text import narrate

    model = CompiledModel.load(MINI)
    target = model.symbols.values[0]
    steps = [("a", 10.0), ("b", -4.0), ("c", 3.0), ("d", -2.0), ("e", -1.5)]
    records, v = [], 100.0
    for src, d in steps:
        records.append(EffectApplied(1, 0, src, target, v, v + d))
        v += d
    (line,) = [ln for ln in narrate(model, records) if "→" in ln]
    assert "(+5.5: a +10, b -4, c +3, 2 more -3.5)" in line
