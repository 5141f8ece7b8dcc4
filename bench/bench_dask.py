"""A real local Dask cluster against the process pool, in one run: games per CPU-second.

Starts a scheduler and two single-threaded worker processes (``dask scheduler``, ``dask worker``, each
behind its nanny), all on loopback, with the settings docs/agents.md gives (``runner.dask_environ()``),
and runs the same batch (default scenario, doctrine agents) on it and on the local process pool with
two workers, alternately (``--rounds``). Each run is ``batch.run`` in a fresh client process. Both
sides are counted the same way: the CPU time (user + system) of every process the run uses, from its
start to its end. For the pool: the client process and the two pool workers (reaped, so counted whole,
start-up included). For Dask: the client process, the scheduler, the two nannies and the two workers
(these three read from /proc before and after the run); the
cluster itself was started and warmed up (each worker compiled the ruleset once) beforehand, as a
long-lived cluster would be. The figure therefore includes scheduling, serialisation and every idle
poll of the cluster's processes during the run, not only the chunks.

Target: the cluster's games per CPU-second ≥ 0.9 × the pool's. ``--untuned`` skips the allocator reset
in the workers (``batch.runner.tune_allocator``: the nanny's ``MALLOC_TRIM_THRESHOLD_=65536`` made a
chunk cost 4-5×); ``--dask-defaults`` starts the cluster with Dask's default settings (profiler,
20 ms event-loop ticks, 100 ms memory checks: ≈ 16 % of a core of polling with two workers).

Run: .venv/bin/python bench/bench_dask.py [--games N] [--rounds R] [--untuned] [--dask-defaults]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from endgame_game.batch import run
from endgame_game.batch.runner import dask_environ
from endgame_game.engine.model import CompiledModel

TICK = os.sysconf("SC_CLK_TCK")
RULESET = "endgame-2024"


def _proc_table() -> tuple[dict[int, list[int]], dict[int, float]]:
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(f[1]), []).append(int(d.name))
        stats[int(d.name)] = (int(f[11]) + int(f[12])) / TICK
    return children, stats


def _cpu_of_tree(pids: list[int], exclude: frozenset[int] = frozenset()) -> float:
    """utime + stime of these processes and every descendant alive now (from /proc), without ``exclude``."""
    children, stats = _proc_table()
    seen, todo, total = set(), list(pids), 0.0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        if p not in exclude:
            total += stats.get(p, 0.0)
        todo += children.get(p, [])
    return total


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _task_threads_cpu() -> float:
    """In a worker: CPU-seconds of the threads that run tasks (the rest is the worker's event loop etc.)."""
    total = 0.0
    for t in threading.enumerate():
        if t.name.startswith("Dask-Default-Threads") and t.ident is not None:
            try:
                total += time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            except OSError:
                pass
    return total


def _cached_models() -> int:
    from endgame_game.batch import runner

    return len(runner._CACHE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child(games: int, scheduler: str | None) -> None:
    """One measured run in a fresh process (so the pool forks from a single-threaded parent, and neither
    side's client carries the other's state); prints its CPU-seconds as JSON."""
    CompiledModel.load(RULESET)  # imports and the ruleset cache, before the clock starts (both sides)
    if scheduler is not None:
        import distributed  # noqa: F401  # the client's import (~0.4 CPU-s), a one-off of the command
    c0, k0, t0 = _self_cpu(), _children_cpu(), time.perf_counter()
    if scheduler is None:
        res = run(RULESET, games=games, seed=1, workers=2)
    else:
        res = run(RULESET, games=games, seed=1, backend="dask", scheduler=scheduler)
    wall = time.perf_counter() - t0
    assert res.games == games
    print(json.dumps({"self": _self_cpu() - c0, "children": _children_cpu() - k0, "wall": wall}))


def _run_child(games: int, scheduler: str | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", "--games", str(games)]
    if scheduler is not None:
        cmd += ["--scheduler", scheduler]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def pool(games: int) -> dict[str, float]:
    m = _run_child(games)
    return {"client": m["self"], "workers": m["children"], "wall": m["wall"]}


class Cluster:
    """``dask scheduler`` + two ``dask worker --nthreads 1`` processes on loopback, warmed up."""

    def __init__(self, untuned: bool, defaults: bool) -> None:
        dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
        if dask is None:
            raise SystemExit("needs Dask distributed: pip install 'endgame-game[dask]'")
        port = _free_port()
        self.addr = f"tcp://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
        if not defaults:
            env.update(dask_environ())
        self.tmp = tempfile.mkdtemp(prefix="bench-dask-")
        quiet = {"cwd": self.tmp, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                        "--dashboard-address", ":0"], **quiet)]  # type: ignore[call-overload]
        from distributed import Client

        try:
            time.sleep(2)
            for _ in range(2):
                self.procs.append(subprocess.Popen([dask, "worker", self.addr, "--nworkers", "1", "--nthreads", "1",
                                                    "--host", "127.0.0.1", "--no-dashboard"], **quiet))  # type: ignore[call-overload]
            self.client = Client(self.addr, timeout="30s")
            self.client.wait_for_workers(2, timeout=60)
            if untuned:  # mark the allocator as done, so the first chunk leaves it as the nanny set it
                self.client.run(lambda: setattr(__import__("endgame_game.batch.runner", fromlist=["x"]),
                                                "_ALLOCATOR_TUNED", True))
            run(RULESET, games=4_000, seed=0, executor=self.client.get_executor(pure=False), chunk=250)  # warm up
            cached = self.client.run(_cached_models)
            assert all(cached.values()), f"a worker did not compile the ruleset in the warm-up: {cached}"
            self.workers = {int(p) for p in self.client.run(os.getpid).values()}
        except BaseException:
            self.close()
            raise

    def measure(self, games: int) -> dict[str, float]:
        sched, nannies = self.procs[0].pid, [p.pid for p in self.procs[1:]]
        workers = frozenset(self.workers)

        def snap() -> dict[str, float]:
            return {"scheduler": _cpu_of_tree([sched]), "nannies": _cpu_of_tree(nannies, exclude=workers),
                    "workers": _cpu_of_tree(list(workers))}

        s0, th0 = snap(), self.client.run(_task_threads_cpu)
        m = _run_child(games, self.addr)
        s1, th1 = snap(), self.client.run(_task_threads_cpu)
        out = {"client": m["self"] + m["children"], **{k: s1[k] - s0[k] for k in s0}}
        out["tasks"] = sum(th1.values()) - sum(th0.values())
        out["wall"] = m["wall"]
        return out

    def tuned(self) -> bool:
        return all(self.client.run(lambda: __import__("endgame_game.batch.runner", fromlist=["x"])._ALLOCATOR_TUNED
                                   and __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_") is not None).values())

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _cpu(m: dict[str, float]) -> float:
    return sum(v for k, v in m.items() if k not in ("wall", "tasks"))


def _line(label: str, games: int, m: dict[str, float]) -> str:
    cpu = _cpu(m)
    parts = ", ".join(f"{k} {v:.1f}" for k, v in m.items() if k not in ("wall", "tasks"))
    extra = f" (the chunks' threads {m['tasks']:.1f})" if "tasks" in m else ""
    return (f"{label:<13}: {cpu:7.1f} CPU-s {m['wall']:6.1f} s wall {games / cpu:9,.0f} games per CPU-second"
            f"  [{parts}{extra}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--games", type=int, default=160_000, help="games per run (default 160,000: 4 chunks of 40,000)")
    ap.add_argument("--rounds", type=int, default=1, help="pool and cluster runs, alternately (default 1 each)")
    ap.add_argument("--untuned", action="store_true", help="skip the allocator fix in the Dask workers (to see the cost)")
    ap.add_argument("--dask-defaults", action="store_true",
                    help="start the cluster with Dask's default settings, not runner.dask_environ() (to see the cost)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--scheduler", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return _child(args.games, args.scheduler)
    print(f"default scenario, doctrine agents, {args.games:,} games per run, 2 workers each; CPU-seconds "
          "(user + system) of every process of the run: the pool's parent and workers; the client, the "
          "scheduler, the nannies and the workers of the cluster (started and warmed up beforehand)")
    settings = "Dask's defaults" if args.dask_defaults else " ".join(f"{k}={v}" for k, v in dask_environ().items())
    print(f"cluster settings: {settings}")
    cluster = None
    totals = {"pool": 0.0, "dask": 0.0}
    label = "Dask (untuned)" if args.untuned else "Dask cluster"
    try:
        for r in range(args.rounds):
            p = pool(args.games)
            print(_line("process pool", args.games, p), flush=True)
            if cluster is None:
                cluster = Cluster(args.untuned, args.dask_defaults)
            d = cluster.measure(args.games)
            print(_line(label, args.games, d), flush=True)
            totals["pool"] += _cpu(p)
            totals["dask"] += _cpu(d)
            print(f"  round {r + 1}: cluster / pool, games per CPU-second: {_cpu(p) / _cpu(d):.2f}x", flush=True)
        assert cluster is not None
        print("allocator reset in the workers: " + ("skipped (--untuned)" if args.untuned else str(cluster.tuned())))
    finally:
        if cluster is not None:
            cluster.close()
    ratio = totals["pool"] / totals["dask"]
    print(f"cluster / pool, games per CPU-second{' (all rounds)' if args.rounds > 1 else ''}: {ratio:.2f}x "
          "(target >= 0.9x)")


if __name__ == "__main__":
    main()
