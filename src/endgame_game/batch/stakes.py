"""Stakes: what each role's choices do to its own outcome.

``play_mixed`` plays seeded AI games the way ``endgame coverage`` does (every role on a doctrine drawn per
game, 15 % random play) and returns the per-game results with the doctrine each role drew. On those:

- ``stakes(...)``: per role, the share of games it wins, draws and loses (its ``[scores.<role>]`` win/lose
  rule) and its mean score by doctrine, with 95 % intervals, and the spread best − worst doctrine;
- ``doctrine_vs_random(...)``: per role and doctrine, the share of paired games (same seed and game index,
  so the other roles draw the same doctrines and the dice fall the same) in which the role scores higher on
  that doctrine than on random play (ties count half);
- ``doctrine_pairs(...)``: the same plays, and also per role the spread best − worst doctrine measured on
  those paired games, with its interval. ``stakes``' spread compares doctrines over different games (each
  game draws one), so its noise is that of two unpaired means (about ±2.5 points at 2,000 games); on paired
  games the other roles' draws and the dice cancel out.

    >>> rep = stakes("endgame-2024", games=2000, seed=0)             # doctest: +SKIP
    >>> print(format_stakes(rep))                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.ai.play import run_games
from endgame_game.batch.coverage import RANDOM_SHARE, Z95, agents_for, wilson
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel

CHUNK = 20_000
"""Games played at once."""

OUTCOMES = ("win", "draw", "loss")


def _model(ruleset: str | Path | CompiledModel, overrides: Mapping[str, Any] | None = None) -> CompiledModel:
    return ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)


def play_mixed(model: CompiledModel, seed: int, games: np.ndarray, params: np.ndarray | None = None,
               fixed: Mapping[str, str] | None = None, chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Play the games (global indices ``games``, optional [n, P] ``params``) to their endings.

    Returns ``Game.results()`` columns plus ``doctrine.<role>`` (the doctrine a mixed role drew, or the
    fixed spec). Game ``i`` with the same params plays the same in any batch (common random numbers).
    """
    agents = agents_for(model, fixed)
    games = np.asarray(games, dtype=np.uint64)
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, len(games), chunk):
        g = games[start:start + chunk]
        p = None if params is None else params[start:start + chunk]
        game = run_games(Game(model, seed=seed, games=g, params=p, log=False, history=False), agents, validate=False)
        res = game.results()
        for role, agent in agents.items():
            doctrine_of = getattr(agent, "doctrine_of", None)
            res[f"doctrine.{role}"] = (doctrine_of(game.state).astype(str) if doctrine_of is not None
                                       else np.full(len(g), str(getattr(agent, "spec", "random"))))
        parts.append(res)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@dataclass
class Mean:
    """A mean with its 95 % interval (normal approximation) over n games."""

    n: int
    mean: float
    lo: float
    hi: float

    @classmethod
    def of(cls, x: np.ndarray) -> Mean:
        n = int(len(x))
        if n == 0:
            return cls(0, math.nan, math.nan, math.nan)
        m = float(np.mean(x))
        half = Z95 * float(np.std(x, ddof=1)) / math.sqrt(n) if n > 1 else math.nan
        return cls(n, m, m - half, m + half)


@dataclass
class Share:
    k: int
    n: int
    share: float
    lo: float
    hi: float

    @classmethod
    def of(cls, k: float, n: int) -> Share:
        lo, hi = wilson(int(round(k)), n)
        return cls(int(round(k)), n, k / n if n else 0.0, lo, hi)


@dataclass
class RoleStakes:
    role: str
    outcomes: dict[str, Share]  # win / draw / loss
    by_doctrine: dict[str, Mean]  # score by doctrine (incl. "random")
    outcome_by_doctrine: dict[str, dict[str, Share]]

    @property
    def spread(self) -> float:
        """Best − worst doctrine's mean score (random play left out)."""
        means = [m.mean for d, m in self.by_doctrine.items() if d != "random"]
        return max(means) - min(means) if means else 0.0


@dataclass
class StakesReport:
    ruleset: str
    games: int
    seed: int
    roles: dict[str, RoleStakes]
    endings: dict[str, Share] = field(default_factory=dict)
    outcome_by_ending: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> ending -> "win 80 % / ..."


def stakes(ruleset: str | Path | CompiledModel, games: int, seed: int = 0, *,
           overrides: Mapping[str, Any] | None = None) -> StakesReport:
    """Per role: win/draw/loss shares and the score by doctrine over ``games`` mixed-doctrine games."""
    if games < 2:
        raise ValueError("games must be 2 or more")
    model = _model(ruleset, overrides)
    res = play_mixed(model, seed, np.arange(games, dtype=np.uint64))
    return stakes_of(model, res, seed)


def stakes_of(model: CompiledModel, res: Mapping[str, np.ndarray], seed: int = 0) -> StakesReport:
    """A ``StakesReport`` from per-game results (``play_mixed``'s columns)."""
    n = len(res["ending"])
    roles: dict[str, RoleStakes] = {}
    by_ending: dict[str, dict[str, str]] = {}
    for a in sorted(model.scores):
        role = model.actors[a]
        score = res[f"score.{role}"]
        doc = res.get(f"doctrine.{role}", np.full(n, "?"))
        out = res.get(f"outcome.{role}")
        shares = {o: Share.of(float(np.sum(out == o)), n) for o in OUTCOMES} if out is not None else {}
        by_doc = {d: Mean.of(score[doc == d]) for d in sorted(set(doc.tolist()))}
        out_doc = ({d: {o: Share.of(float(np.sum((doc == d) & (out == o))), int(np.sum(doc == d))) for o in OUTCOMES}
                    for d in by_doc} if out is not None else {})
        roles[role] = RoleStakes(role, shares, by_doc, out_doc)
        if out is not None:
            by_ending[role] = {}
            for e in model.endings:
                hit = res["ending"] == e.id
                k = int(hit.sum())
                if k:
                    parts = [f"{o} {np.sum(out[hit] == o) / k:.0%}" for o in OUTCOMES if np.any(out[hit] == o)]
                    by_ending[role][e.id] = ", ".join(parts)
    endings = {e.id: Share.of(float(np.sum(res["ending"] == e.id)), n) for e in model.endings}
    return StakesReport(model.id, n, seed, roles, endings, by_ending)


