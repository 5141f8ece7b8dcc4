"""Batch throughput (issue 5's benchmark): full default-scenario games with doctrine agents.

Prints, all measured in this run:

1. ``endgame batch`` (``batch.run``) games/s and game-turns/s at 1 and 2 workers (target: ≥ 1,000,000
   game-turns/s with both cores);
2. the per-game-turn ratio against a plain Python loop over single games (``Game`` batch of one,
   ``ai.run_games``, one game after another);
3. the lookahead agent's cost and strength: Kyiv played by ``lookahead:2:1`` (2 turns, one rollout) and
   by the default ``lookahead`` (4 turns, 8 rollouts per candidate), with Kyiv's mean score against
   its doctrine's on the same games;
4. a peer comparison: PettingZoo classic tictactoe_v3 and connect_four_v3 with random legal actions
   (steps/s, games/s), run by the interpreter of the benchmark's own environment (see bench/README.md:
   ``ENDGAME_PEER_PYTHON`` or ``.venv-bench``), since PettingZoo's classic games are not our dependency;
5. with ``--profile``: where one 40,000-game chunk spends its time (cProfile, top functions);
6. with ``--baseline DIR`` (or ``ENDGAME_BASELINE_PYTHON``): this checkout against another one, in the same run
   and interleaved, each measurement in a fresh process: batch game-turns/s at 1 and 2 workers and peak RSS
   per process (the main process and the largest worker) at 10**6 games, the lookahead's game-turns/s, and
   the app's end-of-game report (10,000 AI games on ``mixed``, one core, one process). This checkout is
   measured on the numpy path (``ENDGAME_KERNELS=numpy``) and, when numba is installed (the ``fast``
   extra), with the compiled kernels. The ratios are the point: absolute figures move with the machine's load.

A game-turn is one turn of one game; a decision is one actor's orders for one game-turn.

Run: .venv/bin/python bench/bench_batch.py [--quick] [--profile] [--baseline DIR] [--only-baseline]

A baseline is any checkout with its own environment, for example the commit before the fast path::

    git worktree add ../endgame-base <commit>          # or: git archive <commit> | tar -x -C ../endgame-base
    python3 -m venv ../endgame-base/.venv && ../endgame-base/.venv/bin/pip install -e ../endgame-base
    .venv/bin/python bench/bench_batch.py --baseline ../endgame-base --only-baseline

``--baseline DIR`` uses ``DIR/.venv/bin/python``; ``ENDGAME_BASELINE_PYTHON`` names another interpreter
that has the baseline installed. Both sides play the same ruleset file (this checkout's ``rulesets/``)
unless the baseline cannot load it, in which case its own copy is used and the bench says so.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

from endgame_game.ai import make_agents, run_games
from endgame_game.batch import DEFAULT_CHUNK, run
from endgame_game.engine import CompiledModel
from endgame_game.engine.api import Game

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "rulesets" / "endgame-2024.toml"

PEER = r"""
import json, sys, time
import numpy as np
from pettingzoo.classic import connect_four_v3, tictactoe_v3

def bench(mod, seconds):
    env = mod.env()
    rng = np.random.default_rng(0)
    steps = games = 0
    t0 = time.perf_counter()
    seed = 0
    while time.perf_counter() - t0 < seconds:
        env.reset(seed=seed); seed += 1
        for agent in env.agent_iter():
            obs, rew, term, trunc, info = env.last()
            if term or trunc:
                action = None
            else:
                legal = np.flatnonzero(obs["action_mask"])
                action = int(rng.choice(legal))
            env.step(action)
            steps += 1
        games += 1
    dt = time.perf_counter() - t0
    return {"steps_per_s": steps / dt, "games_per_s": games / dt}

