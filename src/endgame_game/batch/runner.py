"""The batch runner: N seeded AI games per sweep point, in chunks, on a pool of workers.

    >>> from endgame_game.batch import run
    >>> res = run("endgame-2024", games=10_000, seed=1, agents="moscow=doctrine:hawk,kyiv=lookahead",
    ...           sweep=["params.ua_recruits=15:40:6"], out="runs.parquet")        # doctest: +SKIP
    >>> print(res.summary.format())                                                  # doctest: +SKIP

How the work is cut: the games of all sweep points form one sequence (point-major: point 0's games
``0..N-1``, then point 1's, ...); it is cut into chunks of ``chunk`` games, and each chunk is one
``engine.api.Game`` batch (the games of a chunk may belong to several points: parameters are
per game). Because every random draw is keyed by (seed, game index, turn, site), a game's result
does not depend on which chunk or worker played it; finished chunks are written in sequence order,
so the same seed gives the same rows and the same file whatever ``workers`` or ``chunk`` is.

Where the work runs is an ``Executor`` seam (``concurrent.futures``): in this process (one worker),
a ``ProcessPoolExecutor`` (default: one worker per core), a Dask cluster
(``backend="dask"``, ``client.get_executor()``), or any executor you pass. Workers load the
ruleset themselves, from its path or id, so a Dask cluster's workers need the package and the
ruleset file (a built-in id, or a path they can read).

Stopping: set the ``stop`` event (or press Ctrl-C): no new chunk starts, chunks already running
finish, and every finished row is kept and written. ``on_progress`` is called after each chunk
with a ``Progress``; both hooks make the runner easy to drive from a UI thread.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.ai.base import Agent
from endgame_game.ai.loading import BUILTIN, make_agents, parse_agent_specs
from endgame_game.ai.play import play_turn
from endgame_game.batch.results import Rows, Writer, concat, make_rows, n_rows, open_writer
from endgame_game.batch.summary import Summary
from endgame_game.batch.sweep import Axis, Grid, make_grid
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError

DASK_CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler before giving up with a clear error."""

DEFAULT_CHUNK = 40_000
"""Games per chunk: large enough that numpy work dominates the per-operation overhead, small enough to
stay in cache, to keep a worker near 170 MB and to stop within two seconds. Measured on the default
scenario, one worker (game-turns/s): 2,500 → 112k, 10,000 → 200k, 40,000 → 264k, 80,000 → 224k,
160,000 → 182k."""

LOOKAHEAD_CHUNK = 250
"""Games per chunk when a role plays lookahead: each real game is copied once per candidate and
rollout (about 80 copies), and each of its game-turns costs a few hundred doctrine game-turns."""


