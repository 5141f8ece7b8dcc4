"""The Dask backend gives the same rows as the local pool (a local Dask cluster stands in for a real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from endgame_game.batch import run  # noqa: E402
from endgame_game.cli import main  # noqa: E402

MINI = str(Path(__file__).resolve().parent / "rulesets" / "mini.toml")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def test_dask_scheduler_gives_the_same_file_as_local(cluster, tmp_path: Path) -> None:
    kw = dict(games=120, seed=5, sweep=["params.growth=0:10:2"], agents="red=lookahead")
    run(MINI, workers=1, out=tmp_path / "local.csv", **kw)
    res = run(MINI, backend="dask", scheduler=cluster.scheduler_address, chunk=25, out=tmp_path / "dask.csv", **kw)
    assert not res.stopped and res.games == 240
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_any_executor_fits_the_seam(cluster, tmp_path: Path) -> None:
    with distributed.Client(cluster.scheduler_address) as client:
        res = run(MINI, games=60, seed=2, executor=client.get_executor(), chunk=16, keep_rows=True)
    local = run(MINI, games=60, seed=2, workers=1, keep_rows=True)
    assert res.rows is not None and local.rows is not None
    assert all((res.rows[k] == local.rows[k]).all() for k in local.rows)


def test_cli_with_a_scheduler(cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.csv"
    assert main(["batch", MINI, "--games", "50", "--backend", "dask", "--scheduler", cluster.scheduler_address,
                 "--out", str(out)]) == 0
    assert "50 games" in capsys.readouterr().err and out.exists()


def test_unreachable_scheduler_is_a_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("endgame_game.batch.runner.DASK_CONNECT_TIMEOUT", "1s")
    assert main(["batch", MINI, "--games", "5", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert main(["batch", MINI, "--games", "5", "--backend", "dask", "--scheduler", "no-port"]) == 2
    assert "cannot reach the Dask scheduler at no-port" in capsys.readouterr().err