seconds = float(sys.argv[1])
print(json.dumps({"tictactoe_v3": bench(tictactoe_v3, seconds), "connect_four_v3": bench(connect_four_v3, seconds)}))
"""


MEASURE = r"""
import json, os, resource, sys, tempfile, time
t_start = time.perf_counter()
args = json.loads(sys.argv[1])
from endgame_game.batch.runner import run
from endgame_game.engine import CompiledModel

def cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

out = {}
model = CompiledModel.load(args["ruleset"])
c0, t0 = cpu(), time.perf_counter()
if args["kind"] == "report":
    with tempfile.TemporaryDirectory() as d:
        res = run(model, args["games"], seed=0, workers=1, out=os.path.join(d, "ai-games.csv"), default_agent="mixed")
    out["since_start"] = time.perf_counter() - t_start
else:
    res = run(model, args["games"], seed=1, workers=args["workers"], agents=args.get("agents") or None)
out["seconds"] = time.perf_counter() - t0
out["cpu"] = cpu() - c0
out["game_turns"] = res.game_turns
out["rate"] = res.game_turns / out["seconds"]
out["rss_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["rss_child"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def baseline_python(arg: str | None) -> str | None:
    env = os.environ.get("ENDGAME_BASELINE_PYTHON")
    if env:
        return env
    if arg:
        for cand in (Path(arg) / ".venv" / "bin" / "python", Path(arg) / ".venv" / "Scripts" / "python.exe"):
            if cand.exists():
                return str(cand)
        raise SystemExit(f"--baseline {arg}: no .venv/bin/python there (see --help), or set ENDGAME_BASELINE_PYTHON")
    return None


def measure(python: str, args: dict[str, object], env: dict[str, str] | None = None) -> dict[str, float]:
    """One measurement in a fresh process of ``python`` (its own installed endgame_game)."""
    full = {**os.environ, **(env or {})}
    out = subprocess.run([python, "-c", MEASURE, json.dumps(args)], capture_output=True, text=True, env=full,
                         timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def compare_with_baseline(base_py: str, baseline_dir: str | None, quick: bool) -> None:
    import importlib.util
    import sys

    variants: list[tuple[str, str, dict[str, str]]] = [("this, numpy path", sys.executable, {"ENDGAME_KERNELS": "numpy"})]
    if importlib.util.find_spec("numba") is not None:
        variants.append(("this, numba kernels", sys.executable, {"ENDGAME_KERNELS": "auto"}))
    variants.append(("baseline", base_py, {}))
    ruleset = {name: str(DEFAULT) for name, _, _ in variants}
    try:
        measure(base_py, {"kind": "batch", "ruleset": str(DEFAULT), "games": 50, "workers": 1})
    except RuntimeError as e:
        own = Path(baseline_dir or ".") / "rulesets" / DEFAULT.name
        print(f"   the baseline cannot play {DEFAULT} ({e}); it plays its own {own}")
        ruleset["baseline"] = str(own)
    n = 100_000 if quick else 1_000_000
    plan: list[tuple[str, dict[str, object]]] = [
        ("batch, 1 worker", {"kind": "batch", "games": n // 4, "workers": 1}),
        ("batch, 2 workers", {"kind": "batch", "games": n, "workers": 2}),
        ("lookahead (kyiv), 2 workers", {"kind": "batch", "games": 100 if quick else 200, "workers": 2,
                                          "agents": "kyiv=lookahead"}),
        ("report: 10,000 mixed AI games, 1 core", {"kind": "report", "games": 10_000}),
    ]
    print(f"\n6. against the baseline ({base_py}), interleaved, each in a fresh process; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for title, args in plan:
        print(f"   {title}:")
        got: dict[str, dict[str, float]] = {}
        for name, py, env in variants:
            try:
                got[name] = r = measure(py, {**args, "ruleset": ruleset[name]}, env)
            except (RuntimeError, subprocess.SubprocessError) as e:
                print(f"     {name:<20} failed: {e}")
                continue
            extra = (f"; {r['seconds']:.2f} s for the batch, {r['since_start']:.2f} s from process start"
                     if args["kind"] == "report" else
                     f"; peak RSS main {r['rss_self']:,.0f} MB, largest worker {r['rss_child']:,.0f} MB")
            print(f"     {name:<20} {r['rate']:11,.0f} game-turns/s ({r['game_turns'] / r['cpu']:11,.0f} per CPU-second)"
                  + extra)
        if "baseline" in got:
            b = got["baseline"]
            for name in got:
                if name != "baseline":
                    r = got[name]
                    print(f"     {name} / baseline: ×{r['rate'] / b['rate']:.2f} wall, "
                          f"×{(r['game_turns'] / r['cpu']) / (b['game_turns'] / b['cpu']):.2f} per CPU-second")
    print(f"   load average at the end {os.getloadavg()[0]:.2f}")


def peer_python() -> str | None:
    env = os.environ.get("ENDGAME_PEER_PYTHON")
    if env:
        return env
    for cand in (ROOT / ".venv-bench" / "bin" / "python", ROOT / ".venv-bench" / "Scripts" / "python.exe"):
        if cand.exists():
            return str(cand)
    return None


def decisions_per_turn(model: CompiledModel) -> int:
    return sum(1 for a in range(len(model.actors)) if model.moves_of[a])


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def batch_rate(games: int, workers: int, agents: str = "", chunk: int | None = None) -> tuple[float, float, float, float]:
    """(games/s, game-turns/s, wall seconds, CPU seconds) of one ``batch.run``."""
    c0 = cpu_seconds()
    res = run(DEFAULT, games=games, seed=1, agents=agents or None, workers=workers, chunk=chunk)
    assert not res.stopped
    return res.games / res.elapsed, res.game_turns / res.elapsed, res.elapsed, cpu_seconds() - c0


def kyiv_strength(games: int, spec: str, workers: int) -> tuple[float, float, float]:
    """(game-turns/s, Kyiv's mean score, its standard error) with Kyiv on ``spec``, the rest on doctrine."""
    res = run(DEFAULT, games=games, seed=1, agents=f"kyiv={spec}", workers=workers)
    st = res.summary.points[0].scores["score.kyiv"]
    return res.game_turns / res.elapsed, st.mean, st.sd / st.n ** 0.5


def single_loop_rate(model: CompiledModel, games: int) -> float:
    agents = make_agents(model, {})
    t0 = time.perf_counter()
    turns = 0
    for i in range(games):
        g = Game(model, seed=1, games=np.array([i], dtype=np.uint64), log=False, history=False)
        run_games(g, agents, validate=False)
        turns += int(g.state.end_turn[0])
    return turns / (time.perf_counter() - t0)


def profile_chunk(model: CompiledModel, batch: int) -> str:
    agents = make_agents(model, {})
    g = Game(model, seed=1, batch=batch, log=False, history=False)
    pr = cProfile.Profile()
    pr.enable()
    run_games(g, agents, validate=False)
    pr.disable()
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="A baseline is" + __doc__.split("A baseline is", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer games (noisier)")
    ap.add_argument("--profile", action="store_true", help="profile one default (40,000-game) chunk")
    ap.add_argument("--peer-seconds", type=float, default=2.0)
    ap.add_argument("--baseline", metavar="DIR", help="a checkout to compare with, with DIR/.venv (see above)")
    ap.add_argument("--only-baseline", action="store_true", help="run only the comparison with the baseline (6.)")
    args = ap.parse_args()
    base_py = baseline_python(args.baseline)
    if args.only_baseline:
        if base_py is None:
            raise SystemExit("--only-baseline needs --baseline DIR or ENDGAME_BASELINE_PYTHON")
        compare_with_baseline(base_py, args.baseline, args.quick)
        return
    model = CompiledModel.load(DEFAULT)
    dec = decisions_per_turn(model)
    n = 100_000 if args.quick else 400_000  # whole default chunks on both workers
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other work on the machine slows the "
          "2-worker figure first)")
    print(f"default scenario {model.id}: {len(model.actors)} actors ({dec} with moves), {len(model.moves)} moves, "
          f"{model.max_turns} turns max; doctrine agents (random where a role has none)")

    print("\n1. endgame batch (batch.run, default chunks)")
    r1 = batch_rate(n, 1)
    r2 = batch_rate(n, 2)
    for w, (gps, tps, dt, cpu) in ((1, r1), (2, r2)):
        print(f"   {w} worker(s): {n:,} games in {dt:5.1f} s: {gps:9,.0f} games/s {tps:11,.0f} game-turns/s "
              f"{tps * dec:12,.0f} decisions/s  ({cpu:.1f} CPU-s: {tps * dt / cpu:,.0f} game-turns per CPU-second)")
    print(f"   2 workers / 1 worker: ×{r2[1] / r1[1]:.2f};  target 1,000,000 game-turns/s: "
          f"{'reached' if r2[1] >= 1e6 else f'not reached ({r2[1] / 1e6:.1%} of it)'}")

    print("\n2. plain Python loop over single games (batch of one each)")
    n1 = 20 if args.quick else 60
    single = single_loop_rate(model, n1)
    print(f"   {n1} games one at a time: {single:9,.0f} game-turns/s;  batch (1 worker) per game-turn: ×{r1[1] / single:,.0f}, "
          f"(2 workers): ×{r2[1] / single:,.0f}")

    print("\n3. lookahead cost and strength (Kyiv plays it, everyone else doctrine; the same seeded games; 2 workers)")
    nl = 400 if args.quick else 1_000
    _, base_mean, base_se = kyiv_strength(nl, "doctrine", 2)
    print(f"   kyiv=doctrine                                                   Kyiv's mean score {base_mean:6.2f} ± {base_se:.2f}")
    for spec in ("lookahead:2:1", "lookahead"):
        tps, mean, se = kyiv_strength(nl, spec, 2)
        print(f"   kyiv={spec:<16} {tps:9,.0f} game-turns/s, ×{r2[1] / tps:5.0f} the cost (vs 1.);  "
              f"Kyiv's mean score {mean:6.2f} ± {se:.2f}")

    print("\n4. peer comparison (random legal actions; one step = one agent's action)")
    py = peer_python()
    if py is None:
        print("   skipped: no peer environment (see bench/README.md: set ENDGAME_PEER_PYTHON or create .venv-bench)")
    else:
        try:
            out = subprocess.run([py, "-c", PEER, str(args.peer_seconds)], capture_output=True, text=True, check=True,
                                 timeout=120)
            peers = json.loads(out.stdout.strip().splitlines()[-1])
            for name, v in peers.items():
                print(f"   PettingZoo {name:<16} {v['steps_per_s']:9,.0f} steps/s {v['games_per_s']:9,.0f} games/s")
            best = max(v["steps_per_s"] for v in peers.values())
            print(f"   endgame decisions/s (2 workers) / best PettingZoo steps/s: ×{r2[1] * dec / best:,.0f} "
                  f"(a PettingZoo step here is one move of a 2-player board game; ours is one actor's orders in a "
                  f"{len(model.moves)}-move, {dec}-actor turn)")
        except (subprocess.SubprocessError, OSError, ValueError, json.JSONDecodeError) as e:
            err = getattr(e, "stderr", "") or str(e)
            print(f"   peer run failed with {py}: {err.strip().splitlines()[-1] if err.strip() else e}")

    if args.profile:
        print(f"\n5. profile of one {DEFAULT_CHUNK:,}-game chunk (all doctrine), top functions by own time")
        print(profile_chunk(model, DEFAULT_CHUNK))
    if base_py is not None:
        compare_with_baseline(base_py, args.baseline, args.quick)


if __name__ == "__main__":
    main()