@dataclass
class Paired:
    role: str
    doctrine: str
    n: int
    better: Share  # share of paired games where the doctrine scored higher than random (ties half)
    diff: Mean  # mean score difference doctrine − random


@dataclass
class PairedSpread:
    """A role's best and worst doctrine by mean score on the same games, and their paired difference."""

    role: str
    best: str
    worst: str
    diff: Mean  # mean score difference best − worst, over the paired games


@dataclass
class DoctrinePairs:
    vs_random: list[Paired]
    spread: dict[str, PairedSpread]  # role -> its doctrines' paired spread (roles with two or more doctrines)


def doctrine_pairs(ruleset: str | Path | CompiledModel, games: int, seed: int = 0, *,
                   roles: list[str] | None = None, overrides: Mapping[str, Any] | None = None) -> DoctrinePairs:
    """Each role on random play and on each of its doctrines, on the same games (the other roles on mixed
    doctrines): every doctrine against random play, and the spread best − worst doctrine."""
    model = _model(ruleset, overrides)
    idx = np.arange(games, dtype=np.uint64)
    vs_random: list[Paired] = []
    spread: dict[str, PairedSpread] = {}
    for role in roles or [model.actors[a] for a in sorted(model.scores)]:
        if not model.doctrines.get(role):
            continue
        base = play_mixed(model, seed, idx, fixed={role: "random"})[f"score.{role}"]
        scores = {d: play_mixed(model, seed, idx, fixed={role: f"doctrine:{d}"})[f"score.{role}"]
                  for d in model.doctrines[role]}
        for d, s in scores.items():
            k = float(np.sum(s > base) + 0.5 * np.sum(s == base))
            vs_random.append(Paired(role, d, games, Share.of(k, games), Mean.of(s - base)))
        if len(scores) > 1:
            means = {d: float(np.mean(s)) for d, s in scores.items()}
            best, worst = max(means, key=means.__getitem__), min(means, key=means.__getitem__)
            spread[role] = PairedSpread(role, best, worst, Mean.of(scores[best] - scores[worst]))
    return DoctrinePairs(vs_random, spread)


def doctrine_vs_random(ruleset: str | Path | CompiledModel, games: int, seed: int = 0, *,
                       roles: list[str] | None = None, overrides: Mapping[str, Any] | None = None) -> list[Paired]:
    """Each role's doctrines against random play on paired games (the other roles on mixed doctrines)."""
    return doctrine_pairs(ruleset, games, seed, roles=roles, overrides=overrides).vs_random


def _one(x: float) -> float:
    """``x`` rounded to one decimal, never -0.0 (a mean of -0.04 prints 0.0)."""
    return round(x, 1) + 0.0


def _pct(s: Share) -> str:
    return f"{s.share:6.1%} ({s.lo:.0%}–{s.hi:.0%})"


def format_stakes(rep: StakesReport, paired: DoctrinePairs | None = None) -> str:
    lines = [f"Stakes of {rep.ruleset}: {rep.games:,} games, seed {rep.seed}, mixed doctrines "
             f"({RANDOM_SHARE:.0%} random play); 95 % intervals", ""]
    lines.append(f"{'role':<12} {'win':>20} {'draw':>20} {'loss':>20}  best−worst doctrine")
    for role, rs in rep.roles.items():
        cells = [_pct(rs.outcomes[o]) if o in rs.outcomes else "—" for o in OUTCOMES]
        lines.append(f"{role:<12} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20}  {rs.spread:6.1f}")
    for role, rs in rep.roles.items():
        lines += ["", f"{role}: score and outcome by doctrine"]
        for d, m in rs.by_doctrine.items():
            od = rs.outcome_by_doctrine.get(d, {})
            wdl = " / ".join(f"{od[o].share:.0%}" for o in OUTCOMES) if od else ""
            lines.append(f"  {d:<14} n={m.n:<6} score {_one(m.mean):7.1f} ({_one(m.lo):.1f} to {_one(m.hi):.1f})   win/draw/loss {wdl}")
    if rep.outcome_by_ending:
        lines += ["", "Outcome per ending reached (share of those games):"]
        for role, per in rep.outcome_by_ending.items():
            lines.append(f"  {role}")
            for e, txt in per.items():
                lines.append(f"    {e:<24} {txt}")
    if paired is not None and paired.spread:
        lines += ["", "Best − worst doctrine on paired games (same seeds; mean score difference, 95 % interval):"]
        for role, sp in paired.spread.items():
            lines.append(f"  {role:<12} {sp.best} − {sp.worst}: {_one(sp.diff.mean):+.1f} ({_one(sp.diff.lo):+.1f} "
                         f"to {_one(sp.diff.hi):+.1f}) over {sp.diff.n:,} games")
    if paired is not None and paired.vs_random:
        lines += ["", "Doctrine against random play (paired games, share scoring higher, ties half):"]
        for p in paired.vs_random:
            lines.append(f"  {p.role:<12} {p.doctrine:<14} {_pct(p.better)}   mean gain {_one(p.diff.mean):+.1f} "
                         f"({_one(p.diff.lo):+.1f} to {_one(p.diff.hi):+.1f})")
    return "\n".join(lines)
