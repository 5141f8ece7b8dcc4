"""The Dask backend gives the same rows as the local pool (a local Dask cluster stands in for a real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from endgame_game.batch import run  # noqa: E402
from endgame_game.cli import main  # noqa: E402

# Each test process (pytest -n) starts its own cluster; the second one finds Dask's HTTP port taken.
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

MINI = str(Path(__file__).resolve().parent / "rulesets" / "mini.toml")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.mark.filterwarnings("ignore::endgame_game.batch.runner.ClusterSettingsWarning")  # Dask's defaults
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
    """A cluster started with Dask's defaults runs, with a one-line warning that names the variables."""
    out = tmp_path / "r.csv"
    assert main(["batch", MINI, "--games", "50", "--backend", "dask", "--scheduler", cluster.scheduler_address,
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "50 games" in err and out.exists()
    warning = [line for line in err.splitlines() if line.startswith("endgame: warning:")]
    assert len(warning) == 1, err
    assert "2 Dask worker(s) run without the settings" in warning[0]
    assert "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" in warning[0]
    assert "Traceback" not in err


def test_a_cluster_with_the_settings_gets_no_warning() -> None:
    """Workers started with runner.DASK_CONFIG (as docs/agents.md's variables do) pass the check; a
    worker with only some of them is named for the ones it lacks."""
    import dask

    from endgame_game.batch.runner import DASK_CONFIG, cluster_settings_note

    with dask.config.set(DASK_CONFIG), distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        assert cluster_settings_note(client) is None
    partial = {**DASK_CONFIG, "distributed.admin.tick.interval": "20ms"}
    with dask.config.set(partial), distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        note = cluster_settings_note(client)
    assert note is not None
    assert "(distributed.admin.tick.interval)" in note and "PROFILE" not in note


def test_unreachable_scheduler_is_a_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("endgame_game.batch.runner.DASK_CONNECT_TIMEOUT", "1s")
    assert main(["batch", MINI, "--games", "5", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert main(["batch", MINI, "--games", "5", "--backend", "dask", "--scheduler", "no-port"]) == 2
    assert "cannot reach the Dask scheduler at no-port" in capsys.readouterr().err


def _page_faults_of_temporaries() -> int:
    import resource

    import numpy as np

    x = np.ones(40_000)  # a chunk-sized column: 320 KB, above glibc's fixed 128 KB mmap threshold
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(100):
        y = x * 2.0 + 1.0
        z = y * y
        del y, z
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0


def test_dask_workers_get_the_allocator_back(cluster) -> None:
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (every 320 KB temporary is then
    mmap'ed and page-faulted in again: a chunk costs 4-5x the CPU); the first chunk in a worker resets
    the allocator, after which temporaries are reused without page faults."""
    with distributed.Client(cluster.scheduler_address) as client:
        env = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
        if not any(env.values()):
            pytest.skip("this Dask version does not set MALLOC_TRIM_THRESHOLD_")
        run(MINI, games=40, seed=1, executor=client.get_executor(), chunk=5)
        tuned = client.run(lambda: __import__("endgame_game.batch.runner", fromlist=["x"])._ALLOCATOR_TUNED)
        after = client.run(_page_faults_of_temporaries)
    assert all(tuned.values())
    assert all(n < 1_000 for n in after.values()), after  # untuned: > 5,000 (the test below)


def test_tune_allocator_only_when_a_tunable_is_set() -> None:
    import subprocess
    import sys

    code = ("from tests.test_dask import _page_faults_of_temporaries as f\n"
            "from endgame_game.batch.runner import tune_allocator\n"
            "a = f(); t = tune_allocator(); print(t, tune_allocator(), a, f())")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("MALLOC_")}
    root = str(Path(__file__).resolve().parents[1])
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=root)
    assert plain.stdout.split()[:2] == ["False", "False"]  # glibc's adaptive defaults are kept
    trimmed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                             env={**env, "MALLOC_TRIM_THRESHOLD_": "65536"})
    tuned, again, before, after = trimmed.stdout.split()
    assert (tuned, again) == ("True", "False")  # once per process
    # Untuned, each of the 100 rounds usually mmaps and page-faults in at least one 78-page temporary (~15,800
    # faults here; one CI run saw 7,908, another only 7: whether numpy's own cache or the arena takes the
    # temporary depends on the interpreter and numpy build, not on us); tuned, none, whatever it was before.
    assert int(after) < 1_000, (before, after)
    assert int(after) <= max(int(before), 1_000)


def test_tune_allocator_sets_the_thresholds_and_the_top_pad(monkeypatch: pytest.MonkeyPatch) -> None:
    """The three glibc settings, each once: mmap above 32 MB, trim above 64 MB, and a 64 MB top pad (a Dask
    task runs in a thread; there a 20,000-game chunk page-faulted ~10x as often without the pad)."""
    import ctypes

    from endgame_game.batch import runner

    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    monkeypatch.setattr(runner, "_ALLOCATOR_TUNED", False)
    assert runner.tune_allocator(force=True)
    assert sorted(calls) == sorted([(runner.M_MMAP_THRESHOLD, 32 << 20), (runner.M_TRIM_THRESHOLD, 64 << 20),
                                    (runner.M_TOP_PAD, 64 << 20)])


def test_dask_environ_names_dask_settings() -> None:
    """The environment the docs give for `dask scheduler` / `dask worker` reads back as runner.DASK_CONFIG."""
    import dask

    from endgame_game.batch.runner import DASK_CONFIG, dask_environ

    env = dask_environ()
    assert env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] == "False"
    with dask.config.set(dask.config.collect_env(env)):
        assert {k: dask.config.get(k) for k in DASK_CONFIG} == DASK_CONFIG
    docs = (Path(__file__).resolve().parents[1] / "docs" / "agents.md").read_text()
    for k, v in env.items():
        assert f"{k}={v}" in docs, f"docs/agents.md does not give {k}={v}"


def test_the_local_cluster_runs_with_the_quiet_settings() -> None:
    """`--backend dask` without a scheduler: the workers have no profiler and check their event loop and
    memory every second (Dask's defaults: 10 ms, 20 ms, 100 ms; ~16 % of a core with two workers)."""
    from endgame_game.batch.runner import _dask_executor

    def settings() -> tuple[object, ...]:
        import dask
        from distributed import get_worker

        w = get_worker()
        return (dask.config.get("distributed.worker.profile.enabled"), "profile" in w.periodic_callbacks,
                w.periodic_callbacks["tick"].callback_time,
                w.periodic_callbacks["memory_monitor"].callback_time)

    executor, close = _dask_executor(None, 1)
    try:
        got = executor.submit(settings).result(timeout=60)
        sched = executor._client.run_on_scheduler(  # type: ignore[attr-defined]
            lambda dask_scheduler: dask_scheduler.periodic_callbacks["tick"].callback_time)
    finally:
        close()
    assert got == (False, False, 1000, 1000)
    assert sched == 1000
