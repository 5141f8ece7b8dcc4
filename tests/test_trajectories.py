"""`--trajectories`: one row per game and turn, the same whatever the chunking, consistent with the
result rows, in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from endgame_game.batch import read_csv, run
from endgame_game.batch.results import read_provenance
from endgame_game.cli import main
from endgame_game.engine import CompiledModel, Game

RULES = Path(__file__).resolve().parent / "rulesets"
MINI = str(RULES / "mini.toml")


def test_one_row_per_game_turn_consistent_with_the_results(tmp_path: Path) -> None:
    res = run(MINI, games=30, seed=4, sweep=["params.growth=1:5:2"], agents="red=random", workers=1,
              trajectories=tmp_path / "t.csv", keep_rows=True)
    rows = res.rows
    assert rows is not None
    t = read_csv(tmp_path / "t.csv")
    model = CompiledModel.load(MINI)
    start = Game(model).turn
    # Each game has one row per turn it played, in order; the last is the turn it ended, with its ending.
    for i in range(len(rows["game"])):
        sel = (t["point"] == rows["point"][i]) & (t["game"] == rows["game"][i])
        turns = t["turn"][sel]
        assert turns.tolist() == list(range(start, int(rows["end_turn"][i]) + 1))
        assert t["ended"][sel].tolist() == [False] * (len(turns) - 1) + [True]
        last = np.nonzero(sel)[0][-1]
        assert t["ending"][last] == rows["ending"][i]
        for col in ("score.red", "red.men", "escalation", "params.growth"):
            assert t[col][last] == rows[col][i]
    assert {c for c in t if c.startswith("move.")} == {f"move.{m.id}" for m in model.moves}
    assert any(t[c].any() for c in t if c.startswith("move.")) and any(c.startswith("flags.") for c in t)
    assert read_provenance(tmp_path / "t.csv")["kind"] == "trajectories"


def test_moves_column_matches_a_game_played_alone(tmp_path: Path) -> None:
    run(MINI, games=12, seed=8, agents="red=random", workers=2, chunk=5, trajectories=tmp_path / "t.csv")
    t = read_csv(tmp_path / "t.csv")
    from endgame_game.batch import replay_game

    g, _ = replay_game(MINI, seed=8, game=7, agents="red=random")
    sel = t["game"] == 7
    for k, entry in enumerate(g.turn_records):
        took = {c.removeprefix("move.") for c in t if c.startswith("move.") and t[c][sel][k]}
        ordered = {m for ids in entry.orders.values() for m in ids[0]}
        assert took <= ordered  # a move taken was ordered (orders may fail to resolve)
        assert ordered <= took or not ordered


def test_trajectories_do_not_depend_on_chunking(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    kw = dict(games=40, seed=2, agents="red=random")
    run(MINI, workers=1, trajectories=tmp_path / "a.parquet", **kw)
    run(MINI, workers=2, chunk=7, trajectories=tmp_path / "b.parquet", **kw)
    run(MINI, workers=1, trajectories=tmp_path / "a.csv", **kw)
    run(MINI, workers=2, chunk=3, trajectories=tmp_path / "b.csv", **kw)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_trajectory_memory_is_bounded(tmp_path: Path) -> None:
    def peak(games: int) -> int:
        tracemalloc.start()
        run(MINI, games=games, seed=1, workers=1, chunk=500, trajectories=tmp_path / f"t{games}.csv")
        _, p = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return p

    small, big = peak(1_000), peak(8_000)
    assert big < 1.5 * small + 2_000_000, (small, big)


def test_cli_trajectories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", MINI, "--games", "5", "--trajectories", str(tmp_path / "t.csv"), "--no-progress"]) == 0
    assert "trajectories:" in capsys.readouterr().out
    assert len(read_csv(tmp_path / "t.csv")["turn"]) >= 5
