"""Benchmark the app: start to first screen, and key press to screen update after ending a turn.

    .venv/bin/python bench/bench_app.py [--runs 7] [--ruleset endgame-2024] [--compare OTHER_CHECKOUT]

Headless (``App.run_test``) so it measures the app's own work: mounting, the turn's resolution in
the worker, and the re-render. Prints medians (and min/max) in milliseconds. ``--compare DIR`` runs
the same measurements on another checkout of the project (its ``src``) in the same run, alternating
the two so both see the same machine load, and prints each median with the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(os.environ.get("BENCH_APP_SRC", str(ROOT / "src")))  # --compare runs this file on another checkout
sys.path.insert(0, str(SRC))

from endgame_game.tui.app import make_app  # noqa: E402
from endgame_game.tui.screens.briefing import BriefingScreen  # noqa: E402
from endgame_game.tui.screens.ending import EndingScreen  # noqa: E402
from endgame_game.tui.screens.game import GameScreen  # noqa: E402
from endgame_game.tui.screens.title import TitleScreen  # noqa: E402
from endgame_game.tui.screens.turn_report import TurnReportScreen  # noqa: E402

SIZE = (120, 40)


async def wait_for(pilot, cls, limit: float = 30.0) -> None:
    end = time.perf_counter() + limit
    while not isinstance(pilot.app.screen, cls):
        if time.perf_counter() > end:
            raise TimeoutError(f"{cls.__name__} never showed (on {type(pilot.app.screen).__name__})")
        await asyncio.sleep(0.001)
    await pilot.pause()  # the screen has been laid out and rendered


async def start_to_first_screen(ruleset: str, role: str | None, saves: str) -> float:
    t0 = time.perf_counter()
    app = make_app(ruleset if role else None, [role] if role else [], seed=1, saves_dir=saves, animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, BriefingScreen if role else TitleScreen)
        dt = time.perf_counter() - t0
    return dt


async def end_turn_latencies(ruleset: str, role: str, saves: str) -> tuple[list[float], list[float]]:
    """(confirm key → turn report rendered, continue key → dashboard rendered) per turn."""
    resolve, back = [], []
    app = make_app(ruleset, [role], seed=1, saves_dir=saves, animate=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, BriefingScreen)
        await pilot.press("enter")
        await wait_for(pilot, GameScreen)
        while True:
            await pilot.press("enter")  # order the highlighted move
            await pilot.press("e")
            await pilot.pause()
            t0 = time.perf_counter()
            await pilot.press("y")
            await wait_for(pilot, (TurnReportScreen, EndingScreen))
            resolve.append(time.perf_counter() - t0)
            if app.session.game.done:
                break
            t0 = time.perf_counter()
            await pilot.press("enter")
            await wait_for(pilot, GameScreen)
            back.append(time.perf_counter() - t0)
    return resolve, back


def cold_start(ruleset: str, role: str) -> float:
    """A fresh Python process: import, build the app, run it headless to the first screen, exit."""
    code = (f"import asyncio,sys,time; t=time.perf_counter(); sys.path.insert(0,{str(SRC)!r});"
            "from endgame_game.tui.app import make_app;"
            f"app=make_app({ruleset!r},[{role!r}],seed=1,saves_dir=None,animate=False)\n"
            "async def m():\n"
            "    async with app.run_test(size=(120,40)) as p:\n"
            "        await p.pause()\n"
            "asyncio.run(m()); print(time.perf_counter()-t)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t0


def report(name: str, xs: list[float]) -> None:
    ms = [x * 1000 for x in xs]
    print(f"{name:<52} median {statistics.median(ms):8.1f} ms   min {min(ms):7.1f}   max {max(ms):7.1f}   n={len(ms)}")


def measure(ruleset: str, role: str, runs: int) -> dict[str, list[float]]:
    """Every measurement, in seconds."""
    with tempfile.TemporaryDirectory() as saves:
        asyncio.run(start_to_first_screen(ruleset, role, saves))  # warm-up (imports, caches)
        out = {
            "start → title screen (in process)":
                [asyncio.run(start_to_first_screen(ruleset, None, saves)) for _ in range(runs)],
            "start → first game screen (briefing, in process)":
                [asyncio.run(start_to_first_screen(ruleset, role, saves)) for _ in range(runs)],
        }
        resolve, back = asyncio.run(end_turn_latencies(ruleset, role, saves))
        out["confirm end turn (y) → turn report shown"] = resolve
        out["continue (⏎) → dashboard updated"] = back
    return out


def compare(other: Path, args: argparse.Namespace) -> int:
    """This checkout against ``other``, alternating rounds in fresh processes."""
    trees = {"this": ROOT / "src", "other": other.resolve() / "src"}
    if not (trees["other"] / "endgame_game").is_dir():
        print(f"--compare {other}: no src/endgame_game there", file=sys.stderr)
        return 2
    got: dict[str, dict[str, list[float]]] = {"this": {}, "other": {}}
    for _ in range(args.rounds):
        for name, src in trees.items():
            env = {**os.environ, "BENCH_APP_SRC": str(src)}
            cmd = [sys.executable, __file__, "--json", "--runs", str(args.runs), "--ruleset", args.ruleset,
                   "--role", args.role]
            res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
            for k, xs in json.loads(res.stdout.strip().splitlines()[-1]).items():
                got[name].setdefault(k, []).extend(xs)
    print(f"app benchmark: {args.ruleset} as {args.role}, {SIZE[0]}x{SIZE[1]}, headless; "
          f"this = {trees['this'].parent}, other = {trees['other'].parent}; {args.rounds} alternating rounds")
    for k in got["this"]:
        a, b = statistics.median(got["this"][k]) * 1000, statistics.median(got["other"][k]) * 1000
        print(f"{k:<52} this {a:8.1f} ms   other {b:8.1f} ms   ratio {a / b:5.2f}   n={len(got['this'][k])}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--ruleset", default="endgame-2024")
    ap.add_argument("--role", default="kyiv")
    ap.add_argument("--compare", metavar="DIR", help="another checkout to measure in the same run (e.g. main)")
    ap.add_argument("--rounds", type=int, default=3, help="with --compare: alternating rounds (default 3)")
    ap.add_argument("--json", action="store_true", help="print the raw measurements as one JSON line")
    args = ap.parse_args()
    if args.compare:
        return compare(Path(args.compare), args)
    if args.json:
        print(json.dumps(measure(args.ruleset, args.role, args.runs)))
        return 0
    with tempfile.TemporaryDirectory() as saves:
        asyncio.run(start_to_first_screen(args.ruleset, args.role, saves))  # warm-up (imports, caches)
        print(f"app benchmark: {args.ruleset} as {args.role}, {SIZE[0]}x{SIZE[1]}, headless, {args.runs} runs")
        report("start → title screen (in process)",
               [asyncio.run(start_to_first_screen(args.ruleset, None, saves)) for _ in range(args.runs)])
        report("start → first game screen (briefing, in process)",
               [asyncio.run(start_to_first_screen(args.ruleset, args.role, saves)) for _ in range(args.runs)])
        report("cold process: python start → first screen → exit",
               [cold_start(args.ruleset, args.role) for _ in range(max(3, args.runs // 2))])
        resolve, back = asyncio.run(end_turn_latencies(args.ruleset, args.role, saves))
        report("confirm end turn (y) → turn report shown", resolve)
        report("continue (⏎) → dashboard updated", back)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
