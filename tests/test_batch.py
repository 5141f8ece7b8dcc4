"""The batch runner: determinism across workers and chunks, game i alone, sweeps, stopping, summaries, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from endgame_game.batch import Grid, make_grid, parse_axis, read_csv, replay_game, run
from endgame_game.batch.summary import Summary
from endgame_game.cli import main
from endgame_game.engine import CompiledModel
from endgame_game.errors import EndgameError

RULES = Path(__file__).resolve().parent / "rulesets"
MINI = str(RULES / "mini.toml")
TRAP = str(RULES / "lookahead_trap.toml")


@pytest.fixture(scope="module")
def mini() -> CompiledModel:
    return CompiledModel.load(MINI)


class FirstLegal:
    """A user's agent (loaded by module path in the tests below): the first legal move that fits."""

    def __init__(self, model: CompiledModel, actor: str):
        self.model, self.actor = model, model.actor_index[actor]

    def act(self, obs):  # noqa: ANN001, ANN201
        orders = np.zeros_like(obs.legal)
        s = self.model.moves_of[self.actor][0]
        orders[:, s] = obs.legal[:, s]
        return orders


# -- determinism --

def test_same_seed_same_file_whatever_workers_and_chunk(tmp_path: Path) -> None:
    """`--workers 1` and `--workers 2` (and different chunk sizes) give identical result files."""
    kw = dict(games=300, seed=11, sweep=["params.growth=0:10:2"], agents="red=random")
    run(MINI, workers=1, chunk=300, out=tmp_path / "a.csv", **kw)
    run(MINI, workers=2, chunk=37, out=tmp_path / "b.csv", **kw)
    run(MINI, workers=2, chunk=600, out=tmp_path / "c.csv", **kw)
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    rows = read_csv(tmp_path / "a.csv")
    assert len(rows["game"]) == 600
    # A different seed really is a different run.
    run(MINI, workers=1, out=tmp_path / "d.csv", **{**kw, "seed": 12})
    assert (tmp_path / "d.csv").read_bytes() != a


