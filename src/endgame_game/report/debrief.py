"""The end of a game explained, one code path for the app's ending screen and ``endgame report``:
the ending and its debrief, each role's outcome (win/draw/loss) and score term by term, and where each
score sits among AI games of the same ruleset (played here, in-process: fast and deterministic).

Scores of different roles are not comparable (each role scores its own aims), so the debrief never
ranks them against each other: each role is set against AI games of the same role.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.ai import make_agents
from endgame_game.engine.api import Game, new_game
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError
from endgame_game.report import stakes

AI_GAMES = 10_000
"""AI games a finished game is compared with: every role on ``mixed`` (each game draws one of the
role's doctrines), seed 0, so the comparison is the same wherever it is computed."""
AI_SEED = 0
AI_AGENT = "mixed"


@attrs.frozen
class AIGames:
    """Scores and endings of AI games of one ruleset (``play_ai_games``)."""

    games: int
    scores: dict[str, np.ndarray]  # role → score per game
    endings: np.ndarray  # ending id per game
    outcomes: dict[str, np.ndarray]  # role → "win"/"draw"/"loss" per game
    agent: str = AI_AGENT
    seed: int = AI_SEED

    def rows(self) -> dict[str, list[object]]:
        """As batch-results columns (``ending``, ``score.<role>``), for ``aar.compare_with_batch``."""
        cols: dict[str, list[object]] = {"ending": [str(e) for e in self.endings]}
        for role, xs in self.scores.items():
            cols[f"score.{role}"] = [float(x) for x in xs]
        return cols


_CACHE: dict[tuple[Any, ...], AIGames] = {}
"""AI games by ruleset content (texts and overrides), games, seed and agent: a save loaded again for the
report compiles a new model of the same ruleset, and must not play the same 10,000 games again."""
_CACHE_SIZE = 4


def _key(model: CompiledModel, games: int, seed: int, agent: str) -> tuple[Any, ...]:
    return (tuple(text for _path, text in model.files), tuple(sorted(model.overrides.items())), games, seed, agent)


def cached_ai_games(model: CompiledModel, games: int = AI_GAMES, seed: int = AI_SEED,
                    agent: str = AI_AGENT) -> AIGames | None:
    """The AI games ``play_ai_games`` has already played for this ruleset, or None."""
    return _CACHE.get(_key(model, games, seed, agent))


def play_ai_games(model: CompiledModel, games: int = AI_GAMES, seed: int = AI_SEED, agent: str = AI_AGENT) -> AIGames:
    """Play ``games`` AI games of the model in one batch (game ``i`` is the same game the batch runner
    plays as index ``i``); cached per model, so the ending screen and the report share one run."""
    key = _key(model, games, seed, agent)
    if key in _CACHE:
        return _CACHE[key]
    g = new_game(model, seed=seed, batch=games, log=False, history=False)
    with np.errstate(all="ignore"):
        g.play(make_agents(model, {}, default=agent))
    st = g.state
    names = np.array([e.id for e in model.endings] + [""], dtype=object)
    endings = names[np.where(st.ending >= 0, st.ending, len(model.endings))]
    scores = {model.actors[a]: st.scores[:, a].copy() for a in model.scores}
    res = AIGames(games, scores, endings, {r: v.copy() for r, v in model.outcomes(st).items()}, agent, seed)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = res
    return res


def write_columns(ai: AIGames, path: Path) -> Path:
    """The AI games as a batch-results CSV (``ruleset``, ``game``, ``ending``, ``score.<role>``, ``outcome.<role>``)."""
    cols = ai.rows()
    for role, oc in ai.outcomes.items():
        cols[f"outcome.{role}"] = [str(x) for x in oc]
    names = ["game", *cols]
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(names)
            for i in range(ai.games):
                w.writerow([i, *(cols[n][i] for n in names[1:])])
    except OSError as e:
        raise EndgameError(f"cannot write {path}: {e.strerror or e}") from None
    return path


@attrs.frozen
class RoleDebrief:
    role: str
    name: str
    played_by: str  # "player", "player 2" in hot-seat, or "AI (…)"
    human: bool
    outcome: str  # win / draw / loss, "" without a rule
    score: float
    score_label: str
    terms: tuple[stakes.Term, ...]
    better_than: float = float("nan")  # share of AI games where the same role scored lower
    ties: float = float("nan")
    ai_median: float = float("nan")
    ai_outcomes: dict[str, float] = attrs.field(factory=dict)  # win/draw/loss share among AI games

    @property
    def percentile(self) -> str:
        """``better than 73 % of AI games`` (ties split evenly)."""
        if not math.isfinite(self.better_than):
            return ""
        return f"better than {100 * (self.better_than + self.ties / 2):.0f} % of AI games"


@attrs.frozen
class Debrief:
    ending_id: str
    ending_label: str
    ending_text: str
    end_turn: int
    roles: tuple[RoleDebrief, ...]
    ai_games: int = 0
    ai_same_ending: float = float("nan")  # share of AI games that reached this ending


def played_by(role: str, humans: Sequence[str], agents: Mapping[str, str], model: CompiledModel | None = None) -> str:
    """``player`` (hot-seat: ``player 2``), or ``AI: Hawk (doctrine)``."""
    if role in humans:
        return "player" if len(humans) == 1 else f"player {list(humans).index(role) + 1}"
    spec = agents.get(role, "")
    if not spec:
        return "AI"
    return f"AI: {agent_label(model, role, spec) if model is not None else spec}"


def debrief(game: Game, humans: Sequence[str] = (), agents: Mapping[str, str] | None = None,
            ai: AIGames | None = None) -> Debrief:
    """The ending of game 0 explained for every role with a score (true values: the game is over)."""
    model = game.model
    st = game.state
    e_idx = int(st.ending[0])
    ending = model.endings[e_idx] if e_idx >= 0 else None
    agents = dict(agents or {})
    outcomes = {r: str(v[0]) for r, v in model.outcomes(st).items()}
    roles = []
    for a in model.scores:
        role = model.actors[a]
        label, total, terms = stakes.score_terms(game, role, None)
        score = float(st.scores[0, a])
        extra: dict[str, object] = {}
        if ai is not None and role in ai.scores:
            xs = ai.scores[role]
            extra = {"better_than": float(np.mean(xs < score)), "ties": float(np.mean(xs == score)),
                     "ai_median": float(np.median(xs))}
            if role in ai.outcomes:
                oc = ai.outcomes[role]
                extra["ai_outcomes"] = {k: float(np.mean(oc == k)) for k in ("win", "draw", "loss")}
        roles.append(RoleDebrief(role, model.ruleset.actors[role].name, played_by(role, humans, agents, model),
                                 role in humans, outcomes.get(role, ""), score, label, tuple(terms), **extra))  # type: ignore[arg-type]
    same = float(np.mean(ai.endings == (ending.id if ending else ""))) if ai is not None else float("nan")
    return Debrief(ending.id if ending else "", ending.label if ending else "The game was stopped",
                   (ending.text or "").strip() if ending else "", int(st.end_turn[0]) or game.turn,
                   tuple(roles), ai.games if ai is not None else 0, same)


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if math.isfinite(x) else "—"


def lines(d: Debrief) -> list[str]:
    """The debrief as plain lines: the same text in the app, the Markdown report and the CLI."""
    out = [f"Ending: {d.ending_label} (after turn {d.end_turn})"]
    if d.ai_games:
        out.append(f"{_pct(d.ai_same_ending)} of {d.ai_games:,} AI games ({AI_AGENT} doctrines, seed {AI_SEED}) "
                   "reached this ending.")
    for r in d.roles:
        out.append("")
        head = f"{r.name} ({r.played_by}): {(r.outcome or 'no outcome rule').upper()}, score {stakes.fmt(r.score)}"
        out.append(head)
        if r.percentile:
            oc = ", ".join(f"{k} {_pct(v)}" for k, v in r.ai_outcomes.items())
            out.append(f"  {r.percentile} for {r.name} (AI median {stakes.fmt(r.ai_median)}"
                       + (f"; AI outcomes: {oc}" if oc else "") + ")")
        for t in r.terms:
            if t.conditional and abs(t.value) < 1e-12:
                continue
            out.append(f"  {t.text}: {t.value:+.1f}")
    return out


def role_table(d: Debrief) -> tuple[list[str], list[list[str]]]:
    """(header, rows): role, played by, outcome, score, and the standing among AI games of that role."""
    head = ["Role", "Played by", "Outcome", "Score", "Against AI games of the same role"]
    rows = [[r.name, r.played_by, r.outcome or "—", stakes.fmt(r.score), r.percentile or "—"] for r in d.roles]
    return head, rows


def agent_label(model: CompiledModel, role: str, spec: str) -> str:
    """An agent spec in words: ``doctrine:hawk`` → ``Hawk (doctrine)``, ``mixed`` → ``mixed doctrines``."""
    kind, _, name = spec.partition(":")
    docs = model.ruleset.doctrines.get(role, {})
    if kind == "doctrine":
        d = docs.get(name) if name else next(iter(docs.values()), None)
        return f"{(d.label if d and d.label else name or 'first')} (doctrine)"
    return {"mixed": "mixed doctrines", "random": "random moves", "tuned": "tuned policy",
            "rollout": "search", "lookahead": "lookahead"}.get(spec, spec)
