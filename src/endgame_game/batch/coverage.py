"""Coverage: the tool a scenario designer balances with.

``coverage(ruleset, games)`` plays many seeded AI games of a ruleset and reports what never happened
(moves never legal, moves never taken, events never fired, thresholds never crossed, endings never
reached) and how often each ending happened, with 95 % Wilson confidence intervals.

By default the agents are **mixed** (``ai.MixedDoctrineAgent``): for every game and role a doctrine is
drawn (keyed by seed, game and role) from the role's doctrines, or the random agent with probability
``RANDOM_SHARE``. So a 2,000-game run covers every combination of doctrines and some unscripted play.

    >>> from endgame_game.batch.coverage import coverage, format_report
    >>> rep = coverage("rulesets/tutorial.toml", games=40, seed=1)      # doctest: +SKIP
    >>> print(format_report(rep))                                        # doctest: +SKIP

Game ``i`` of a run is game index ``i`` of the seed: it replays alone with the same agents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from endgame_game.ai import make_agent, parse_agent_specs
from endgame_game.ai.base import Agent
from endgame_game.ai.doctrine import MixedDoctrineAgent
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation

RANDOM_SHARE = 0.15
"""Share of (game, role) slots played by the random agent in mixed mode."""

Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes in n trials (0, 0 when n is 0)."""
    if n <= 0:
        return 0.0, 0.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


@dataclass
class Outcome:
    """One ending's frequency."""

    id: str
    label: str
    count: int
    share: float
    lo: float
    hi: float
    mean_turn: float


@dataclass
class CoverageReport:
    """What a coverage run saw.

    Attributes:
        ruleset: the ruleset id.
        games: games played.
        seed: the seed.
        agents: for each role, how many games each agent spec played it.
        moves: every move id (declared and generated responses) with its actor.
        legal: move id → games in which it was legal at least once.
        taken: move id → games in which it was taken at least once.
        events / thresholds: id → games in which it fired / was crossed at least once.
        outcomes: one row per ending, in declaration order.
        end_turns: the turn each game ended.
        results: per-game arrays from ``Game.results()`` (ending, scores, final values), concatenated.
    """

    ruleset: str
    games: int
    seed: int
    agents: dict[str, dict[str, int]]
    moves: dict[str, str]
    legal: dict[str, int]
    taken: dict[str, int]
    events: dict[str, int]
    thresholds: dict[str, int]
    outcomes: list[Outcome]
    end_turns: np.ndarray = field(repr=False)
    results: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def never_legal(self) -> list[str]:
        return [m for m, n in self.legal.items() if n == 0]

    @property
    def never_taken(self) -> list[str]:
        return [m for m, n in self.taken.items() if n == 0]

    @property
    def never_fired(self) -> list[str]:
        return [e for e, n in self.events.items() if n == 0]

    @property
    def never_crossed(self) -> list[str]:
        return [t for t, n in self.thresholds.items() if n == 0]

    @property
    def never_reached(self) -> list[str]:
        return [o.id for o in self.outcomes if o.count == 0]

    def share(self, *endings: str) -> float:
        """The share of games that ended with any of ``endings``."""
        known = {o.id for o in self.outcomes}
        for e in endings:
            if e not in known:
                raise KeyError(f"no ending {e!r}; known: {', '.join(sorted(known))}")
        return sum(o.count for o in self.outcomes if o.id in endings) / max(self.games, 1)

    @property
    def max_share(self) -> Outcome:
        return max(self.outcomes, key=lambda o: o.count)

    @property
    def ok(self) -> bool:
        """Every move legal somewhere and every ending reached."""
        return not self.never_legal and not self.never_reached


TurnHook = Callable[[Game], None]
"""Called before the agents order each turn (e.g. an umpire adjustment for an experiment)."""


CHUNK = 10_000
"""Games played at once (memory stays bounded; the doctrines are drawn per game, not per chunk)."""


