"""The RL environments' speed: env steps/s of the vector env at N = 1, 64 and 4,096 games per step,
the PettingZoo Parallel env one game at a time, and PettingZoo's classic tictactoe_v3 in the same run.

One env step is one turn of one game for the trained role (its opponents' orders included), with
uniformly random orders drawn from the action mask (the policy costs nothing here). The vector env's
figure is N × steps per second. tictactoe_v3 runs in the benchmark's own environment (see
bench/README.md: ``ENDGAME_PEER_PYTHON`` or ``.venv-bench``), since PettingZoo's classic games are not
our dependency; one of its steps is one player's move.

Run: .venv/bin/python bench/bench_rl.py [--seconds S] [--ruleset ID] [--role ROLE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import peer_python  # noqa: E402

from endgame_game.rl import parallel_env  # noqa: E402
from endgame_game.rl_vector import EndgameVectorEnv  # noqa: E402

TICTACTOE = r"""
import json, sys, time
import numpy as np
from pettingzoo.classic import tictactoe_v3
env = tictactoe_v3.env()
rng = np.random.default_rng(0)
steps, seed, seconds = 0, 0, float(sys.argv[1])
t0 = time.perf_counter()
while time.perf_counter() - t0 < seconds:
    env.reset(seed=seed); seed += 1
    for agent in env.agent_iter():
        obs, rew, term, trunc, info = env.last()
        env.step(None if term or trunc else int(rng.choice(np.flatnonzero(obs["action_mask"]))))
        steps += 1
print(json.dumps({"steps_per_s": steps / (time.perf_counter() - t0)}))
"""


def vector_rate(ruleset: str, role: str, n: int, seconds: float) -> float:
    env = EndgameVectorEnv(ruleset, role=role, num_envs=n)
    rng = np.random.default_rng(0)
    _obs, infos = env.reset(seed=0)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds or steps == 0:
        legal = infos["action_mask"].reshape(n, -1, 2)[:, :, 1]
        action = (rng.random(legal.shape) < 0.3) & legal.astype(bool)
        _obs, _r, _t, _tr, infos = env.step(action.astype(np.int64))
        steps += 1
    return steps * n / (time.perf_counter() - t0)


def parallel_rate(ruleset: str, role: str, seconds: float) -> float:
    env = parallel_env(ruleset, roles=[role], action_mode="multi")
    rng = np.random.default_rng(0)
    steps, seed = 0, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        obs, _ = env.reset(seed=seed)
        seed += 1
        while env.agents:
            legal = obs[role]["legal"].astype(bool)
            obs, *_ = env.step({role: ((rng.random(legal.shape) < 0.3) & legal).astype(np.int64)})
            steps += 1
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement (default 5)")
    ap.add_argument("--ruleset", default="endgame-2024")
    ap.add_argument("--role", default="kyiv")
    args = ap.parse_args()
    print(f"{args.ruleset}, role {args.role} against the doctrines, random masked orders")
    rates = {}
    for n in (1, 64, 4096):
        rates[n] = vector_rate(args.ruleset, args.role, n, args.seconds)
        print(f"  vector env, N = {n:>5,}: {rates[n]:>10,.0f} env steps/s")
    pz = parallel_rate(args.ruleset, args.role, args.seconds)
    print(f"  PettingZoo Parallel env, one game: {pz:,.0f} steps/s")
    py = peer_python()
    if py is None:
        print("  tictactoe_v3: skipped (no peer environment: see bench/README.md)")
        return
    try:
        out = subprocess.run([py, "-c", TICTACTOE, str(args.seconds)], capture_output=True, text=True, check=True,
                             timeout=120 + 2 * args.seconds)
        ttt = json.loads(out.stdout.strip().splitlines()[-1])["steps_per_s"]
    except (subprocess.SubprocessError, OSError, ValueError) as e:
        print(f"  tictactoe_v3: peer run failed with {py}: {e}")
        return
    print(f"  PettingZoo classic tictactoe_v3: {ttt:,.0f} steps/s")
    for n, r in rates.items():
        print(f"  vector env N = {n:,} / tictactoe_v3: {r / ttt:.2f}x")


if __name__ == "__main__":
    main()
