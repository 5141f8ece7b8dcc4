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
a ``ProcessPoolExecutor`` (default: one worker per core, never more than the cores unless
``oversubscribe``), a Dask cluster (``backend="dask"``, ``client.get_executor()``), or any executor you
pass. Each task carries the ruleset's texts, so workers compile exactly the ruleset the run's
provenance names (a Dask worker needs the package, not the ruleset file).

The pool's start method is explicit: ``fork`` while this process has no other thread (the workers
inherit the compiled model), ``forkserver`` otherwise (forking a threaded process can deadlock, and
Python 3.12+ warns about it). Pool workers ignore SIGINT and SIGTERM (the parent decides) and die
with the parent (``PR_SET_PDEATHSIG`` on Linux), so a killed run leaves no orphans.

Stopping: set the ``stop`` event (or press Ctrl-C): no new chunk starts, chunks already running
finish, and every finished row is kept and written. Set ``abort`` as well (a second Ctrl-C) and the
running chunks are abandoned: pool workers are killed, finished rows are still written. ``on_progress``
is called after each chunk with a ``Progress``; both hooks make the runner easy to drive from a UI thread.

Trajectories (``trajectories=PATH``): one row per game and turn played (see ``trajectory_rows``),
written like the results, chunk by chunk in game order; chunks are smaller then
(``TRAJECTORY_CHUNK``) so memory stays bounded.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.ai.base import Agent
from endgame_game.ai.loading import BUILTIN, agent_from_class, make_agents, parse_agent_specs
from endgame_game.ai.play import play_turn
from endgame_game.batch.results import (
    Rows,
    Writer,
    concat,
    make_rows,
    n_rows,
    open_writer,
    provenance,
    trajectory_rows,
)
from endgame_game.batch.summary import Summary
from endgame_game.batch.sweep import Axis, Grid, make_grid
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError, EndgameWarning

DASK_CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler before giving up with a clear error."""

DASK_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for a cluster that runs these chunks (the local cluster uses them; start your own scheduler
and workers with ``dask_environ()`` in their environment, as docs/agents.md shows). Dask's defaults cost
CPU on every wall-clock second, whatever the work: the workers' statistical profiler samples the running
task's stack every 10 ms (≈ 2.5 % of a core per busy worker, on the deep Python stacks of the doctrine
agents), every scheduler, nanny and worker checks its event loop every 20 ms (≈ 1.5 % of a core each),
and every nanny and worker reads its memory use every 100 ms (≈ 0.5 % each). With two workers that was
≈ 16 % of a core, 8 % of a 2-core machine's CPU; with these, ≈ 1.5 % of a core. A chunk lasts seconds, so
a 1 s memory check still pauses or restarts a worker in time, and the profiler's flame graph is all it
loses (the dashboard's task stream and progress stay)."""


