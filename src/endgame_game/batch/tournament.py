"""The AI ladder: every tier against every other, for every role, on paired seeded games.

For each role and each agent, ``games`` games are played with that role on the agent and every other
role on ``opponents`` (default ``mixed``), all with the same seed and the same game indices
``0..games-1``: game ``i`` meets the same dice and the same opponents' doctrine draws whichever agent
plays the role (common random numbers). Two agents are compared on the same games: the share of
games in which the first one's role scores higher (ties count half), with a 95 % Wilson interval.
A rating per agent and role is fitted to all those pairwise shares (Bradley-Terry, on the Elo scale:
400 points is 10:1 odds), anchored at 0 for the first agent listed.

``doctrine:*`` stands for each of the role's doctrines; the ladder summary takes the best of them
(the highest rated) as the role's ``best doctrine``.

    >>> from endgame_game.batch.tournament import tournament
    >>> res = tournament("endgame-2024", ["random", "doctrine:*", "tuned"], games=2000, seed=1)  # doctest: +SKIP
    >>> print(res.format())                                                                     # doctest: +SKIP
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.batch.coverage import wilson
from endgame_game.batch.runner import run
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError

ELO = 400.0 / math.log(10.0)
"""Rating points per unit of log-odds."""


@dataclass(frozen=True)
class Pair:
    """Agent ``a`` against agent ``b`` on one role, over the same ``games`` games."""

    role: str
    a: str
    b: str
    games: int
    wins: int
    ties: int

    @property
    def losses(self) -> int:
        return self.games - self.wins - self.ties

    @property
    def share(self) -> float:
        """The share of games in which ``a``'s role scored higher than ``b``'s (ties half)."""
        return (self.wins + 0.5 * self.ties) / self.games if self.games else 0.0

    @property
    def ci(self) -> tuple[float, float]:
        return wilson(self.wins + 0.5 * self.ties, self.games)  # type: ignore[arg-type]


@dataclass
class Entry:
    """One agent on one role: its scores in games ``0..n-1``, and what it cost."""

    role: str
    agent: str
    scores: np.ndarray
    seconds: float
    game_turns: int

    @property
    def mean(self) -> float:
        return float(self.scores.mean())

    @property
    def se(self) -> float:
        n = self.scores.size
        return float(self.scores.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0


@dataclass
class Tournament:
    ruleset: str
    seed: int
    opponents: str
    tiers: list[str]  # the agents as asked (``doctrine:*`` unexpanded)
    entries: dict[str, dict[str, Entry]]  # role → agent → entry
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # role → agent → why
    pairs: dict[str, dict[tuple[str, str], Pair]] = field(default_factory=dict)
    ratings: dict[str, dict[str, float]] = field(default_factory=dict)

    def agents(self, role: str) -> list[str]:
        return list(self.entries[role])

    def best_of(self, role: str, tier: str) -> str | None:
        """The agent standing for ``tier`` on ``role``: itself, or for ``doctrine:*`` the best-rated doctrine."""
        names = self.agents(role)
        if tier != "doctrine:*":
            return tier if tier in names else None
        docs = [a for a in names if a == "doctrine" or a.startswith("doctrine:")]
        return max(docs, key=lambda a: self.ratings[role][a]) if docs else None

    def ladder(self, role: str) -> list[tuple[str, str, Pair]]:
        """Each tier against the one before it (as listed), with ``doctrine:*`` as the best doctrine."""
        steps = [a for a in (self.best_of(role, t) for t in self.tiers) if a is not None]
        out = []
        for lo, hi in zip(steps, steps[1:], strict=False):
            out.append((hi, lo, self.pairs[role][(hi, lo)]))
        return out

    def format(self) -> str:
        lines = [f"Tournament on {self.ruleset}, seed {self.seed}; the other roles play {self.opponents}. "
                 "Cell: the share of paired games in which the row's role scores higher than the column's "
                 "(ties half), with a 95 % interval."]
        for role, entries in self.entries.items():
            names = list(entries)
            n = {a: entries[a].scores.size for a in names}
            counts = sorted(set(n.values()))
            games = f"{counts[0]:,}" if len(counts) == 1 else ", ".join(f"{a} {n[a]:,}" for a in names)
            lines += ["", f"{role} ({games} games per agent)"]
            w = max(12, *(len(a) for a in names))
            head = f"  {'agent':<{w}} {'rating':>7} {'mean score':>13} {'turns/s':>9}"
            head += "".join(f" {_short(b):>15}" for b in names)
            lines.append(head)
            for a in names:
                e = entries[a]
                rate = e.game_turns / e.seconds if e.seconds > 0 else 0.0
                row = f"  {a:<{w}} {self.ratings[role][a]:>7.0f} {e.mean:>7.1f} ± {e.se:<4.1f} {rate:>9,.0f}"
                for b in names:
                    if a == b:
                        row += f" {'–':>15}"
                        continue
                    p = self.pairs[role][(a, b)]
                    lo, hi = p.ci
                    row += f" {f'{p.share:.0%} ({lo:.0%}–{hi:.0%})':>15}"
                lines.append(row)
            for agent, why in self.skipped.get(role, {}).items():
                lines.append(f"  {agent}: skipped ({why})")
            steps = self.ladder(role)
            if steps:
                best = self.best_of(role, "doctrine:*")
                text = ", ".join(f"{hi} > {lo} {p.share:.0%}" for hi, lo, p in steps)
                lines.append(f"  ladder: {text}" + (f"  (best doctrine: {best})" if best else ""))
        return "\n".join(lines)

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for role, pairs in self.pairs.items():
            for (a, b), p in pairs.items():
                lo, hi = p.ci
                out.append({
                    "ruleset": self.ruleset, "seed": self.seed, "opponents": self.opponents, "role": role,
                    "agent": a, "opponent": b, "games": p.games, "wins": p.wins, "ties": p.ties, "losses": p.losses,
                    "share": round(p.share, 6), "ci_low": round(lo, 6), "ci_high": round(hi, 6),
                    "rating": round(self.ratings[role][a], 1), "opponent_rating": round(self.ratings[role][b], 1),
                    "mean_score": round(self.entries[role][a].mean, 4),
                    "opponent_mean_score": round(self.entries[role][b].mean, 4),
                })
        return out

    def write_csv(self, path: str | Path) -> Path:
        """One row per (role, agent, opponent) pair, both ways round."""
        p = Path(path)
        rows = self.rows()
        with p.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["role"])
            w.writeheader()
            w.writerows(rows)
        return p


def _short(agent: str) -> str:
    return agent if len(agent) <= 15 else agent[:14] + "…"


def pair(role: str, a: Entry, b: Entry) -> Pair:
    """Compare two entries on the games both played (the first ``min`` indices: the same game keys)."""
    n = min(a.scores.size, b.scores.size)
    x, y = a.scores[:n], b.scores[:n]
    return Pair(role, a.agent, b.agent, n, int((x > y).sum()), int((x == y).sum()))


def fit_ratings(names: Sequence[str], pairs: Mapping[tuple[str, str], Pair], prior: float = 1.0) -> dict[str, float]:
    """Bradley-Terry ratings on the Elo scale fitted to pairwise shares, the first name at 0.

    ``prior`` adds that many drawn games to every pair, so a clean sweep has a finite rating gap.
    """
    k = len(names)
    idx = {a: i for i, a in enumerate(names)}
    wins = np.zeros((k, k))
    for (a, b), p in pairs.items():
        wins[idx[a], idx[b]] += p.wins + 0.5 * p.ties + 0.5 * prior
    games = wins + wins.T
    r = np.zeros(k)
    for _ in range(200):  # Newton steps on the log-likelihood (concave; converges in a few)
        d = r[:, None] - r[None, :]
        pr = 1.0 / (1.0 + np.exp(-d))
        grad = (wins - games * pr).sum(axis=1)
        h = games * pr * (1 - pr)
        hess = -np.diag(h.sum(axis=1)) + h
        hess[0, :] = 0.0
        hess[0, 0] = 1.0
        grad[0] = 0.0
        step = np.linalg.solve(hess, -grad)
        r += step
        r -= r[0]
        if np.abs(step).max() < 1e-10:
            break
    return {a: float(r[idx[a]] * ELO) for a in names}


def expand(model: CompiledModel, role: str, tiers: Sequence[str]) -> list[str]:
    """The agents for ``role``: ``doctrine:*`` becomes each of its doctrines; duplicates go."""
    out: list[str] = []
    for t in tiers:
        if t == "doctrine:*":
            out += [f"doctrine:{d}" for d in model.doctrines.get(role, {})] or ["doctrine"]
        else:
            out.append(t)
    return list(dict.fromkeys(out))


def tournament(ruleset: str | Path | CompiledModel, tiers: Sequence[str], games: int, seed: int = 1, *,
               roles: Sequence[str] | None = None, opponents: str = "mixed", games_of: Mapping[str, int] | None = None,
               overrides: Mapping[str, Any] | None = None, workers: int | None = None,
               on_entry: Callable[[Entry], None] | None = None) -> Tournament:
    """Play the cross-table (see the module docstring).

    Args:
        tiers: agent specs (``random``, ``doctrine:*``, ``tuned``, ``lookahead:4:8``, ...), weakest first.
        games: games per agent and role (indices ``0..games-1``).
        roles: the roles to rate (default: every role with a score and moves).
        opponents: the agent of every other role.
        games_of: fewer games for some agents (e.g. ``{"lookahead": 500}``); their pairs use the
            games both played.
        workers: processes per batch run (default one per core).
        on_entry: called after each agent's games.

    Raises:
        EndgameError: bad arguments (unknown role, fewer than two agents, ...).
    """
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    if games < 1:
        raise EndgameError("the number of games must be 1 or more")
    tiers = list(dict.fromkeys(tiers))
    if len(tiers) < 2:
        raise EndgameError("a tournament needs at least two agents")
    scored = [model.actors[a] for a in sorted(model.scores) if model.moves_of[a]]
    roles = list(roles) if roles else scored
    for r in roles:
        if r not in scored:
            raise EndgameError(f"no role {r!r} with a score and moves in {model.id}; roles: {', '.join(scored)}")
    games_of = dict(games_of or {})
    for spec, n in games_of.items():
        if spec not in tiers or n < 1:
            raise EndgameError(f"games for {spec!r}: it must be one of the agents ({', '.join(tiers)}) and 1 or more")
    res = Tournament(model.id, int(seed), opponents, tiers, {})
    for role in roles:
        res.entries[role] = {}
        for agent in expand(model, role, tiers):
            n = min(games, games_of.get(agent, games_of.get(agent.partition(":")[0], games)))
            t0 = time.perf_counter()
            try:
                out = run(model, n, seed, agents={role: agent}, default_agent=opponents, keep_rows=True,
                          workers=workers, overrides=overrides)
            except EndgameError as e:
                if agent.startswith("tuned"):  # a ruleset without tuned policies: rate the rest
                    res.skipped.setdefault(role, {})[agent] = str(e).split(";")[0]
                    continue
                raise
            assert out.rows is not None
            order = np.argsort(out.rows["game"], kind="stable")
            entry = Entry(role, agent, np.asarray(out.rows[f"score.{role}"], dtype=np.float64)[order],
                          time.perf_counter() - t0, out.game_turns)
            res.entries[role][agent] = entry
            if on_entry is not None:
                on_entry(entry)
        names = list(res.entries[role])
        res.pairs[role] = {(a, b): pair(role, res.entries[role][a], res.entries[role][b])
                           for a in names for b in names if a != b}
        res.ratings[role] = fit_ratings(names, res.pairs[role]) if names else {}
    return res


def record(res: Tournament, path: str | Path) -> Path:
    """Write each role's ladder steps (tier → its share against the tier below) as TOML."""
    lines = [f"# The AI ladder of {res.ruleset}, measured by: endgame tournament {res.ruleset} "
             f"--agents {','.join(res.tiers)} --seed {res.seed} --record", "",
             "[ladder]", f"ruleset = \"{res.ruleset}\"", f"seed = {res.seed}", f"opponents = \"{res.opponents}\""]
    for role in res.entries:
        lines += ["", f"[roles.{role}]"]
        for hi, lo, step in res.ladder(role):
            tier = next((t for t in res.tiers if res.best_of(role, t) == hi), hi)
            below = next((t for t in res.tiers if res.best_of(role, t) == lo), lo)
            lines.append(f"\"{tier}\" = {{ over = \"{below}\", share = {round(step.share, 4)}, games = {step.games} }}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out
