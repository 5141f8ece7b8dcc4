"""Batch runs: many seeded AI games in chunks on a pool of workers, sweeps, result rows, summaries.

    >>> from endgame_game.batch import run
    >>> res = run("endgame-2024", games=1000, seed=1, sweep=["params.ua_recruits=15:40:3"], out="runs.csv")  # doctest: +SKIP
    >>> print(res.summary.format())                                                                       # doctest: +SKIP

``run`` takes a ``stop`` event and an ``on_progress`` callback, so a UI can drive it from a worker
thread. ``batch.coverage`` is the scenario designer's tool (what never happens).
"""

from endgame_game.batch.results import Rows, open_writer, read_csv
from endgame_game.batch.runner import DEFAULT_CHUNK, Progress, RunResult, default_workers, replay_game, run
from endgame_game.batch.summary import Summary
from endgame_game.batch.sweep import Axis, Grid, make_grid, parse_axis

__all__ = [
    "DEFAULT_CHUNK", "Axis", "Grid", "Progress", "Rows", "RunResult", "Summary", "default_workers", "make_grid",
    "open_writer", "parse_axis", "read_csv", "replay_game", "run",
]