def dask_environ(config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``DASK_CONFIG`` as environment variables (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``...),
    for ``dask scheduler`` and ``dask worker`` started by hand."""
    out = {}
    for key, value in (DASK_CONFIG if config is None else config).items():
        name = "DASK_" + "__".join(part.upper().replace("-", "_") for part in key.split("."))
        out[name] = str(value)
    return out

class ClusterSettingsWarning(EndgameWarning):
    """A hand-started Dask cluster runs without ``DASK_CONFIG``: it works, at ~0.9× the CPU efficiency."""


def _worker_settings() -> dict[str, str]:
    """On a Dask worker: its values of ``DASK_CONFIG``'s keys, as text."""
    import dask

    return {key: str(dask.config.get(key, None)) for key in DASK_CONFIG}


def cluster_settings_note(client: Any) -> str | None:
    """What a connected cluster's workers set differently from ``DASK_CONFIG``, as one message (None if
    nothing, or if the workers cannot be asked). Values are compared as Dask reads them ("1s", "1000ms"
    and 1 are the same interval)."""
    from dask.utils import parse_timedelta

    def same(want: Any, got: str) -> bool:
        if isinstance(want, bool):
            return got == str(want)
        try:
            return bool(parse_timedelta(want) == parse_timedelta(got))
        except (TypeError, ValueError):
            return got == str(want)

    try:
        per_worker = client.run(_worker_settings)
    except Exception:  # noqa: BLE001  (an old or busy cluster: the run goes on without the check)
        return None
    off = sorted({key for got in per_worker.values() for key, value in got.items()
                  if not same(DASK_CONFIG[key], value)})
    if not off:
        return None
    env = dask_environ({key: DASK_CONFIG[key] for key in off})
    return (f"{len(per_worker)} Dask worker(s) run without the settings this engine needs for full speed "
            f"({', '.join(off)}): expect ~10 % more CPU per game; start the scheduler and workers with "
            + " ".join(f"{k}={v}" for k, v in env.items()) + " (docs/agents.md, 'On a Dask cluster')")


DEFAULT_CHUNK = 40_000
"""Games per chunk: large enough that numpy work dominates the per-operation overhead, small enough to
stay in cache, to keep a worker near 170 MB and to stop within two seconds. Measured on the default
scenario, one worker (game-turns/s): 2,500 → 112k, 10,000 → 200k, 40,000 → 264k, 80,000 → 224k,
160,000 → 182k."""

LOOKAHEAD_CHUNK = 250
"""Games per chunk when a role plays lookahead: each real game is copied once per candidate and
rollout (about 80 copies), and each of its game-turns costs a few hundred doctrine game-turns."""

TRAJECTORY_CHUNK = 2_000
"""Games per chunk when trajectories are written: a chunk's trajectory is games × turns rows (about
50,000 rows, 30 MB on the default scenario) held until the chunk is written."""

MAX_TOTAL_GAMES = 2**62
"""Games per run (all sweep points): game indices and row counts are 64-bit integers."""

AgentSpec = str | type
"""An agent for a role: a spec (``"doctrine:hawk"``, ``"pkg.mod:Class"``) or a class (``Cls(model, actor)``)."""


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
        trajectories: the trajectories file, if one was written.
        workers: the worker processes used (``workers`` capped at the cores unless oversubscribed).
    """

    games: int
    total: int
    stopped: bool
    summary: Summary
    path: Path | None
    rows: Rows | None
    elapsed: float
    game_turns: int
    trajectories: Path | None = None
    workers: int = 1


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of work, plain data so it pickles to any worker."""

    index: int
    ruleset: str
    overrides: tuple[tuple[str, Any], ...]
    seed: int
    agents: tuple[tuple[str, AgentSpec], ...]
    default_agent: str
    start: int  # position in the point-major game sequence
    stop: int
    games_per_point: int
    point_params: np.ndarray  # [points, P]
    swept: tuple[str, ...]
    point_values: np.ndarray  # [points, axes]
    validate: bool
    files: tuple[tuple[str, str], ...] = ()  # the ruleset's texts (child first); empty: load ``ruleset``
    sha256: str = ""
    trajectories: bool = False


# -- the worker side --

_CACHE: dict[tuple[Any, ...], tuple[CompiledModel, dict[str, Agent]]] = {}
_ALLOCATOR_TUNED = False

_GLIBC_TUNABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters
ALLOCATOR_MMAP_THRESHOLD = 32 * 1024 * 1024
ALLOCATOR_TRIM_THRESHOLD = 64 * 1024 * 1024
ALLOCATOR_TOP_PAD = 64 * 1024 * 1024


def tune_allocator(force: bool = False) -> bool:
    """Undo a fixed small malloc trim threshold in this process (glibc only); True if it was changed.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also switches off glibc's
    adaptive mmap threshold: every temporary array above 128 KB (most of a chunk's arrays) is then
    mmap'ed, page-faulted in and unmapped again, and a chunk costs 4-5× the CPU. This sets the limits
    glibc would otherwise have adapted to (mmap above 32 MB, trim above 64 MB), and a 64 MB top pad (the
    free memory kept when a heap shrinks): a Dask task runs in a thread, with its own malloc arena, and
    there a 20,000-game chunk still page-faulted ~250,000 times without the pad, ~27,000 with it (as in
    a pool worker's main thread). It acts only when one of the glibc tunables is set in the environment
    (or ``force``), so an ordinary process keeps glibc's adaptive defaults.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED and not force:
        return False
    _ALLOCATOR_TUNED = True
    if not force and not any(k in os.environ for k in _GLIBC_TUNABLES):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    ok = mallopt(M_MMAP_THRESHOLD, ALLOCATOR_MMAP_THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, ALLOCATOR_TRIM_THRESHOLD) == 1 and ok
    ok = mallopt(M_TOP_PAD, ALLOCATOR_TOP_PAD) == 1 and ok
    return bool(ok)


def _load_model(task: ChunkTask) -> CompiledModel:
    if not task.files:
        return CompiledModel.load(task.ruleset, dict(task.overrides) or None)
    from endgame_game.errors import RulesetError
    from endgame_game.rules import check_texts

    overrides = dict(task.overrides) or None
    checked = check_texts(task.files, overrides)
    if checked.errors:
        raise RulesetError(checked.issues)
    return CompiledModel(checked, task.ruleset, overrides)


def build_agents(model: CompiledModel, specs: Mapping[str, AgentSpec], default: str = "doctrine") -> dict[str, Agent]:
    """``make_agents`` that also takes classes (a notebook's agent class runs as it is)."""
    classes = {r: v for r, v in specs.items() if isinstance(v, type)}
    agents = make_agents(model, {r: v for r, v in specs.items() if not isinstance(v, type)}, default=default)
    for role, cls in classes.items():
        if role not in model.actor_index:
            make_agents(model, {role: "random"})  # raises: no such actor, with a did-you-mean
        agents[role] = agent_from_class(cls, model, role, spec_text(cls))
    return {a: agents[a] for a in model.actors if a in agents}


def spec_text(spec: AgentSpec) -> str:
    """The spec as text (a class: ``module:QualName``), for provenance and saves."""
    return spec if isinstance(spec, str) else f"{spec.__module__}:{spec.__qualname__}"


def _setup(task: ChunkTask) -> tuple[CompiledModel, dict[str, Agent]]:
    tune_allocator()
    key = (task.sha256 or task.ruleset, task.overrides, tuple((r, spec_text(a)) for r, a in task.agents),
           task.default_agent)
    if key not in _CACHE:
        model = _load_model(task)
        _CACHE[key] = (model, build_agents(model, dict(task.agents), default=task.default_agent))
    return _CACHE[key]


def play_chunk(task: ChunkTask, model: CompiledModel | None = None, agents: Mapping[str, Agent] | None = None,
               stop: threading.Event | None = None) -> tuple[int, Rows, int, Rows]:
    """Play one chunk to the end; returns (chunk index, rows, game-turns played, trajectory rows).

    In a worker process the model and agents are loaded once and cached; in-process runs pass them.
    A set ``stop`` (in-process only) abandons the chunk between turns (returns no rows).
    """
    if model is None or agents is None:
        model, agents = _setup(task)
    flat = np.arange(task.start, task.stop, dtype=np.int64)
    points = flat // task.games_per_point
    games = (flat % task.games_per_point).astype(np.uint64)
    game = Game(model, seed=task.seed, games=games, params=task.point_params[points], log=False, history=False)
    swept = {c: task.point_values[points, j] for j, c in enumerate(task.swept)}
    traj: list[Rows] = []
    while not game.done:
        if stop is not None and stop.is_set():
            return task.index, {}, 0, {}
        running = ~game.state.ended
        taken = game.state.taken.copy() if task.trajectories else None
        play_turn(game, agents, validate=task.validate)
        if taken is not None:
            traj.append(trajectory_rows(game, task.seed, points, swept, running, game.state.taken - taken))
    rows = make_rows(game, task.seed, points, swept, agents)
    return task.index, rows, int(game.state.end_turn.sum()), _game_major(traj)


def _game_major(parts: list[Rows]) -> Rows:
    """A chunk's trajectory rows (collected turn by turn) in game order, each game's turns in order."""
    rows = concat(parts)
    if not rows:
        return rows
    order = np.lexsort((rows["turn"], rows["game"], rows["point"]))
    return {k: v[order] for k, v in rows.items()}


PR_SET_PDEATHSIG = 1


def _worker_init(parent: int) -> None:
    """Pool workers: Ctrl-C and ``kill -TERM`` reach the whole process group (``timeout`` signals it
    too); the parent decides, the workers finish their chunk. And a worker dies with its parent, even
    one killed with SIGKILL, instead of living on as an orphan holding the output pipes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if parent and os.getppid() != parent:
        os._exit(1)  # the parent died before the line above


def mp_context() -> multiprocessing.context.BaseContext:
    """The pool's start method, chosen explicitly: ``fork`` while this process runs a single thread
    (fast; workers inherit the compiled model), ``forkserver`` once other threads exist (a progress
    bar, a UI, Dask), where forking could deadlock."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


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
            message = f"cannot reach the Dask scheduler at {scheduler}: {e}"
            # The half-built Client is left in a reference cycle (through the traceback). Its __del__
            # closes it; run later by the garbage collector inside the next Client's start-up, that close
            # deadlocks on distributed's loop-runner lock (seen: a CI run hung for 90 minutes). Collect it
            # here, where nothing holds that lock.
            del e
            gc.collect()
            raise EndgameError(message) from None

        note = cluster_settings_note(client)
        if note:
            warnings.warn(note, ClusterSettingsWarning, stacklevel=3)

        def close() -> None:
            client.close()
    else:
        # The workers start with Ctrl-C ignored (inherited): the run decides, as with the pool, instead
        # of every worker printing its own KeyboardInterrupt traceback.
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            import dask

            # The scheduler (in this process) and the nannies read the settings now; the nannies hand
            # them to their workers.
            with dask.config.set(DASK_CONFIG):
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()
    return client.get_executor(pure=False), close


def _spec_ok(spec: AgentSpec) -> bool:
    return isinstance(spec, str) and spec.partition(":")[0] in BUILTIN


def _agent_specs(agents: str | Sequence[str] | Mapping[str, AgentSpec] | None) -> dict[str, AgentSpec]:
    if isinstance(agents, Mapping):
        return dict(agents)
    return dict(parse_agent_specs(agents if agents is None or isinstance(agents, str) else list(agents)))


def _resolve_workers(workers: int | None, oversubscribe: bool) -> int:
    cores = default_workers()
    n = cores if workers is None else max(1, int(workers))
    return n if oversubscribe else min(n, cores)


def _pool(n_workers: int) -> cf.ProcessPoolExecutor:
    ctx = mp_context()
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["endgame_game.batch.runner"])  # type: ignore[attr-defined]
    return cf.ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_worker_init,
                                  initargs=(os.getpid() if ctx.get_start_method() == "fork" else 0,))


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """Abandon the running chunks: kill the pool's processes (they ignore SIGTERM) and let the pool's
    manager thread end. Uses the pool's internals, each step guarded: a worker killed while sending a
    result leaves half a message in the result pipe, and the manager thread would wait for the rest
    for ever unless the parent's end of the pipe is closed too."""
    items = getattr(pool, "_pending_work_items", {})
    with contextlib.suppress(Exception):
        for key, item in list(items.items()):
            if item.future.cancelled():  # else the broken-pool handler trips over them (InvalidStateError)
                items.pop(key, None)
    procs = list(getattr(pool, "_processes", {}).values())
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.kill()
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(5)
    with contextlib.suppress(Exception):
        pool._result_queue._writer.close()  # type: ignore[attr-defined]  # noqa: SLF001 - a library's internals, deliberately
    pool.shutdown(wait=False, cancel_futures=False)


