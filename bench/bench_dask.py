"""A real local Dask cluster against the process pool, in one run: games per CPU-second.

Starts a scheduler and two single-threaded worker processes (``dask scheduler``, ``dask worker``, each
behind its nanny, as the docs say), all on loopback, and runs the same batch (default scenario,
doctrine agents) on it and on the local process pool with two workers. CPU time is counted for every
process involved (this one, the scheduler, the nannies and the workers; the pool's workers once
reaped), so the figure includes scheduling and serialisation, not only the chunks.

Target: the cluster's games per CPU-second ≥ 0.9 × the pool's. Before the allocator fix in the worker
(``batch.runner.tune_allocator``) it was about 0.25-0.3 ×: the nanny's ``MALLOC_TRIM_THRESHOLD_=65536``
made every chunk-sized temporary a fresh mmap. ``--untuned`` shows that figure again.

Run: .venv/bin/python bench/bench_dask.py [--games N] [--untuned]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from endgame_game.batch import run

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of_tree(pids: list[int]) -> float:
    """utime + stime of these processes and every descendant alive now (from /proc)."""
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
    seen, todo, total = set(), list(pids), 0.0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += stats.get(p, 0.0)
        todo += children.get(p, [])
    return total


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pool(games: int) -> tuple[float, float]:
    c0, k0, t0 = _self_cpu(), _children_cpu(), time.perf_counter()
    res = run("endgame-2024", games=games, seed=1, workers=2)
    wall = time.perf_counter() - t0
    cpu = (_self_cpu() - c0) + (_children_cpu() - k0)
    assert res.games == games
    return cpu, wall


def cluster(games: int, untuned: bool) -> tuple[float, float]:
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        raise SystemExit("needs Dask distributed: pip install 'endgame-game[dask]'")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ}
    if untuned:
        env["ENDGAME_BENCH_UNTUNED"] = "1"
    tmp = tempfile.mkdtemp(prefix="bench-dask-")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], cwd=tmp, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(2)
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", addr, "--nworkers", "1", "--nthreads", "1",
                                           "--host", "127.0.0.1", "--no-dashboard"], cwd=tmp, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(addr, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            if untuned:
                import endgame_game.batch.runner as runner

                client.run(lambda: setattr(__import__("endgame_game.batch.runner", fromlist=["x"]),
                                           "_ALLOCATOR_TUNED", True))
                del runner
            run("endgame-2024", games=2_000, seed=0, executor=client.get_executor(), chunk=1_000)  # warm up
            pids = [p.pid for p in procs]
            c0, t0, w0 = _self_cpu(), _cpu_of_tree(pids), time.perf_counter()
            work0 = client.run(_worker_cpu)
            res = run("endgame-2024", games=games, seed=1, backend="dask", scheduler=addr)
            wall = time.perf_counter() - w0
            cpu = (_self_cpu() - c0) + (_cpu_of_tree(pids) - t0)
            work = sum(client.run(_worker_cpu).values()) - sum(work0.values())
            tuned = client.run(lambda: __import__("endgame_game.batch.runner", fromlist=["x"])._ALLOCATOR_TUNED)
            print(f"  (of which the two worker processes: {work:.1f} CPU-s; allocator reset in the workers: "
                  f"{all(tuned.values())}; the rest is this process, the scheduler and the nannies)")
        assert res.games == games
        return cpu, wall
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--games", type=int, default=160_000, help="games per run (default 160,000: 4 chunks of 40,000)")
    ap.add_argument("--untuned", action="store_true", help="skip the allocator fix in the Dask workers (to see the cost)")
    args = ap.parse_args()
    print(f"default scenario, doctrine agents, {args.games:,} games per run, 2 workers each")
    pc, pw = pool(args.games)
    print(f"process pool : {pc:7.1f} CPU-s {pw:6.1f} s wall  {args.games / pc:9,.0f} games per CPU-second")
    dc, dw = cluster(args.games, args.untuned)
    label = "Dask (untuned)" if args.untuned else "Dask cluster"
    print(f"{label:<13}: {dc:7.1f} CPU-s {dw:6.1f} s wall  {args.games / dc:9,.0f} games per CPU-second")
    ratio = (args.games / dc) / (args.games / pc)
    print(f"cluster / pool, games per CPU-second: {ratio:.2f}x (target >= 0.9x)")


if __name__ == "__main__":
    main()