def agents_for(model: CompiledModel, fixed: Mapping[str, str] | None = None,
               random_share: float = RANDOM_SHARE) -> dict[str, Agent]:
    """The named roles' agents (specs such as ``doctrine:hawk``); every other role with moves on mixed
    doctrines with some random play (``random_share``), or random where it has no doctrines."""
    fixed = fixed or {}
    agents: dict[str, Agent] = {}
    for a, name in enumerate(model.actors):
        if not model.moves_of[a]:
            continue
        if name in fixed:
            agents[name] = make_agent(fixed[name], model, name)
        elif model.doctrines.get(name):
            agents[name] = MixedDoctrineAgent(model, name, random_share=random_share)
        else:
            agents[name] = make_agent("random", model, name)
    return agents


def _specs_used(agents: Mapping[str, Agent], game: Game) -> dict[str, dict[str, int]]:
    """Per role, how many of the games played each spec (``doctrine:hawk``, ``random``, ...)."""
    out: dict[str, dict[str, int]] = {}
    for role, agent in agents.items():
        if isinstance(agent, MixedDoctrineAgent):
            names, counts = np.unique(agent.doctrine_of(game.state).astype(str), return_counts=True)
            out[role] = {(n if n == "random" else f"doctrine:{n}"): int(c) for n, c in zip(names, counts, strict=True)}
        else:
            out[role] = {str(getattr(agent, "spec", type(agent).__name__)): game.batch}
    return out


def _parse_agents(agents: str | Mapping[str, str] | None, model: CompiledModel) -> dict[str, str]:
    if agents is None:
        return {}
    if isinstance(agents, Mapping):
        return dict(agents)
    if "=" in agents:
        return parse_agent_specs(agents)
    # One spec for every role with moves ("random", "doctrine:hawk" is only valid where it exists).
    return {name: agents for a, name in enumerate(model.actors) if model.moves_of[a]}


def coverage(ruleset_path: str | Path | CompiledModel, games: int, seed: int = 0, agents: str | Mapping[str, str] | None = None,
             *, overrides: Mapping[str, Any] | None = None, on_turn: TurnHook | None = None,
             chunk: int | None = None) -> CoverageReport:
    """Play ``games`` AI games of a ruleset and report coverage and outcome frequencies.

    Args:
        ruleset_path: a ruleset file, id, or a compiled model.
        games: how many games.
        seed: the seed (game i of the run is game index i of this seed).
        agents: None for mixed doctrines; ``"random"`` (one spec for every role); or
            ``"moscow=doctrine:hawk,kyiv=random"`` (roles not named stay mixed).
        overrides: ``{"params.ua_recruits": 30}`` and the like.
        on_turn: a hook run before each turn's orders (experiments, umpire adjustments).
        chunk: games played at once (default ``CHUNK``); the results do not depend on it.

    Raises:
        RulesetError / EndgameError: a ruleset or agent that cannot be used.
    """
    if games < 1:
        raise ValueError("games must be 1 or more")
    model = ruleset_path if isinstance(ruleset_path, CompiledModel) else CompiledModel.load(ruleset_path, overrides)
    agent_objs = agents_for(model, _parse_agents(agents, model))
    size = chunk or CHUNK

    n_moves = len(model.moves)
    legal_games = np.zeros(n_moves, dtype=np.int64)
    taken_games = np.zeros(n_moves, dtype=np.int64)
    fired_games = np.zeros(len(model.events), dtype=np.int64)
    crossed_games = np.zeros(len(model.thresholds), dtype=np.int64)
    endings: list[np.ndarray] = []
    end_turns: list[np.ndarray] = []
    results: list[dict[str, np.ndarray]] = []
    used: dict[str, dict[str, int]] = {}

    start = 0
    while start < games:
        n = min(size, games - start)
        game = Game(model, seed=seed, games=np.arange(start, start + n, dtype=np.uint64), log=False, history=False)
        for role, counts in _specs_used(agent_objs, game).items():
            for spec, c in counts.items():
                used.setdefault(role, {}).setdefault(spec, 0)
                used[role][spec] += c
        legal_any = np.zeros((n, n_moves), dtype=bool)

        def count_legal(_role: str, obs: Observation, legal_any: np.ndarray = legal_any) -> None:
            legal_any |= obs.legal  # an ended game has no legal move

        game.play(agent_objs, before_turn=on_turn, observed=count_legal)
        st = game.state
        legal_games += legal_any.sum(axis=0)
        taken_games += (st.taken > 0).sum(axis=0)
        fired_games += (st.fired > 0).sum(axis=0)
        crossed_games += (st.crossed > 0).sum(axis=0)
        endings.append(st.ending.copy())
        end_turns.append(st.end_turn.copy())
        results.append(game.results())
        start += n

    ending_arr = np.concatenate(endings)
    turn_arr = np.concatenate(end_turns)
    outcomes = []
    for i, e in enumerate(model.endings):
        hit = ending_arr == i
        k = int(hit.sum())
        lo, hi = wilson(k, games)
        outcomes.append(Outcome(e.id, e.label or e.id, k, k / games, lo, hi,
                                float(turn_arr[hit].mean()) if k else float("nan")))
    merged = {key: np.concatenate([r[key] for r in results]) for key in results[0]} if results else {}
    return CoverageReport(
        ruleset=model.id if hasattr(model, "id") else str(ruleset_path),
        games=games,
        seed=seed,
        agents=used,
        moves={m.id: model.actors[m.actor] for m in model.moves},
        legal={m.id: int(legal_games[j]) for j, m in enumerate(model.moves)},
        taken={m.id: int(taken_games[j]) for j, m in enumerate(model.moves)},
        events={e.id: int(fired_games[j]) for j, e in enumerate(model.events)},
        thresholds={t.id: int(crossed_games[j]) for j, t in enumerate(model.thresholds)},
        outcomes=outcomes,
        end_turns=turn_arr,
        results=merged,
    )