def run(
    ruleset: str | Path | CompiledModel,
    games: int,
    seed: int = 0,
    *,
    agents: str | Sequence[str] | Mapping[str, AgentSpec] | None = None,
    default_agent: str = "doctrine",
    overrides: Mapping[str, Any] | None = None,
    sweep: Iterable[str | Axis] | Mapping[str, Sequence[float]] | Grid | None = None,
    chunk: int | None = None,
    workers: int | None = None,
    oversubscribe: bool = False,
    stop: threading.Event | None = None,
    abort: threading.Event | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    executor: cf.Executor | None = None,
    out: str | Path | None = None,
    trajectories: str | Path | None = None,
    keep_rows: bool = False,
    validate: bool | None = None,
) -> RunResult:
    """Run ``games`` seeded AI games at every sweep point.

    Args:
        ruleset: a ruleset id, a path, or a ``CompiledModel``.
        games: games per sweep point (every point plays game indices ``0..games-1``).
        seed: the seed (0 ≤ seed < 2**63).
        agents: ``"moscow=doctrine:hawk,kyiv=lookahead"`` or a mapping role → spec or agent class
            (built as ``Cls(model, actor)`` or ``Cls()``; a class defined in a notebook works with the
            in-process and ``fork`` pools).
        default_agent: the agent for roles not named (``doctrine`` falls back to ``random``).
        overrides: ``--set`` overrides, ``{"params.x": 3}``.
        sweep: ``["params.x=LO:HI:STEPS", ...]``, ``{"params.x": [values]}`` or a ``Grid``.
        chunk: games per chunk (default ``DEFAULT_CHUNK``, smaller for small runs so every worker works).
        workers: processes (default one per core; at most one per core unless ``oversubscribe``);
            1 runs in this process.
        stop: set it to stop after the running chunks.
        abort: set it (with ``stop``) to abandon the running chunks too.
        on_progress: called with a ``Progress`` after every finished chunk, in this thread.
        backend: ``"local"`` or ``"dask"`` (with ``scheduler``, or a local Dask cluster without).
        executor: any ``concurrent.futures.Executor`` to run chunks on (overrides ``backend``).
        out: results file (``.csv``, or ``.parquet`` with pyarrow); rows stream to it chunk by chunk,
            with the run's provenance (see ``batch.results``).
        trajectories: a file (``.csv``/``.parquet``) for one row per game and turn.
        keep_rows: also keep every row in memory (``RunResult.rows``).
        validate: check agents' orders (default: only when a role uses a user agent).

    Raises:
        EndgameError: bad arguments (unknown role, agent, parameter, sweep out of range...), or a
            results file that cannot be written (checked before the first game).
    """
    if games < 1:
        raise EndgameError("the number of games must be 1 or more")
    if not 0 <= seed < 2**63:
        raise EndgameError("the seed must be between 0 and 2**63 - 1")
    specs = _agent_specs(agents)
    if isinstance(ruleset, CompiledModel):
        model = ruleset
        overrides = model.overrides if overrides is None else overrides
        if dict(overrides or {}) != model.overrides:
            model = CompiledModel.load(model.ref, overrides)
    else:
        model = CompiledModel.load(ruleset, overrides)
    inline_agents = build_agents(model, specs, default=default_agent)  # checks roles and specs now
    if validate is None:
        validate = not all(_spec_ok(s) for s in specs.values())
    grid = make_grid(sweep)
    grid.check(model)
    if games * grid.points > MAX_TOTAL_GAMES:
        raise EndgameError(f"too many games: {games:,} × {grid.points:,} sweep point(s) is more than 2**62")
    point_params = grid.params(model, model.param_defaults)
    point_values = grid.values()
    total = games * grid.points
    n_workers = _resolve_workers(workers, oversubscribe)
    if chunk is None:
        lookahead = any(isinstance(s, str) and s.startswith("lookahead") for s in [*specs.values(), default_agent])
        biggest = LOOKAHEAD_CHUNK if lookahead else TRAJECTORY_CHUNK if trajectories is not None else DEFAULT_CHUNK
        chunk = max(1, min(biggest, -(-total // (2 * n_workers))))  # at least two chunks per worker
    chunk = max(1, int(chunk))

    summary = Summary([e.id for e in model.endings], [f"score.{model.actors[a]}" for a in sorted(model.scores)],
                      point_values, grid.columns, games)
    resolved = {a: spec_text(specs.get(a, getattr(ag, "spec", None) or default_agent)) for a, ag in inline_agents.items()}
    prov = provenance(model, kind="results", seed=seed, games=games, agents=resolved, default_agent=default_agent,
                      columns=grid.columns, points=point_values, validate=validate)
    summary.provenance = prov
    writer: Writer | None = open_writer(out, prov) if out is not None else None
    try:
        traj_writer: Writer | None = open_writer(trajectories, {**prov, "kind": "trajectories"}) \
            if trajectories is not None else None
    except BaseException:
        if writer is not None:
            writer.close({"complete": False, "stopped": True})
        raise
    kept: list[Rows] = []

    base = dict(ruleset=model.ref, overrides=tuple(sorted((model.overrides or {}).items())), seed=int(seed),
                agents=tuple(sorted(specs.items())), default_agent=default_agent, games_per_point=games,
                point_params=point_params, swept=grid.columns, point_values=point_values, validate=validate,
                files=tuple(model.files), sha256=prov["ruleset"]["sha256"], trajectories=trajectories is not None)
    starts = range(0, total, chunk)
    tasks = (ChunkTask(index=i, start=s, stop=min(s + chunk, total), **base) for i, s in enumerate(starts))  # type: ignore[arg-type]
    n_tasks = len(starts)

    close: Callable[[], None] | None = None
    pool: cf.ProcessPoolExecutor | None = None
    inline = False
    if executor is None:
        if backend == "dask":
            executor, close = _dask_executor(scheduler, n_workers)
        elif backend != "local":
            raise EndgameError(f"unknown backend {backend!r}: use local or dask")
        elif n_workers == 1 or n_tasks == 1:
            inline = True
        else:
            # Forked workers inherit the compiled model and agents (others compile it once from the texts).
            task0 = ChunkTask(index=0, start=0, stop=0, **base)  # type: ignore[arg-type]
            _CACHE[(task0.sha256, task0.overrides, tuple((r, spec_text(a)) for r, a in task0.agents),
                    default_agent)] = (model, inline_agents)
            pool = executor = _pool(n_workers)

            def close() -> None:
                assert pool is not None
                if abort is not None and abort.is_set():
                    _kill_workers(pool)
                else:
                    pool.shutdown(wait=True, cancel_futures=True)

    t0 = time.perf_counter()
    done_games = 0
    game_turns = 0
    written = 0
    next_index = 0
    buffered: dict[int, tuple[Rows, Rows]] = {}
    stopped = False

    def deliver(index: int, rows: Rows, turns: int, traj: Rows) -> None:
        nonlocal done_games, game_turns, next_index
        done_games += n_rows(rows)
        game_turns += turns
        buffered[index] = (rows, traj)
        while next_index in buffered:
            r, t = buffered.pop(next_index)
            next_index += 1
            _emit(r, t)
        if on_progress is not None:
            on_progress(Progress(done_games, total, time.perf_counter() - t0, game_turns))

    def _emit(r: Rows, t: Rows) -> None:
        nonlocal written
        if not r:
            return
        if writer is not None:
            writer.write(r)
        if traj_writer is not None:
            traj_writer.write(t)
        summary.add(r)
        if keep_rows:
            kept.append(r)
        written += n_rows(r)

    def aborted() -> bool:
        return abort is not None and abort.is_set()

    failed = True
    try:
        if inline:
            for task in tasks:
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                try:
                    index, rows, turns, traj = play_chunk(task, model, inline_agents, stop)
                except KeyboardInterrupt:
                    stopped = True
                    break
                if not rows:
                    stopped = True
                    break
                deliver(index, rows, turns, traj)
        else:
            assert executor is not None
            stopped = _drive(executor, tasks, n_workers, stop, abort, deliver)
        # Anything finished after a gap (only when stopped): keep it, in order.
        for index in sorted(buffered):
            _emit(*buffered.pop(index))
        failed = False
    finally:
        try:
            if close is not None:
                close()
        finally:
            status = {"complete": not failed and not stopped and written == total,
                      "stopped": bool(stopped or failed or written < total)}
            try:
                if writer is not None:
                    writer.close(status)
            finally:
                if traj_writer is not None:
                    traj_writer.close(status)
    if aborted():
        stopped = True
    summary.provenance = {**prov, **status, "rows": written}
    return RunResult(written, total, stopped or written < total, summary, writer.path if writer else None,
                     concat(kept) if keep_rows else None, time.perf_counter() - t0, game_turns,
                     traj_writer.path if traj_writer else None, n_workers)


def _drive(executor: cf.Executor, tasks: Iterable[ChunkTask], n_workers: int, stop: threading.Event | None,
           abort: threading.Event | None, deliver: Callable[..., None]) -> bool:
    """Feed chunks to ``executor`` (a bounded window of them), deliver results as they finish; returns
    True if the run was stopped."""
    window = 3 * n_workers
    pending: set[cf.Future[Any]] = set()
    task_iter = iter(tasks)
    exhausted = False
    stopped = False

    def stopping() -> bool:
        return stop is not None and stop.is_set()

    try:
        while True:
            while not exhausted and len(pending) < window and not stopping():
                t = next(task_iter, None)
                if t is None:
                    exhausted = True
                    break
                pending.add(executor.submit(play_chunk, t))
            if not pending:
                break
            finished, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for f in finished:
                if f.cancelled():
                    continue
                try:
                    deliver(*f.result())
                except BrokenProcessPool:
                    if stopping():
                        continue  # a worker was killed on the way out
                    raise EndgameError("a worker process died (out of memory, or killed); "
                                       "the rows finished before it are written") from None
            if stopping() and not stopped:
                stopped = exhausted = True
                for f in pending:
                    f.cancel()  # those not started yet; running chunks finish
                pending = {f for f in pending if not f.cancelled()}
            if abort is not None and abort.is_set():
                for f in pending:
                    f.cancel()
                return True
    except KeyboardInterrupt:
        stopped = True
        for f in pending:
            f.cancel()
        if abort is not None:
            abort.set()
            return True
        # Chunks already running finish (workers ignore Ctrl-C); keep what they return.
        done, _ = cf.wait(pending, timeout=60)
        for f in done:
            if not f.cancelled() and f.exception() is None:
                deliver(*f.result())
    return stopped


def replay_game(ruleset: str | Path | CompiledModel, seed: int, game: int, *, point: int = 0,
                agents: str | Sequence[str] | Mapping[str, AgentSpec] | None = None, default_agent: str = "doctrine",
                overrides: Mapping[str, Any] | None = None,
                sweep: Iterable[str | Axis] | Mapping[str, Sequence[float]] | Grid | None = None) -> tuple[Game, dict[str, Agent]]:
    """Play game ``game`` of sweep point ``point`` alone (a batch of one, with logs and history),
    exactly as the batch played it; returns the finished game and its agents (e.g. to save it)."""
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    specs = _agent_specs(agents)
    grid = make_grid(sweep)
    grid.check(model)
    if not 0 <= point < grid.points:
        raise EndgameError(f"no sweep point {point}: the grid has {grid.points}")
    params = grid.params(model, model.param_defaults)[point:point + 1]
    ag = build_agents(model, specs, default=default_agent)
    g = Game(model, seed=seed, games=np.array([game], dtype=np.uint64), params=params, log=True, history=True)
    while not g.done:
        play_turn(g, ag, validate=True)
    return g, ag