@dataclass(frozen=True)
class Progress:
    """How far a run is. ``done`` counts finished games (all sweep points together)."""

    done: int
    total: int
    elapsed: float
    game_turns: int = 0

    @property
    def rate(self) -> float:
        """Games per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first chunk)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        games: games finished (rows written).
        total: games asked for (points × games per point).
        stopped: the run was stopped (event or Ctrl-C) before every chunk finished.
        summary: per-point ending frequencies and score statistics.
        path: the results file, if one was written.
        rows: every row in memory (only with ``keep_rows=True``; keep it off for big runs).
        elapsed: wall-clock seconds.
        game_turns: turns played, summed over games.
    """

    games: int
    total: int
    stopped: bool
    summary: Summary
    path: Path | None
    rows: Rows | None
    elapsed: float
    game_turns: int


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of work, plain data so it pickles to any worker."""

    index: int
    ruleset: str
    overrides: tuple[tuple[str, Any], ...]
    seed: int
    agents: tuple[tuple[str, str], ...]
    default_agent: str
    start: int  # position in the point-major game sequence
    stop: int
    games_per_point: int
    point_params: np.ndarray  # [points, P]
    swept: tuple[str, ...]
    point_values: np.ndarray  # [points, axes]
    validate: bool


# -- the worker side --

_CACHE: dict[tuple[Any, ...], tuple[CompiledModel, dict[str, Agent]]] = {}


def _setup(ruleset: str, overrides: tuple[tuple[str, Any], ...], agents: tuple[tuple[str, str], ...],
           default_agent: str) -> tuple[CompiledModel, dict[str, Agent]]:
    key = (ruleset, overrides, agents, default_agent)
    if key not in _CACHE:
        model = CompiledModel.load(ruleset, dict(overrides) or None)
        _CACHE[key] = (model, make_agents(model, dict(agents), default=default_agent))
    return _CACHE[key]


def play_chunk(task: ChunkTask, model: CompiledModel | None = None, agents: Mapping[str, Agent] | None = None,
               stop: threading.Event | None = None) -> tuple[int, Rows, int]:
    """Play one chunk to the end; returns (chunk index, rows, game-turns played).

    In a worker process the model and agents are loaded once and cached; in-process runs pass them.
    A set ``stop`` (in-process only) abandons the chunk between turns (returns no rows).
    """
    if model is None or agents is None:
        model, agents = _setup(task.ruleset, task.overrides, task.agents, task.default_agent)
    flat = np.arange(task.start, task.stop, dtype=np.int64)
    points = flat // task.games_per_point
    games = (flat % task.games_per_point).astype(np.uint64)
    game = Game(model, seed=task.seed, games=games, params=task.point_params[points], log=False, history=False)
    while not game.done:
        if stop is not None and stop.is_set():
            return task.index, {}, 0
        play_turn(game, agents, validate=task.validate)
    swept = {c: task.point_values[points, j] for j, c in enumerate(task.swept)}
    rows = make_rows(game, task.seed, points, swept, agents)
    return task.index, rows, int(game.state.end_turn.sum())


def _ignore_sigint() -> None:
    # Ctrl-C goes to the whole process group; the parent decides, the workers finish their chunk.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _dask_executor(scheduler: str | None, workers: int) -> tuple[cf.Executor, Callable[[], None]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EndgameError("--backend dask needs Dask distributed: pip install 'endgame-game[dask]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, ValueError, TypeError) as e:  # unreachable, timed out, or not an address
            raise EndgameError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None

        def close() -> None:
            client.close()
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()
    return client.get_executor(pure=False), close


def _spec_ok(spec: str) -> bool:
    kind = spec.partition(":")[0]
    return kind in BUILTIN


def run(
    ruleset: str | Path | CompiledModel,
    games: int,
    seed: int = 0,
    *,
    agents: str | Mapping[str, str] | None = None,
    default_agent: str = "doctrine",
    overrides: Mapping[str, Any] | None = None,
    sweep: Iterable[str | Axis] | Mapping[str, Sequence[float]] | Grid | None = None,
    chunk: int | None = None,
    workers: int | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    executor: cf.Executor | None = None,
    out: str | Path | None = None,
    keep_rows: bool = False,
    validate: bool | None = None,
) -> RunResult:
    """Run ``games`` seeded AI games at every sweep point.

    Args:
        ruleset: a ruleset id, a path, or a ``CompiledModel`` (workers reload it from ``model.ref``).
        games: games per sweep point (every point plays game indices ``0..games-1``).
        seed: the seed (0 ≤ seed < 2**63).
        agents: ``"moscow=doctrine:hawk,kyiv=lookahead"`` or a mapping role → spec.
        default_agent: the agent for roles not named (``doctrine`` falls back to ``random``).
        overrides: ``--set`` overrides, ``{"params.x": 3}``.
        sweep: ``["params.x=LO:HI:STEPS", ...]``, ``{"params.x": [values]}`` or a ``Grid``.
        chunk: games per chunk (default ``DEFAULT_CHUNK``, smaller for small runs so every worker works).
        workers: processes (default one per core); 1 runs in this process.
        stop: set it to stop after the running chunks.
        on_progress: called with a ``Progress`` after every finished chunk, in this thread.
        backend: ``"local"`` or ``"dask"`` (with ``scheduler``, or a local Dask cluster without).
        executor: any ``concurrent.futures.Executor`` to run chunks on (overrides ``backend``).
        out: results file (``.csv``, or ``.parquet`` with pyarrow); rows stream to it chunk by chunk.
        keep_rows: also keep every row in memory (``RunResult.rows``).
        validate: check agents' orders (default: only when a role uses a user agent).

    Raises:
        EndgameError: bad arguments (unknown role, agent, parameter, sweep out of range...).
    """
    if games < 1:
        raise EndgameError("the number of games must be 1 or more")
    if not 0 <= seed < 2**63:
        raise EndgameError("the seed must be between 0 and 2**63 - 1")
    specs = parse_agent_specs(agents) if isinstance(agents, (str, list)) or agents is None else dict(agents)
    if isinstance(ruleset, CompiledModel):
        model = ruleset
        overrides = model.overrides if overrides is None else overrides
        if dict(overrides or {}) != model.overrides:
            model = CompiledModel.load(model.ref, overrides)
    else:
        model = CompiledModel.load(ruleset, overrides)
    ref = model.ref
    if Path(ref).exists():
        ref = str(Path(ref).resolve())
    inline_agents = make_agents(model, specs, default=default_agent)  # checks roles and specs now
    if validate is None:
        validate = not all(_spec_ok(s) for s in specs.values())
    grid = make_grid(sweep)
    grid.check(model)
    point_params = grid.params(model, model.param_defaults)
    point_values = grid.values()
    total = games * grid.points
    n_workers = default_workers() if workers is None else max(1, int(workers))
    if chunk is None:
        biggest = LOOKAHEAD_CHUNK if any(s.startswith("lookahead") for s in [*specs.values(), default_agent]) \
            else DEFAULT_CHUNK
        chunk = max(1, min(biggest, -(-total // (2 * n_workers))))  # at least two chunks per worker
    chunk = max(1, int(chunk))

    summary = Summary([e.id for e in model.endings], [f"score.{model.actors[a]}" for a in sorted(model.scores)],
                      point_values, grid.columns, games)
    writer: Writer | None = open_writer(out) if out is not None else None
    kept: list[Rows] = []

    base = dict(ruleset=ref, overrides=tuple(sorted((model.overrides or {}).items())), seed=int(seed),
                agents=tuple(sorted(specs.items())), default_agent=default_agent, games_per_point=games,
                point_params=point_params, swept=grid.columns, point_values=point_values, validate=validate)
    starts = range(0, total, chunk)
    tasks = (ChunkTask(index=i, start=s, stop=min(s + chunk, total), **base) for i, s in enumerate(starts))  # type: ignore[arg-type]
    n_tasks = len(starts)

    close: Callable[[], None] | None = None
    inline = False
    if executor is None:
        if backend == "dask":
            executor, close = _dask_executor(scheduler, n_workers)
        elif backend != "local":
            raise EndgameError(f"unknown backend {backend!r}: use local or dask")
        elif n_workers == 1 or n_tasks == 1:
            inline = True
        else:
            # Forked workers inherit the compiled model and agents (spawned ones load them once).
            _CACHE[(base["ruleset"], base["overrides"], base["agents"], default_agent)] = (model, inline_agents)
            pool = cf.ProcessPoolExecutor(max_workers=n_workers, initializer=_ignore_sigint)
            executor = pool

            def close() -> None:
                pool.shutdown(wait=True, cancel_futures=True)

    t0 = time.perf_counter()
    done_games = 0
    game_turns = 0
    written = 0
    next_index = 0
    buffered: dict[int, Rows] = {}
    stopped = False

    def deliver(index: int, rows: Rows, turns: int) -> None:
        nonlocal done_games, game_turns, next_index
        done_games += n_rows(rows)
        game_turns += turns
        buffered[index] = rows
        while next_index in buffered:
            r = buffered.pop(next_index)
            next_index += 1
            _emit(r)
        if on_progress is not None:
            on_progress(Progress(done_games, total, time.perf_counter() - t0, game_turns))

    def _emit(r: Rows) -> None:
        nonlocal written
        if not r:
            return
        if writer is not None:
            writer.write(r)
        summary.add(r)
        if keep_rows:
            kept.append(r)
        written += n_rows(r)

    try:
        if inline:
            for task in tasks:
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                try:
                    index, rows, turns = play_chunk(task, model, inline_agents, stop)
                except KeyboardInterrupt:
                    stopped = True
                    break
                if not rows:
                    stopped = True
                    break
                deliver(index, rows, turns)
        else:
            assert executor is not None
            window = 3 * n_workers
            pending: set[cf.Future[Any]] = set()
            task_iter = iter(tasks)
            exhausted = False
            try:
                while True:
                    while not exhausted and len(pending) < window and not (stop is not None and stop.is_set()):
                        t = next(task_iter, None)
                        if t is None:
                            exhausted = True
                            break
                        pending.add(executor.submit(play_chunk, t))
                    if not pending:
                        break
                    finished, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                    for f in finished:
                        deliver(*f.result())
                    if stop is not None and stop.is_set() and not stopped:
                        stopped = exhausted = True
                        for f in pending:
                            f.cancel()  # those not started yet; running chunks finish
                        pending = {f for f in pending if not f.cancelled()}
            except KeyboardInterrupt:
                stopped = True
                for f in pending:
                    f.cancel()
                # Chunks already running finish (workers ignore Ctrl-C); keep what they return.
                done, _ = cf.wait(pending, timeout=60)
                for f in done:
                    if not f.cancelled() and f.exception() is None:
                        deliver(*f.result())
        # Anything finished after a gap (only when stopped): keep it, in order.
        for index in sorted(buffered):
            _emit(buffered.pop(index))
    finally:
        if close is not None:
            close()
        if writer is not None:
            writer.close()

    return RunResult(written, total, stopped or written < total, summary, writer.path if writer else None,
                     concat(kept) if keep_rows else None, time.perf_counter() - t0, game_turns)


def replay_game(ruleset: str | Path | CompiledModel, seed: int, game: int, *, point: int = 0,
                agents: str | Mapping[str, str] | None = None, default_agent: str = "doctrine",
                overrides: Mapping[str, Any] | None = None,
                sweep: Iterable[str | Axis] | Mapping[str, Sequence[float]] | Grid | None = None) -> tuple[Game, dict[str, Agent]]:
    """Play game ``game`` of sweep point ``point`` alone (a batch of one, with logs and history),
    exactly as the batch played it; returns the finished game and its agents (e.g. to save it)."""
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    specs = parse_agent_specs(agents) if isinstance(agents, (str, list)) or agents is None else dict(agents)
    grid = make_grid(sweep)
    grid.check(model)
    if not 0 <= point < grid.points:
        raise EndgameError(f"no sweep point {point}: the grid has {grid.points}")
    params = grid.params(model, model.param_defaults)[point:point + 1]
    ag = make_agents(model, specs, default=default_agent)
    g = Game(model, seed=seed, games=np.array([game], dtype=np.uint64), params=params, log=True, history=True)
    while not g.done:
        play_turn(g, ag, validate=True)
    return g, ag
