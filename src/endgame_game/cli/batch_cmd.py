"""``endgame batch RULESET --games N``: many seeded AI games on a process pool; rows to CSV/Parquet; a summary.

Ctrl-C once: no new chunk starts, running chunks finish, the rows so far are written and summarised
(exit 130). Ctrl-C twice: stop at once.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from endgame_game.cli.common import add_ruleset_args, overrides
from endgame_game.errors import EndgameError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "batch", help="run many seeded AI games (sweeps, process pool or Dask); rows to CSV/Parquet, a summary",
        description="Run N seeded AI games per sweep point in chunks on a process pool (one worker per core), "
                    "write one row per game and print ending frequencies with 95% intervals per sweep point. "
                    "The same seed gives the same rows whatever --workers or --chunk. Every sweep point plays the "
                    "same game indices 0..N-1 (common random numbers).",
        epilog="example: endgame batch endgame-2024 --games 100000 --ai moscow=doctrine:hawk,kyiv=lookahead "
               "--sweep params.ua_recruits=15:40:6 --sweep params.western_shells=80:250:6 --out runs.parquet")
    add_ruleset_args(p)
    p.add_argument("--games", type=int, default=1000, metavar="N", help="games per sweep point (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="the seed (default 0)")
    p.add_argument("--ai", action="append", default=[], metavar="ROLE=AGENT",
                   help="agents per role: random, doctrine[:name], mixed (one of the role's doctrines per game), "
                        "lookahead[:depth[:samples]], package.module:Class "
                        "(e.g. moscow=doctrine:hawk,kyiv=lookahead; repeatable)")
    p.add_argument("--agents", default="doctrine", metavar="AGENT",
                   help="agent for roles not named in --ai (default: doctrine, random where a role has none; "
                        "mixed: each game draws one of the role's doctrines)")
    p.add_argument("--sweep", action="append", default=[], metavar="params.X=LO:HI:STEPS",
                   help="sweep a parameter over STEPS values from LO to HI (repeatable: the grid product)")
    p.add_argument("--workers", type=int, default=None, metavar="W", help="worker processes (default: one per core)")
    p.add_argument("--chunk", type=int, default=None, metavar="C", help="games per chunk (default 40000; 250 with a lookahead agent; fewer for small runs)")
    p.add_argument("--out", metavar="FILE", help="results file: .csv, or .parquet (needs pyarrow)")
    p.add_argument("--summary", action="store_true",
                   help="print score statistics too, and write FILE.summary.csv next to --out")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local process pool (default) or a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --backend dask: a local cluster)")
    p.add_argument("--save-games", metavar="DIR", help="re-play selected games alone and save them in DIR")
    p.add_argument("--save-which", default="0", metavar="LIST",
                   help="games to save: game indices (at every sweep point) or POINT:GAME, e.g. 0,5,17 or 2:17 "
                        "(default 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    return p


def _which(text: str, games: int, points: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            if ":" in item:
                p, g = (int(x) for x in item.split(":"))
                pairs = [(p, g)]
            else:
                g = int(item)
                pairs = [(p, g) for p in range(points)]
        except ValueError:
            raise EndgameError(f"bad --save-which item {item!r}: expected GAME or POINT:GAME") from None
        for p, g in pairs:
            if not 0 <= g < games:
                raise EndgameError(f"--save-which: no game {g} (games are 0..{games - 1})")
            if not 0 <= p < points:
                raise EndgameError(f"--save-which: no sweep point {p} (points are 0..{points - 1})")
            out.append((p, g))
    return out


def _fmt_eta(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class _PlainProgress:
    """Progress as a line every few seconds (for logs and pipes)."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self.last = 0.0

    def __call__(self, pr: Any) -> None:
        now = time.monotonic()
        if now - self.last < self.every and pr.done < pr.total:
            return
        self.last = now
        print(f"{pr.done:,}/{pr.total:,} games ({pr.done / max(1, pr.total):.0%}), {pr.rate:,.0f} games/s, "
              f"ETA {_fmt_eta(pr.eta)}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from endgame_game.ai.loading import parse_agent_specs
    from endgame_game.batch import make_grid
    from endgame_game.batch import run as run_batch
    from endgame_game.engine import CompiledModel

    if args.games < 1:
        raise EndgameError("--games must be 1 or more")
    if args.workers is not None and args.workers < 1:
        raise EndgameError("--workers must be 1 or more")
    if args.chunk is not None and args.chunk < 1:
        raise EndgameError("--chunk must be 1 or more")
    if args.scheduler and args.backend != "dask":
        raise EndgameError("--scheduler needs --backend dask")
    if args.out and Path(args.out).suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise EndgameError("writing Parquet needs pyarrow: pip install 'endgame-game[parquet]' "
                               "(or write CSV: --out results.csv)") from None
    save_dir = Path(args.save_games) if args.save_games else None
    if save_dir is not None:
        try:
            import endgame_game.saves  # noqa: F401
        except ImportError:
            raise EndgameError("--save-games needs the saves module, which this installation lacks") from None

    model = CompiledModel.load(args.ruleset, overrides(args))
    specs = parse_agent_specs(args.ai)
    grid = make_grid(args.sweep)
    grid.check(model)
    which = _which(args.save_which, args.games, grid.points) if save_dir is not None else []

    stop = threading.Event()
    interrupts = 0

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts > 1:
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping: finishing the running chunks (Ctrl-C again to abort)", file=sys.stderr, flush=True)

    total = args.games * grid.points
    print(f"{model.meta.title}: {args.games:,} games × {grid.points} sweep point(s) = {total:,} games, seed {args.seed}",
          file=sys.stderr)
    progress_ctx: Any = None
    on_progress: Any = None
    if not args.no_progress:
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            progress_ctx = Progress(TextColumn("games"), BarColumn(), MofNCompleteColumn(),
                                    TextColumn("{task.fields[rate]} games/s"), TextColumn("ETA"),
                                    TimeRemainingColumn(), console=Console(stderr=True), transient=False)
            task = progress_ctx.add_task("batch", total=total, rate="-")

            def on_progress(pr: Any) -> None:
                progress_ctx.update(task, completed=pr.done, rate=f"{pr.rate:,.0f}")
        else:
            on_progress = _PlainProgress()

    old = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() else None
    try:
        if progress_ctx is not None:
            progress_ctx.start()
        res = run_batch(model, args.games, args.seed, agents=specs, default_agent=args.agents, sweep=grid,
                        chunk=args.chunk, workers=args.workers, stop=stop, on_progress=on_progress,
                        backend=args.backend, scheduler=args.scheduler, out=args.out)
    finally:
        if progress_ctx is not None:
            progress_ctx.stop()
        if old is not None:
            signal.signal(signal.SIGINT, old)

    rate = res.games / res.elapsed if res.elapsed > 0 else 0.0
    print(f"{res.games:,} games in {res.elapsed:.1f} s ({rate:,.0f} games/s, "
          f"{res.game_turns / max(res.elapsed, 1e-9):,.0f} game-turns/s)" + (" — stopped early" if res.stopped else ""),
          file=sys.stderr)
    labels = {e.id: e.label or e.id for e in model.endings}
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    print(res.summary.format(scores=args.summary, labels=labels, width=width), end="")
    if res.path is not None:
        print(f"rows: {res.path}")
        if args.summary:
            path = _write_summary(res.summary, res.path)
            print(f"summary: {path}")
    else:
        print("(rows not written: add --out results.csv or --out results.parquet)")

    if save_dir is not None and which and not stop.is_set():
        _save_games(model, args, specs, grid, which, save_dir)
    return 130 if res.stopped and stop.is_set() else 0


def _write_summary(summary: Any, out: Path) -> Path:
    import csv

    rows = summary.table()
    path = out.with_name(out.stem + ".summary.csv")
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _save_games(model: Any, args: argparse.Namespace, specs: dict[str, str], grid: Any,
                which: list[tuple[int, int]], folder: Path) -> None:
    from endgame_game.batch import replay_game
    from endgame_game.saves import save_game

    folder.mkdir(parents=True, exist_ok=True)
    for p, g in which:
        game, agents = replay_game(model, args.seed, g, point=p, agents=specs, default_agent=args.agents, sweep=grid)
        name = f"{model.id}-s{args.seed}-g{g}" + (f"-p{p}" if grid.points > 1 else "") + ".toml"
        meta = {"batch": {"seed": args.seed, "point": p, "game": g, **grid.point(p)}}
        path = save_game(game, folder / name,
                         agents={a: str(specs.get(a) or getattr(ag, "spec", type(ag).__name__)) for a, ag in agents.items()}, meta=meta)
        print(f"saved game {g}" + (f" of point {p}" if grid.points > 1 else "") + f": {path}")
