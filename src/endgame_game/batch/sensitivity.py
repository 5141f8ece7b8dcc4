"""One-at-a-time sensitivity: what each parameter's documented range does to every ending and every score.

For each parameter (every ``[params.*]`` with a ``min`` and a ``max``, or the ones named), the same
``games`` games (same seed and game indices, so the same doctrine draws and the same dice: common random
numbers) are played with the parameter at its low end and at its high end, every other parameter at its
value. The effect is high − low, paired game by game:

- on each ending's share, in percentage points;
- on each role's mean score, in score points;

each with a 95 % interval from the paired differences. A parameter's *largest effect* is the largest of
those in absolute value; the tornado table lists the parameters by it. A parameter whose largest effect is
below one point changes nothing a seminar could see.

    >>> rep = sensitivity("endgame-2024", games=400)                  # doctest: +SKIP
    >>> print(format_tornado(rep))                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.batch.coverage import Z95
from endgame_game.batch.stakes import CHUNK, play_mixed
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError

LIVE = 1.0
"""The smallest largest-effect (points) for a parameter to count as live."""


@dataclass
class Effect:
    """high − low, paired over the games, with its 95 % interval."""

    mean: float
    lo: float
    hi: float

    @classmethod
    def paired(cls, d: np.ndarray, scale: float = 1.0) -> Effect:
        n = len(d)
        m = float(np.mean(d)) * scale
        half = Z95 * float(np.std(d, ddof=1)) / math.sqrt(n) * scale if n > 1 else math.nan
        return cls(m, m - half, m + half)


@dataclass
class ParamEffect:
    param: str
    low: float
    high: float
    unit: str
    endings: dict[str, Effect]  # ending id -> points of share
    scores: dict[str, Effect]  # role -> score points

    @property
    def largest(self) -> tuple[str, float]:
        """(what, effect) with the largest absolute effect: ``ending:<id>`` or ``score:<role>``."""
        items = [(f"ending:{k}", e.mean) for k, e in self.endings.items()]
        items += [(f"score:{k}", e.mean) for k, e in self.scores.items()]
        return max(items, key=lambda kv: abs(kv[1]))


@dataclass
class SensitivityReport:
    ruleset: str
    games: int
    seed: int
    endings: list[str]
    roles: list[str]
    params: list[ParamEffect]

    def ranked(self) -> list[ParamEffect]:
        return sorted(self.params, key=lambda p: -abs(p.largest[1]))

    @property
    def inert(self) -> list[ParamEffect]:
        """Parameters whose largest effect is below ``LIVE`` points."""
        return [p for p in self.params if abs(p.largest[1]) < LIVE]


def ranged_params(model: CompiledModel) -> list[str]:
    """Every parameter with a documented range (min < max)."""
    ps = model.ruleset.params
    return [k for k, p in ps.items() if p.min is not None and p.max is not None and p.max > p.min]


def sensitivity(ruleset: str | Path | CompiledModel, games: int = 400, seed: int = 0, *,
                params: Sequence[str] | None = None, overrides: Mapping[str, Any] | None = None,
                chunk: int = CHUNK) -> SensitivityReport:
    """Sweep each parameter from its ``min`` to its ``max`` (one at a time, common random numbers)."""
    if games < 2:
        raise ValueError("games must be 2 or more")
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    names = [p.removeprefix("params.") for p in params] if params else ranged_params(model)
    ranged = set(ranged_params(model))
    for n in names:
        if n not in model.param_index:
            raise EndgameError(f"no parameter {n!r} in ruleset {model.id!r}")
        if n not in ranged:
            raise EndgameError(f"params.{n} has no documented range (min and max) to sweep")
    base = model.params_array(1)[0]
    idx = np.arange(games, dtype=np.uint64)
    endings = [e.id for e in model.endings]
    roles = [model.actors[a] for a in sorted(model.scores)]
    # Every (param, level) block of games in one long batch, played in chunks.
    blocks: list[np.ndarray] = []
    for n in names:
        p = model.ruleset.params[n]
        for v in (p.min, p.max):
            arr = np.tile(base, (games, 1))
            arr[:, model.param_index[n]] = float(v)  # type: ignore[arg-type]
            blocks.append(arr)
    allp = np.concatenate(blocks)
    res = play_mixed(model, seed, np.tile(idx, len(blocks)), params=allp, chunk=chunk)
    out: list[ParamEffect] = []
    for i, n in enumerate(names):
        lo_sl = slice((2 * i) * games, (2 * i + 1) * games)
        hi_sl = slice((2 * i + 1) * games, (2 * i + 2) * games)
        e_lo, e_hi = res["ending"][lo_sl], res["ending"][hi_sl]
        eff_e = {e: Effect.paired((e_hi == e).astype(float) - (e_lo == e).astype(float), 100.0) for e in endings}
        eff_s = {r: Effect.paired(res[f"score.{r}"][hi_sl] - res[f"score.{r}"][lo_sl]) for r in roles}
        p = model.ruleset.params[n]
        out.append(ParamEffect(n, float(p.min), float(p.max), p.unit, eff_e, eff_s))  # type: ignore[arg-type]
    return SensitivityReport(model.id, games, seed, endings, roles, out)


def _short(ending: str) -> str:
    return ending[:10]


def format_tornado(rep: SensitivityReport, *, ci: bool = True) -> str:
    """The tornado table: parameters by largest effect, then every ending (points) and score."""
    lines = [f"Sensitivity of {rep.ruleset}: each parameter from its min to its max, {rep.games:,} paired games per "
             f"end (seed {rep.seed}, mixed doctrines, common random numbers).",
             "Effects are high − low: ending shares in percentage points, scores in score points; "
             "[95 % interval] of the largest.", ""]
    head = f"{'parameter':<24} {'range':>15}  {'largest effect':<34}"
    cols = [_short(e) for e in rep.endings] + [f"sc.{r[:7]}" for r in rep.roles]
    lines.append(head + " " + " ".join(f"{c:>10}" for c in cols))
    for p in rep.ranked():
        what, val = p.largest
        eff = p.endings[what[7:]] if what.startswith("ending:") else p.scores[what[6:]]
        big = f"{what.split(':', 1)[1][:16]} {val:+.1f}" + (f" [{eff.lo:+.1f}, {eff.hi:+.1f}]" if ci else "")
        rng = f"{p.low:g}–{p.high:g}"
        vals = [p.endings[e].mean for e in rep.endings] + [p.scores[r].mean for r in rep.roles]
        flag = "  (inert)" if abs(val) < LIVE else ""
        lines.append(f"{p.param:<24} {rng:>15}  {big:<34} " + " ".join(f"{v:>+10.1f}" for v in vals) + flag)
    inert = rep.inert
    lines += ["", f"{len(inert)} of {len(rep.params)} parameters have a largest effect below {LIVE:g} point"
              + (": " + ", ".join(p.param for p in inert) if inert else ".")]
    return "\n".join(lines)


def plot_tornado(rep: SensitivityReport, path: str | Path, top: int = 40) -> Path:
    """A PNG tornado chart: per parameter, the largest ending shift and each role's score effect."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = rep.ranked()[:top][::-1]
    names = [p.param for p in ranked]
    y = np.arange(len(ranked))
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.28 * len(ranked) + 1.8), sharey=True)
    big = [max(p.endings.values(), key=lambda e: abs(e.mean)) for p in ranked]
    axes[0].barh(y, [e.mean for e in big], xerr=[[e.mean - e.lo for e in big], [e.hi - e.mean for e in big]],
                 color="#4c72b0", ecolor="#333", capsize=2)
    axes[0].set_yticks(y, names, fontsize=7)
    axes[0].set_xlabel("largest change of an ending's share, points (high − low)")
    axes[0].axvline(0, color="#333", lw=0.6)
    h = 0.8 / max(1, len(rep.roles))
    for j, r in enumerate(rep.roles):
        axes[1].barh(y - 0.4 + (j + 0.5) * h, [p.scores[r].mean for p in ranked], height=h, label=r)
    axes[1].axvline(0, color="#333", lw=0.6)
    axes[1].set_xlabel("change of each role's mean score (high − low)")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Sensitivity of {rep.ruleset}: each parameter over its documented range "
                 f"({rep.games:,} paired games per end)", fontsize=9)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