def _pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def format_report(report: CoverageReport, *, detail: bool = False) -> str:
    """A plain-text report: the gaps first, then outcome frequencies with 95 % intervals.

    Args:
        detail: also list, for every move, event and threshold, in how many games it happened.
    """
    r = report
    lines = [f"Coverage of {r.ruleset}: {r.games} games, seed {r.seed}"]
    for role, specs in r.agents.items():
        mix = ", ".join(f"{s} {n}" for s, n in sorted(specs.items()))
        lines.append(f"  {role}: {mix}")
    lines.append("")

    def gap(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"{title} ({len(items)}): " + ", ".join(items))
        else:
            lines.append(f"{title}: none")

    gap("Moves never legal", r.never_legal)
    gap("Moves never taken", r.never_taken)
    gap("Events never fired", r.never_fired)
    gap("Thresholds never crossed", r.never_crossed)
    gap("Endings never reached", r.never_reached)
    lines.append("")
    lines.append("Outcomes (95 % Wilson interval, mean final turn):")
    width = max((len(o.label) for o in r.outcomes), default=10)
    for o in r.outcomes:
        turn = f"turn {o.mean_turn:4.1f}" if o.count else "   -     "
        lines.append(f"  {o.label:<{width}}  {o.count:6d}  {_pct(o.share)}  [{_pct(o.lo)} – {_pct(o.hi)}]  {turn}")
    top = r.max_share
    lines.append(f"Most frequent: {top.id} at {_pct(top.share).strip()}")
    if detail:
        lines.append("")
        lines.append("Moves (games legal / games taken):")
        for m, actor in r.moves.items():
            lines.append(f"  {actor:>12} {m:<28} {r.legal[m]:6d} {r.taken[m]:6d}")
        lines.append("Events (games fired):")
        for e, n in r.events.items():
            lines.append(f"  {e:<28} {n:6d}")
        lines.append("Thresholds (games crossed):")
        for t, n in r.thresholds.items():
            lines.append(f"  {t:<28} {n:6d}")
    return "\n".join(lines)


__all__ = ["CoverageReport", "Outcome", "coverage", "format_report", "wilson"]