def test_parquet_identical_across_chunking(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    kw = dict(games=150, seed=3, sweep=["params.growth=1:3:3"])
    run(MINI, workers=1, chunk=150, out=tmp_path / "a.parquet", **kw)
    run(MINI, workers=2, chunk=41, out=tmp_path / "b.parquet", **kw)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    run(MINI, workers=1, out=tmp_path / "a.csv", **kw)
    t = pq.read_table(tmp_path / "a.parquet").to_pydict()
    c = read_csv(tmp_path / "a.csv")
    assert list(t) == list(c)
    for k in c:
        assert list(t[k]) == c[k].tolist(), k


def test_game_i_of_a_batch_equals_game_i_alone(mini: CompiledModel) -> None:
    res = run(mini, games=40, seed=5, sweep=["params.growth=2:8:2"], agents="red=lookahead", workers=1, chunk=13,
              keep_rows=True)
    rows = res.rows
    assert rows is not None
    for p, g in ((0, 0), (0, 17), (1, 39)):
        game, _ = replay_game(mini, 5, g, point=p, agents="red=lookahead", sweep=["params.growth=2:8:2"])
        alone = game.results()
        i = int(np.nonzero((rows["point"] == p) & (rows["game"] == g))[0][0])
        assert rows["ending"][i] == alone["ending"][0]
        assert rows["end_turn"][i] == alone["end_turn"][0]
        for k, v in alone.items():
            if k not in ("game", "ending", "end_turn"):
                assert rows[k][i] == v[0], k  # bit-identical


def test_csv_reads_back_bit_identical(mini: CompiledModel, tmp_path: Path) -> None:
    res = run(mini, games=50, seed=2, workers=1, keep_rows=True, out=tmp_path / "r.csv")
    back = read_csv(tmp_path / "r.csv")
    assert res.rows is not None
    for k, v in res.rows.items():
        assert np.array_equal(back[k], v), k


# -- sweeps --

def test_sweep_grid_is_the_product_first_axis_slowest() -> None:
    g = make_grid(["params.a=0:1:2", "params.b=10:30:3"])
    assert g.points == 6
    assert g.values().tolist() == [[0, 10], [0, 20], [0, 30], [1, 10], [1, 20], [1, 30]]
    assert parse_axis("params.x=1,2.5").values == (1.0, 2.5)
    assert parse_axis("params.x=5:5:1").values == (5.0,)


@pytest.mark.parametrize("text, words", [
    ("params.growth=0:30:4", ["params.growth=30", "[0, 20]"]),
    ("params.growth=-1:3:2", ["params.growth=-1", "outside"]),
    ("params.grwth=0:3:2", ["params.grwth", "growth"]),
    ("params.growth=a:b:c", ["LO:HI:STEPS"]),
    ("params.growth=1:2:0", ["STEPS"]),
    ("growth", ["expected params.NAME"]),
])
def test_sweep_errors_name_the_parameter(mini: CompiledModel, text: str, words: list[str]) -> None:
    with pytest.raises(EndgameError) as e:
        make_grid([text]).check(mini)
    for w in words:
        assert w in str(e.value)


def test_sweep_points_share_game_indices_common_random_numbers(mini: CompiledModel) -> None:
    """Every point plays games 0..N-1 with the same draws: the growth flow is the only difference."""
    res = run(mini, games=30, seed=9, sweep=["params.growth=0:4:2"], agents="red=random", workers=1, keep_rows=True)
    r = res.rows
    assert r is not None
    p0, p1 = r["point"] == 0, r["point"] == 1
    assert r["game"][p0].tolist() == r["game"][p1].tolist() == list(range(30))
    assert set(r["params.growth"][p0]) == {0.0} and set(r["params.growth"][p1]) == {4.0}
    # Red's men never depend on blue's growth in mini unless a threshold fires: most games agree exactly.
    assert (r["red.men"][p0] == r["red.men"][p1]).mean() > 0.5


def test_set_override_reaches_the_workers(tmp_path: Path) -> None:
    run(MINI, games=20, seed=1, overrides={"params.growth": 0.0}, workers=2, chunk=10, out=tmp_path / "a.csv")
    run(MINI, games=20, seed=1, sweep=["params.growth=0:0:1"], workers=1, out=tmp_path / "b.csv")
    a, b = read_csv(tmp_path / "a.csv"), read_csv(tmp_path / "b.csv")
    assert np.array_equal(a["blue.men"], b["blue.men"])


# -- stopping, progress, memory --

def test_stop_event_keeps_finished_rows(mini: CompiledModel, tmp_path: Path) -> None:
    stop = threading.Event()
    seen = []

    def on_progress(p):  # noqa: ANN001
        seen.append(p)
        if p.done >= 100:
            stop.set()

    res = run(mini, games=1000, seed=4, workers=1, chunk=50, stop=stop, on_progress=on_progress, out=tmp_path / "s.csv")
    assert res.stopped and res.games == 100
    assert [p.done for p in seen] == [50, 100] and seen[-1].total == 1000 and seen[-1].rate > 0
    part = read_csv(tmp_path / "s.csv")
    run(mini, games=100, seed=4, workers=1, out=tmp_path / "f.csv")
    full = read_csv(tmp_path / "f.csv")
    assert all(np.array_equal(part[k], full[k]) for k in full)
    assert res.summary.games == 100


def test_stop_event_with_a_process_pool(mini: CompiledModel) -> None:
    stop = threading.Event()
    res = run(mini, games=20_000, seed=4, workers=2, chunk=200, stop=stop, keep_rows=True,
              on_progress=lambda p: stop.set())
    assert res.stopped and 0 < res.games < 20_000 and res.games % 200 == 0
    assert res.rows is not None and len(res.rows["game"]) == res.games


def test_memory_stays_flat_as_games_grow(mini: CompiledModel, tmp_path: Path) -> None:
    def peak(n: int) -> int:
        tracemalloc.start()
        run(mini, games=n, seed=1, workers=1, chunk=250, out=tmp_path / f"m{n}.csv")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, big = peak(1_000), peak(8_000)
    assert big < small * 1.5 + 200_000, (small, big)


# -- summary --

def test_summary_counts_intervals_and_moments(mini: CompiledModel) -> None:
    res = run(mini, games=400, seed=8, agents="red=random", workers=1, chunk=64, keep_rows=True)
    rows, s = res.rows, res.summary
    assert rows is not None
    ps = s.points[0]
    assert ps.n == 400 and int(ps.counts.sum()) == 400
    for i, e in enumerate(s.endings):
        share, lo, hi = ps.share(i)
        assert share == pytest.approx(np.mean(rows["ending"] == e))
        assert lo <= share <= hi
    st = ps.scores["score.red"]
    assert st.mean == pytest.approx(rows["score.red"].mean(), rel=1e-12)
    assert st.sd == pytest.approx(rows["score.red"].std(ddof=1), rel=1e-9)
    assert st.quantiles()[2] == pytest.approx(np.median(rows["score.red"]))
    # The same numbers whatever the chunking (sums run strictly in game order).
    other = run(mini, games=400, seed=8, agents="red=random", workers=2, chunk=7).summary.points[0].scores["score.red"]
    assert (other.mean, other.sd) == (st.mean, st.sd)
    text = s.format()
    assert "95% CI" in text and "peace" in text and "q50" in text
    # Long labels stay whole in a file or pipe, and are cut to fit a narrow terminal.
    long = {e: f"{e} — a long label that says what the ending means for every side" for e in s.endings}
    assert all(v in s.format(labels=long) for v in long.values())
    narrow = s.format(labels=long, width=80).splitlines()
    assert all(len(line) <= 80 for line in narrow if "%" in line) and any("…" in line for line in narrow)


def test_summary_quantile_sample_is_a_fixed_subset() -> None:
    grid = np.zeros((1, 0))
    s = Summary(["x"], ["score.a"], grid, [], games_per_point=10_000, sample=1_000)
    assert s.keep_rate == pytest.approx(0.1)
    games = np.arange(10_000)
    rows = {"point": np.zeros(10_000, dtype=np.int64), "game": games, "ending": np.array(["x"] * 10_000),
            "end_turn": np.ones(10_000, dtype=np.int64), "score.a": games.astype(float)}
    s.add(rows)
    kept = np.concatenate(s.points[0].scores["score.a"].sample)
    assert 800 < kept.size < 1200
    assert s.points[0].scores["score.a"].mean == pytest.approx(4999.5)
    assert abs(s.points[0].scores["score.a"].quantiles()[2] - 4999.5) < 500


# -- errors --

def test_bad_arguments_are_clear_errors(mini: CompiledModel, tmp_path: Path) -> None:
    with pytest.raises(EndgameError, match="games"):
        run(mini, games=0)
    with pytest.raises(EndgameError, match="no actor"):
        run(mini, games=5, agents="rde=random")
    with pytest.raises(EndgameError, match="folder"):
        run(mini, games=5, out=tmp_path / "missing" / "r.csv")
    with pytest.raises(EndgameError, match="is a folder"):
        run(mini, games=5, out=tmp_path)
    with pytest.raises(EndgameError, match=r"\.csv or \.parquet.*r\.csv or r\.parquet"):
        run(mini, games=5, out=tmp_path / "r.xlsx")
    assert not (tmp_path / "r.xlsx").exists()
    with pytest.raises(EndgameError, match="at most"):
        make_grid(["params.growth=0:1:1000", "params.growth=0:1:1000"]).check(mini)
    with pytest.raises(EndgameError, match="STEPS"):
        parse_axis("params.growth=0:1:1000000000")
    with pytest.raises(EndgameError, match="backend"):
        run(mini, games=5, workers=2, backend="ray")


def test_a_user_agent_runs_in_worker_processes(tmp_path: Path) -> None:
    """`--ai red=tests.test_batch:FirstLegal`: a user's agent class, loaded by module path in every worker."""
    res = run(MINI, games=40, seed=1, agents="red=tests.test_batch:FirstLegal", workers=2, chunk=10,
              keep_rows=True)
    inline = run(MINI, games=40, seed=1, agents="red=tests.test_batch:FirstLegal", workers=1, keep_rows=True)
    assert res.rows is not None and inline.rows is not None
    assert np.array_equal(res.rows["score.red"], inline.rows["score.red"])


# -- CLI --

def test_cli_batch_writes_rows_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs.csv"
    rc = main(["batch", MINI, "--games", "60", "--seed", "3", "--ai", "red=doctrine:hawk", "--sweep",
               "params.growth=0:10:3", "--workers", "1", "--out", str(out), "--summary",
               "--save-games", str(tmp_path / "saves"), "--save-which", "0,2:5"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "point 2: params.growth=10" in cap.out and "95% CI" in cap.out and "q95" in cap.out
    assert "games/s" in cap.err  # plain progress lines when not on a terminal
    rows = read_csv(out)
    assert len(rows["game"]) == 180 and set(rows["point"].tolist()) == {0, 1, 2}
    assert (tmp_path / "runs.summary.csv").exists()
    saved = sorted(p.name for p in (tmp_path / "saves").iterdir())
    assert saved == ["mini-s3-g0-p0.toml", "mini-s3-g0-p1.toml", "mini-s3-g0-p2.toml", "mini-s3-g5-p2.toml"]
    from endgame_game.saves import load_game

    loaded = load_game(tmp_path / "saves" / "mini-s3-g5-p2.toml")
    game = getattr(loaded, "game", loaded)
    i = int(np.nonzero((rows["point"] == 2) & (rows["game"] == 5))[0][0])
    assert game.state.scores[0, 0] == rows["score.red"][i]


def test_cli_batch_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", MINI, "--games", "5", "--sweep", "params.growth=0:99:2"]) == 2
    assert "params.growth=99" in capsys.readouterr().err
    assert main(["batch", MINI, "--games", "5", "--save-games", "x", "--save-which", "9"]) == 2
    assert "no game 9" in capsys.readouterr().err
    assert main(["batch", MINI, "--games", "5", "--scheduler", "tcp://x:1"]) == 2


def test_ctrl_c_stops_cleanly_and_keeps_rows(tmp_path: Path) -> None:
    """One Ctrl-C: running chunks finish, finished rows are written in order, exit 130."""
    out = tmp_path / "r.csv"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "endgame_game", "batch", MINI, "--games", "2000000", "--seed", "6",
                             "--workers", "2", "--chunk", "500", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "stopped early" in stderr and "Traceback" not in stderr
    rows = read_csv(out)
    n = len(rows["game"])
    assert 0 < n < 2_000_000 and n % 500 == 0
    assert rows["game"][:500].tolist() == list(range(500))
    first = run(MINI, games=500, seed=6, workers=1, keep_rows=True).rows
    assert first is not None and np.array_equal(rows["score.red"][:500], first["score.red"])


def test_grid_without_sweep_is_one_point() -> None:
    g = Grid()
    assert g.points == 1 and g.values().shape == (1, 0) and g.point(0) == {}


def test_the_docs_agent_example_runs_as_a_user_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/agents.md §3: the `Cautious` example, loaded by module path, in workers too."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "agents.md").read_text()
    code = text.split("```python\n# mypkg/agents.py\n", 1)[1].split("```", 1)[0]
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "agents.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    a = run(MINI, games=30, seed=1, agents="red=mypkg.agents:Cautious", workers=2, chunk=10, keep_rows=True)
    b = run(MINI, games=30, seed=1, agents="red=random", workers=1, keep_rows=True)
    assert a.rows is not None and b.rows is not None
    assert not np.array_equal(a.rows["score.red"], b.rows["score.red"])
    # Cautious keeps at least half its ammo after each move; with the monthly production it never falls below 15.
    assert a.rows["red.ammo"].min() >= 15


def test_mixed_doctrines_draw_one_per_game_and_play_it_exactly() -> None:
    """`--agents mixed`: each game plays one of each role's doctrines, recorded in its row; a game that drew
    Moscow's hawk doctrine is the very game `--ai moscow=doctrine:hawk` plays, whatever the chunking."""
    kw: dict[str, Any] = {"games": 240, "seed": 4, "default_agent": "mixed", "keep_rows": True}
    mixed = run("endgame-2024", workers=1, **kw).rows
    assert mixed is not None
    chunked = run("endgame-2024", workers=2, chunk=37, **kw).rows
    assert chunked is not None and all(np.array_equal(mixed[k], chunked[k]) for k in mixed)
    model = CompiledModel.load("endgame-2024")
    for d in model.doctrines["moscow"]:
        share = np.mean(mixed["doctrine.moscow"] == d)
        assert 0.2 < share < 0.8, (d, share)  # two doctrines: each plays about half the games
        pure = run("endgame-2024", agents=f"moscow=doctrine:{d}", workers=1, **kw).rows
        assert pure is not None and "doctrine.moscow" not in pure
        same = mixed["doctrine.moscow"] == d
        for col in ("ending", "end_turn", "score.kyiv", "doctrine.kyiv"):
            assert np.array_equal(mixed[col][same], pure[col][same]), (d, col)
    with pytest.raises(EndgameError, match="depth is a whole number"):
        run(MINI, games=5, agents="red=lookahead:deep")
