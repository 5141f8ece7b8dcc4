"""Engine throughput: game-turns per second with random orders, by batch size (issue 3's benchmark).

For the tutorial and the default ruleset, at batch sizes 1, 100, 10,000 and 100,000:

* ``engine``: the engine alone — each turn, every actor's legal-move mask (``orders.legal_mask``), one
  random legal move per actor drawn with numpy, then ``engine.turn.step``;
* ``agents``: the full AI loop with the built-in random agent for every role (observation with
  intelligence noise, ``weighted_picks`` within action points and costs, ``Game.step``).

A game-turn is one turn of one game that has not ended. It prints game-turns/s, the ratio per
game-turn of batch 10,000 to batch 1 (target ≥ 200×), and the peak memory per game at batch 100,000
(tracemalloc over two turns, which sees numpy's allocations).

Run: .venv/bin/python bench/bench_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import CompiledModel
from endgame_game.engine.api import Game
from endgame_game.engine.orders import legal_mask
from endgame_game.engine.turn import step

ROOT = Path(__file__).resolve().parents[1]
RULESETS = {"tutorial": ROOT / "rulesets" / "tutorial.toml", "endgame-2024": ROOT / "rulesets" / "endgame-2024.toml"}


def random_orders(model: CompiledModel, state, rng: np.random.Generator) -> np.ndarray:  # noqa: ANN001
    """One uniformly random legal move (or none) per actor and game."""
    B = state.batch
    orders = np.zeros((B, len(model.moves)), dtype=bool)
    for a in range(len(model.actors)):
        slots = model.moves_of[a]
        if not slots:
            continue
        mask = legal_mask(model, state, a)[:, slots]
        pick = rng.integers(0, len(slots) + 1, size=B)  # len(slots) = pass
        ok = pick < len(slots)
        rows = np.nonzero(ok)[0]
        chosen = np.zeros_like(mask)
        chosen[rows, pick[rows]] = True
        orders[:, slots] = chosen & mask
    return orders


def engine_run(model: CompiledModel, batch: int, max_turns: int | None = None, seed: int = 1) -> int:
    st = model.new_state(batch=batch, seed=seed)
    rng = np.random.default_rng(seed)
    turns = 0
    while not st.ended.all() and (max_turns is None or turns < max_turns):
        before = int((~st.ended).sum())
        step(model, st, random_orders(model, st, rng))
        turns += before
    return turns


def agents_run(model: CompiledModel, batch: int, max_turns: int | None = None, seed: int = 1) -> int:
    g = Game(model, seed=seed, batch=batch, log=False, history=False)
    agents = make_agents(model, {}, default="random")
    turns = 0
    while not g.done and (max_turns is None or turns < max_turns * batch):
        turns += int((~g.state.ended).sum())
        play_turn(g, agents, validate=False)
    return turns


def rate(fn, model: CompiledModel, batch: int, min_time: float, max_turns: int | None) -> float:  # noqa: ANN001
    """game-turns/s: repeat whole runs until ``min_time`` has passed."""
    t0 = time.perf_counter()
    turns = 0
    seed = 1
    while True:
        turns += fn(model, batch, max_turns, seed)
        seed += 1
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return turns / dt


def peak_per_game(fn, model: CompiledModel, batch: int) -> float:  # noqa: ANN001
    tracemalloc.start()
    fn(model, batch, 2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter timings, batch 100,000 limited to 3 turns")
    ap.add_argument("--sizes", default="1,100,10000,100000")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    min_time = 0.5 if args.quick else 2.0
    for name, path in RULESETS.items():
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        model = CompiledModel.load(path)
        print(f"\n{name}: {len(model.actors)} actors, {len(model.moves)} moves, {len(model.symbols.values)} values, "
              f"{model.max_turns} turns max")
        print(f"{'batch':>8} {'engine game-turns/s':>20} {'agents game-turns/s':>20}")
        rates: dict[int, tuple[float, float]] = {}
        for b in sizes:
            cap = 3 if (b >= 100_000 and args.quick) else None
            e = rate(engine_run, model, b, min_time, cap)
            a = rate(agents_run, model, b, min_time, cap)
            rates[b] = (e, a)
            print(f"{b:>8,} {e:>20,.0f} {a:>20,.0f}", flush=True)
        if 1 in rates and 10_000 in rates:
            (e1, a1), (e4, a4) = rates[1], rates[10_000]
            print(f"batch 10,000 / batch 1 per game-turn: engine ×{e4 / e1:,.0f}, agents ×{a4 / a1:,.0f} "
                  f"(target ≥ 200×)")
        big = max(sizes)
        print(f"peak memory per game at batch {big:,} (2 turns, tracemalloc): "
              f"engine {peak_per_game(engine_run, model, big):,.0f} B, agents {peak_per_game(agents_run, model, big):,.0f} B")


if __name__ == "__main__":
    main()
