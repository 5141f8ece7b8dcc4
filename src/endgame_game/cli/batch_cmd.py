"""``endgame batch RULESET --games N``: many seeded AI games on a process pool; rows to CSV/Parquet; a summary.

Ctrl-C (or SIGTERM) once: no new chunk starts, running chunks finish, the rows so far are written and
summarised (exit 130; 143 after SIGTERM). Twice: the running chunks are abandoned (the workers are
killed) and the finished rows are still written whole. Every output target is checked before the first
game is played.
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

MAX_GAMES = 2**62


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
    add_agent_args(p, default="doctrine", default_text="doctrine, random where a role has none; "
                                                        "mixed: each game draws one of the role's doctrines")
    p.add_argument("--sweep", action="append", default=[], metavar="params.X=LO:HI:STEPS",
                   help="sweep a parameter over STEPS values from LO to HI (repeatable: the grid product)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="worker processes (default: one per core; more than the cores only with --oversubscribe)")
    p.add_argument("--oversubscribe", action="store_true", help="allow more --workers than this machine's cores")
    p.add_argument("--chunk", type=int, default=None, metavar="C", help="games per chunk (default 40000; 250 with a lookahead agent; fewer for small runs)")
    p.add_argument("--out", metavar="FILE", help="results file: .csv, or .parquet (needs pyarrow)")
    p.add_argument("--trajectories", metavar="FILE",
                   help="also write one row per game and turn (values, flags, scores, the moves taken) to FILE "
                        "(.csv or .parquet)")
    p.add_argument("--summary", action="store_true",
                   help="print score statistics too, and write FILE.summary.csv next to --out")
    p.add_argument("--json", action="store_true",
                   help="print the run (provenance, counts, the summary table) as JSON on stdout instead of the table")
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


def add_agent_args(p: argparse.ArgumentParser, default: str | None, default_text: str) -> None:
    """``--ai ROLE=AGENT`` and ``--agents AGENT``, meaning the same in ``batch`` and ``coverage``."""
    p.add_argument("--ai", action="append", default=[], metavar="ROLE=AGENT",
                   help="agents per role: random, doctrine[:name], mixed (one of the role's doctrines per game), "
                        "lookahead[:depth[:samples]], module:Class "
                        "(e.g. moscow=doctrine:hawk,kyiv=lookahead; repeatable)")
    p.add_argument("--agents", default=default, metavar="AGENT",
                   help=f"agent for roles not named in --ai (default: {default_text})")


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


def _check_args(args: argparse.Namespace) -> None:
    if not 1 <= args.games <= MAX_GAMES:
        raise EndgameError("--games must be between 1 and 2**62")
    if args.workers is not None and args.workers < 1:
        raise EndgameError("--workers must be 1 or more")
    if args.chunk is not None and args.chunk < 1:
        raise EndgameError("--chunk must be 1 or more")
    if args.scheduler and args.backend != "dask":
        raise EndgameError("--scheduler needs --backend dask")
    if not 0 <= args.seed < 2**63:
        raise EndgameError("--seed must be between 0 and 2**63 - 1")


def check_targets(args: argparse.Namespace) -> None:
    """Every file and folder the run will write, checked before the first game (not after an hour)."""
    from endgame_game.batch.results import check_target, sidecar_path

    for opt in ("out", "trajectories"):
        path = getattr(args, opt)
        if not path:
            continue
        p = Path(path)
        if p.suffix.lower() in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise EndgameError("writing Parquet needs pyarrow: pip install 'endgame-game[parquet]' "
                                   f"(or write CSV: --{opt} results.csv)") from None
        elif p.suffix.lower() == ".csv":
            check_target(sidecar_path(p), f"--{opt} (its provenance file)")
        elif not p.is_dir():
            raise EndgameError(f"--{opt} {p}: rows are written as .csv or .parquet")
        check_target(p, f"--{opt}")
    if args.out and args.trajectories and Path(args.out).resolve() == Path(args.trajectories).resolve():
        raise EndgameError("--out and --trajectories name the same file")
    if args.summary and args.out:
        check_target(_summary_path(Path(args.out)), "--summary")
        check_target(sidecar_path(_summary_path(Path(args.out))), "--summary (its provenance file)")
    if args.save_games:
        check_target(args.save_games, "--save-games", folder=True)


def run(args: argparse.Namespace) -> int:
    from endgame_game.ai.loading import parse_agent_specs
    from endgame_game.batch import make_grid
    from endgame_game.batch import run as run_batch
    from endgame_game.batch.runner import default_workers
    from endgame_game.engine import CompiledModel

    _check_args(args)
    check_targets(args)
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
    if args.games * grid.points > MAX_GAMES:
        raise EndgameError(f"too many games: {args.games:,} × {grid.points:,} sweep points is more than 2**62")
    cores = default_workers()
    if args.workers is not None and args.workers > cores and not args.oversubscribe and args.backend == "local":
        print(f"note: --workers {args.workers} capped at this machine's {cores} core(s) (--oversubscribe to force)",
              file=sys.stderr)

    stop = threading.Event()
    abort = threading.Event()
    signals: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        # Only set events here: raising from a signal handler could cut a row in half.
        signals.append(signum)
        if stop.is_set():
            abort.set()
            return
        stop.set()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"\nstopping ({name}): finishing the running chunks ({name} again to abandon them)",
              file=sys.stderr, flush=True)

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

    main_thread = threading.current_thread() is threading.main_thread()
    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    try:
        if progress_ctx is not None:
            progress_ctx.start()
        res = run_batch(model, args.games, args.seed, agents=specs, default_agent=args.agents, sweep=grid,
                        chunk=args.chunk, workers=args.workers, oversubscribe=args.oversubscribe, stop=stop,
                        abort=abort, on_progress=on_progress, backend=args.backend, scheduler=args.scheduler,
                        out=args.out, trajectories=args.trajectories)
    finally:
        if progress_ctx is not None:
            progress_ctx.stop()
        for sig, handler in old.items():
            signal.signal(sig, handler)

    rate = res.games / res.elapsed if res.elapsed > 0 else 0.0
    print(f"{res.games:,} games in {res.elapsed:.1f} s ({rate:,.0f} games/s, "
          f"{res.game_turns / max(res.elapsed, 1e-9):,.0f} game-turns/s)" + (" — stopped early" if res.stopped else ""),
          file=sys.stderr)
    prov = res.summary.provenance or {}
    summary_path = None
    if res.path is not None and args.summary:
        summary_path = _write_summary(res.summary, res.path)
    if args.json:
        from endgame_game.cli import print_json

        print_json({
            "provenance": prov, "games": res.games, "total": res.total, "stopped": res.stopped,
            "elapsed": res.elapsed, "game_turns": res.game_turns, "workers": res.workers,
            "rows": str(res.path) if res.path else None,
            "trajectories": str(res.trajectories) if res.trajectories else None,
            "summary_file": str(summary_path) if summary_path else None,
            "summary": res.summary.table()})
    else:
        rs = prov.get("ruleset", {})
        print(f"ruleset {rs.get('id')} {rs.get('version')} (sha256 {str(rs.get('sha256'))[:12]}…), "
              f"endgame {prov.get('endgame_version')}, seed {args.seed}, agents "
              + ", ".join(f"{k}={v}" for k, v in prov.get("agents", {}).items())
              + ("; --set " + ", ".join(f"{k}={v}" for k, v in prov.get("overrides", {}).items())
                 if prov.get("overrides") else ""))
        labels = {e.id: e.label or e.id for e in model.endings}
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        print(res.summary.format(scores=args.summary, labels=labels, width=width), end="")
        if res.path is not None:
            print(f"rows: {res.path}")
        else:
            print("(rows not written: add --out results.csv or --out results.parquet)")
        if res.trajectories is not None:
            print(f"trajectories: {res.trajectories}")
        if summary_path is not None:
            print(f"summary: {summary_path}")

    if save_dir is not None and which and not stop.is_set():
        _save_games(model, args, specs, grid, which, save_dir)
    if res.stopped and stop.is_set():
        return 143 if signals and signals[0] == signal.SIGTERM else 130
    return 0


def _summary_path(out: Path) -> Path:
    return out.with_name(out.stem + ".summary.csv")


def _write_summary(summary: Any, out: Path) -> Path:
    import csv

    from endgame_game.batch.results import sidecar_path, write_json

    rows = summary.table()
    path = _summary_path(out)
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=keys, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    except OSError as e:
        raise EndgameError(f"cannot write the summary {path}: {e.strerror or e} (the rows are in {out})") from None
    if summary.provenance is not None:
        write_json(sidecar_path(path), {**summary.provenance, "kind": "summary"})
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
        print(f"saved game {g}" + (f" of point {p}" if grid.points > 1 else "") + f": {path}",
              file=sys.stderr if args.json else sys.stdout)  # --json: stdout holds the JSON only
