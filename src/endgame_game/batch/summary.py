"""Summaries per sweep point, accumulated chunk by chunk in bounded memory.

For every sweep point: the number of games, each ending's frequency with a 95 % Wilson interval and
its mean end turn, and each score's mean, standard deviation and quantiles (5, 25, 50, 75, 95 %).

Counts, means and standard deviations are exact over all games and do not depend on the chunking:
sums are taken strictly left to right in game order (``cumsum`` carries the running total across
chunks). Quantiles come from every game while a point has at most ``sample`` games; above that, from
a fixed pseudo-random subset of the games chosen by hashing the game index (the same subset whatever
the chunking or worker count), so memory stays flat however many games run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from endgame_game.batch.coverage import wilson
from endgame_game.batch.results import Rows
from endgame_game.engine import rng

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
SAMPLE_BUDGET = 400_000
"""Total score values per actor kept for quantiles, shared by the sweep points."""
_SAMPLE_KEY = 0x5EED_0F_5A3F1E


def _seqsum(acc: float, x: np.ndarray) -> float:
    """acc + x[0] + x[1] + ..., added strictly in order (independent of how x was chunked)."""
    if x.size == 0:
        return acc
    return float(np.cumsum(np.concatenate(([acc], x.astype(np.float64))))[-1])


@dataclass
class ScoreStats:
    """Running statistics of one score at one sweep point."""

    n: int = 0
    shift: float = 0.0
    s1: float = 0.0  # sum of (x - shift), in order
    s2: float = 0.0  # sum of (x - shift)^2, in order
    sample: list[np.ndarray] = field(default_factory=list)

    def add(self, x: np.ndarray, keep: np.ndarray) -> None:
        if x.size == 0:
            return
        if self.n == 0:
            self.shift = float(x[0])
        d = x - self.shift
        self.s1 = _seqsum(self.s1, d)
        self.s2 = _seqsum(self.s2, d * d)
        self.n += int(x.size)
        self.sample.append(x[keep].copy())

    @property
    def mean(self) -> float:
        return self.shift + self.s1 / self.n if self.n else math.nan

    @property
    def sd(self) -> float:
        if self.n < 2:
            return 0.0 if self.n == 1 else math.nan
        var = (self.s2 - self.s1 * self.s1 / self.n) / (self.n - 1)
        return math.sqrt(max(var, 0.0))

    def quantiles(self) -> tuple[float, ...]:
        xs = np.concatenate(self.sample) if self.sample else np.zeros(0)
        if xs.size == 0:
            return tuple(math.nan for _ in QUANTILES)
        return tuple(float(q) for q in np.quantile(xs, QUANTILES))


@dataclass
class PointSummary:
    """Everything summarised about one sweep point."""

    point: int
    swept: dict[str, float]
    endings: list[str]
    n: int = 0
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    turn_sums: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unfinished: int = 0
    scores: dict[str, ScoreStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = np.zeros(len(self.endings), dtype=np.int64)
        self.turn_sums = np.zeros(len(self.endings), dtype=np.int64)

    def share(self, i: int) -> tuple[float, float, float]:
        """(share, lo, hi) of ending ``i`` among the games that ended, with a 95 % Wilson interval."""
        n = int(self.counts.sum())
        lo, hi = wilson(int(self.counts[i]), n)
        return (self.counts[i] / n if n else 0.0), lo, hi


class Summary:
    """Accumulates rows (in game order within each point) into per-point summaries.

    Args:
        endings: the ruleset's ending ids, in declaration order.
        scores: the score columns (``score.<actor>``).
        grid: [points, axes] swept values; ``columns`` their names.
        games_per_point: games each point will run (sets the quantile sampling rate).
        sample: quantile sample size per point (default: ``SAMPLE_BUDGET`` shared by the points).
    """

    def __init__(self, endings: Sequence[str], scores: Sequence[str], grid: np.ndarray, columns: Sequence[str],
                 games_per_point: int, sample: int | None = None):
        self.endings = list(endings)
        self.provenance: dict[str, Any] | None = None  # what made the rows (set by ``batch.run``)
        self.score_cols = list(scores)
        self.columns = list(columns)
        points = int(grid.shape[0])
        cap = sample if sample is not None else max(2_000, SAMPLE_BUDGET // max(1, points))
        self.keep_rate = min(1.0, cap / max(1, games_per_point))
        self.points = [
            PointSummary(p, {c: float(grid[p, j]) for j, c in enumerate(columns)}, self.endings,
                         scores={s: ScoreStats() for s in scores})
            for p in range(points)
        ]
        self._ending_ix = {e: i for i, e in enumerate(self.endings)}

    def add(self, rows: Rows) -> None:
        """Add a chunk of rows (rows of one point must arrive in game order for exact sums)."""
        if not rows:
            return
        pts = rows["point"]
        for p in np.unique(pts):
            sel = pts == p
            ps = self.points[int(p)]
            games = rows["game"][sel].astype(np.uint64)
            ending = rows["ending"][sel]
            turns = rows["end_turn"][sel]
            ps.n += int(sel.sum())
            for e, i in self._ending_ix.items():
                hit = ending == e
                ps.counts[i] += int(hit.sum())
                ps.turn_sums[i] += int(turns[hit].sum())
            ps.unfinished += int((ending == "").sum())
            if self.keep_rate >= 1.0:
                keep = np.ones(games.size, dtype=bool)
            else:
                u = (rng.mix64_array(games ^ np.uint64(_SAMPLE_KEY)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
                keep = u < self.keep_rate
            for s in self.score_cols:
                ps.scores[s].add(rows[s][sel].astype(np.float64), keep)

    @property
    def games(self) -> int:
        return sum(p.n for p in self.points)

    def table(self) -> list[dict[str, object]]:
        """Flat rows (one per point and ending, then per point and score) for a summary CSV."""
        out: list[dict[str, object]] = []
        for ps in self.points:
            for i, e in enumerate(self.endings):
                share, lo, hi = ps.share(i)
                out.append({"point": ps.point, **ps.swept, "kind": "ending", "name": e, "n": int(ps.counts[i]),
                            "value": share, "lo": lo, "hi": hi,
                            "mean_turn": ps.turn_sums[i] / ps.counts[i] if ps.counts[i] else math.nan})
            for s, st in ps.scores.items():
                q = st.quantiles()
                out.append({"point": ps.point, **ps.swept, "kind": "score", "name": s.removeprefix("score."),
                            "n": st.n, "value": st.mean, "sd": st.sd,
                            **{f"q{int(round(x * 100)):02d}": v for x, v in zip(QUANTILES, q, strict=True)}})
        return out

    def format(self, scores: bool = True, labels: dict[str, str] | None = None, width: int | None = None) -> str:
        """A plain-text table per sweep point (endings with 95 % intervals; scores if asked).

        Args:
            labels: ending id → label shown.
            width: the terminal's width: long labels are cut to fit (never below 28 characters);
                ``None`` (a file, a pipe) keeps them whole.
        """
        labels = labels or {}
        names = [labels.get(e, e) for e in self.endings]
        name_w = max([len("ending"), *map(len, names)])
        if width is not None:
            name_w = min(name_w, max(28, width - 52))  # 52: the share, interval, games and turn columns
        lines: list[str] = []
        for ps in self.points:
            head = f"point {ps.point}: " + ", ".join(f"{k}={v:g}" for k, v in ps.swept.items()) if ps.swept else "all games"
            extra = f", {ps.unfinished} stopped before an ending" if ps.unfinished else ""
            lines.append(f"{head}  ({ps.n:,} games{extra})")
            if ps.n == 0:
                lines.append("")
                continue
            lines.append(f"  {'ending':<{name_w}} {'share':>7}  {'95% CI':<17} {'games':>9} {'mean turn':>9}")
            for i, name in enumerate(names):
                share, lo, hi = ps.share(i)
                mt = f"{ps.turn_sums[i] / ps.counts[i]:9.1f}" if ps.counts[i] else f"{'-':>9}"
                name = name if len(name) <= name_w else name[: name_w - 1] + "…"
                lines.append(f"  {name:<{name_w}} {share:7.1%}  [{lo:6.1%}, {hi:6.1%}] {int(ps.counts[i]):>9,} {mt}")
            if scores and ps.scores:
                lines.append(f"  {'score':<16} {'mean':>8} {'sd':>8} " + " ".join(f"{'q' + str(int(q * 100)):>8}" for q in QUANTILES))
                for s, st in ps.scores.items():
                    qs = " ".join(f"{v:8.2f}" for v in st.quantiles())
                    lines.append(f"  {s.removeprefix('score.'):<16} {st.mean:8.2f} {st.sd:8.2f} {qs}")
            lines.append("")
        if scores and self.keep_rate < 1.0:
            lines.append(f"(quantiles from a fixed {self.keep_rate:.1%} sample of the games of each point; "
                         "means and sd from all games)")
        return "\n".join(lines).rstrip() + "\n"
