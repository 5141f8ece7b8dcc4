"""Benchmark the ruleset language: load + validate + compile of the default ruleset, and expression
evaluation throughput (elements/s) at batch sizes 1, 1,000 and 100,000.

Run: python bench/bench_rules.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from endgame_game.engine import CompiledModel
from endgame_game.rules import check_file
from endgame_game.rules import expr as expr_mod
from endgame_game.rules.compile import compile_expr

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "rulesets" / "endgame-2024.toml"


def median_time(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    t_check = median_time(lambda: check_file(DEFAULT))
    t_all = median_time(lambda: CompiledModel.load(DEFAULT))
    model = CompiledModel.load(DEFAULT)
    n_expr = len(model.checked.trees)
    print(f"default ruleset: {n_expr} expressions, {len(model.moves)} moves, {len(model.symbols.values)} values")
    print(f"  load + validate:            {t_check * 1000:8.1f} ms (median of 7)")
    print(f"  load + validate + compile:  {t_all * 1000:8.1f} ms (median of 7)")

    # Every expression of the ruleset, evaluated over a batch: elements/s = batch * expressions / time.
    fns = [compile_expr(node, model.symbols, path, model._derived) for path, node in model.checked.trees.items()]
    sample = "clip(kyiv.manpower / 10, 0, 100) if winter else max(0, moscow.manpower - 500)"
    one = None
    try:
        one = compile_expr(expr_mod.parse(sample), model.symbols, "bench", model._derived)
    except Exception:  # the sample names may not exist in every version of the ruleset
        one = None
    print(f"\n{'batch':>8} {'all exprs: elements/s':>24} {'µs per expr':>12}" + ("  one-expr elements/s" if one else ""))
    base = None
    for batch in (1, 1_000, 100_000):
        st = model.new_state(batch=batch, seed=1)
        reps = 20 if batch < 100_000 else 3

        def run_all(st=st):
            with np.errstate(all="ignore"):
                for f in fns:
                    f(st)

        t = median_time(run_all, reps)
        rate = batch * len(fns) / t
        base = base or rate
        extra = ""
        if one is not None:
            t1 = median_time(lambda st=st: one(st), 50 if batch < 100_000 else 10)
            extra = f"  {batch / t1:>18,.0f}"
        print(f"{batch:>8,} {rate:>24,.0f} {t / len(fns) * 1e6:>12.2f}{extra}   (×{rate / base:,.0f} vs batch 1)")


if __name__ == "__main__":
    main()
