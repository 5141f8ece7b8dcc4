"""What a role knows of the others, and of what its own moves did to them: estimates, their history,
and the consequences of its moves and aid, each as honest as the ruleset's intelligence allows.

The estimates themselves are computed in ``engine.observe`` (a filter carried in the batch state); this
module reads them for one game of a ``Game`` and adds the turn reports:

- ``current_estimates``: every value another actor owns, with one standard deviation of the error;
- ``estimate_history``: the same, turn by turn (for charts with bands);
- ``consequences``: what the role's own moves and own flows (``[intel] flows``: aid pipelines) did in a
  resolved turn to others' values: exact where the role sees the value exactly or the ruleset lists
  the source in ``[intel] exact_effects`` (a supplier counts what it shipped), otherwise an assessment
  (a battle-damage assessment of a strike, a delivery's effect) drawn with the role's own
  intelligence error for that value times ``[intel] assessment``, keyed like every draw (site
  ``bda/<role>/<source>/<value>``);
- ``visible_records``: a turn's log as the role may read it, those assessments in place of the exact
  before/after values it may not see.

Every number is in the value's own unit; a spread is one standard deviation (a 95 % band is ±2 spreads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from endgame_game.engine import rng
from endgame_game.engine.log import EffectApplied, EstimatedEffect, Record, UmpireAction
from endgame_game.engine.observe import estimate_of, variance
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import site_key

if TYPE_CHECKING:
    from endgame_game.engine.api import Game


@attrs.frozen
class Estimate:
    """One actor's estimate of one value at the start of a turn.

    Attributes:
        name: the value, ``"kyiv.air_defence"``.
        owner: the actor that owns it.
        turn: the turn it is the estimate at (before that turn's orders).
        value: the estimate (the true value where ``exact``).
        spread: one standard deviation of the estimate's error, in the value's unit (0 where exact).
        exact: the observer sees this value exactly.
        low, high: the 95 % band, ``value ∓ 2·spread`` within the value's bounds.
    """

    name: str
    owner: str
    turn: int
    value: float
    spread: float
    exact: bool
    low: float
    high: float


@attrs.frozen
class Consequence:
    """What one of an actor's own moves or flows did to another's value in one resolved turn, as the
    actor may know it.

    Attributes:
        turn: the resolved turn.
        source: the move or flow id; ``source_label`` its label.
        target: the value changed (``"kyiv.shells"``, or a track); ``owner`` its owner ("" for a track).
        change: after − before: exact, or the actor's assessment of it.
        spread: one standard deviation of that assessment (0 where exact).
        exact: the change is known exactly.
        after: the value after the turn: exact where the actor sees it exactly, else its estimate at the
            start of the next turn (NaN if the game kept no history and this is not the last turn).
        after_spread: one standard deviation of ``after`` (0 where exact).
    """

    turn: int
    source: str
    source_label: str
    target: str
    owner: str
    change: float
    spread: float
    exact: bool
    after: float
    after_spread: float


def _actor(g: Game, actor: str) -> int:
    if actor not in g.model.actor_index:
        raise EndgameError(f"no actor {actor!r} in {g.model.id}")
    return g.model.actor_index[actor]


def _estimate(g: Game, a: int, j: int, turn: int, values: np.ndarray, est: np.ndarray, var: np.ndarray,
              game: int) -> Estimate:
    """Observer ``a``'s estimate of value ``j`` from ([B, N] true values, [B, P] estimates, [B, P] variance)."""
    m = g.model
    exact = bool(m.intel_exact[a, j])
    if exact:
        v, sd = float(values[game, j]), 0.0
    else:
        e, s = estimate_of(m, est[game:game + 1], var[game:game + 1], a, j)
        v, sd = float(e[0]), float(s[0])
    lo, hi = float(m.lo[j]), float(m.hi[j])
    return Estimate(m.symbols.values[j], m.symbols.value_owner[j], turn, v, sd, exact,
                    max(lo, v - 2 * sd), min(hi, v + 2 * sd))


def _others(g: Game, a: int) -> list[int]:
    me = g.model.actors[a]
    return [j for j, o in enumerate(g.model.symbols.value_owner) if o not in ("", me)]


def current_estimates(g: Game, actor: str, game: int = 0) -> list[Estimate]:
    """Every value another actor owns, as ``actor`` estimates it now (in ``model.symbols.values`` order)."""
    a = _actor(g, actor)
    st = g.state
    var = variance(g.model, st)
    return [_estimate(g, a, j, g.turn, st.values, st.est, var, game) for j in _others(g, a)]


def estimate_history(g: Game, actor: str, game: int = 0) -> dict[str, list[Estimate]]:
    """Value name → ``actor``'s estimate at the start of every turn so far (index 0 is turn 1), for the
    values ``current_estimates`` lists. A game kept without history (``history=False``) has only the
    current turn."""
    a = _actor(g, actor)
    cols = _others(g, a)
    out: dict[str, list[Estimate]] = {g.model.symbols.values[j]: [] for j in cols}
    if g.keep_history and len(g.intel_history) == len(g.history):
        frames = [(t + 1, vals, est, var) for t, (vals, (est, var)) in enumerate(zip(g.history, g.intel_history, strict=True))]
    else:
        frames = [(g.turn, g.state.values, g.state.est, variance(g.model, g.state))]
    for turn, vals, est, var in frames:
        for j in cols:
            out[g.model.symbols.values[j]].append(_estimate(g, a, j, turn, vals, est, var, game))
    return out


def own_sources(g: Game, actor: str) -> set[str]:
    """The ids whose effects are ``actor``'s doing: its moves (proposals included) and its declared flows."""
    a = _actor(g, actor)
    m = g.model
    out = {m.moves[s].id for s in m.moves_of[a]}
    out |= {fid for fid, who in m.intel_flow_actor.items() if who == a}
    return out


def _log(g: Game, turn: int) -> list[Record]:
    for tl in g.logs:
        if tl.turn == turn:
            return list(tl.records)
    return []


def _after(g: Game, a: int, j: int, turn: int, game: int) -> tuple[float, float]:
    """The value after resolved turn ``turn`` as actor ``a`` knows it (its estimate at turn + 1)."""
    m = g.model
    if turn + 1 == g.turn:
        vals, est, var = g.state.values, g.state.est, variance(m, g.state)
    elif g.keep_history and len(g.intel_history) == len(g.history) and turn < len(g.history):
        vals, (est, var) = g.history[turn], g.intel_history[turn]
    else:
        return float("nan"), float("nan")
    if m.intel_exact[a, j]:
        return float(vals[game, j]), 0.0
    e, s = estimate_of(m, est[game:game + 1], var[game:game + 1], a, j)
    return float(e[0]), float(s[0])


def consequences(g: Game, actor: str, turn: int | None = None, game: int = 0) -> list[Consequence]:
    """What ``actor``'s own moves and flows did to others' values (and tracks) in resolved turn ``turn``
    (default: the last one), one entry per (source, value), in the order they first applied.

    Exact where ``actor`` sees the value exactly or the source is in ``[intel] exact_effects``;
    otherwise the true change plus one draw of the actor's intelligence error for that value times
    ``[intel] assessment`` (a battle-damage assessment), so ``spread`` is the assessment's true
    standard deviation.
    Empty before a turn has resolved or for a game run with ``log=False``.
    """
    a = _actor(g, actor)
    m = g.model
    turn = g.turn - 1 if turn is None else int(turn)
    own = own_sources(g, actor)
    me = m.actors[a]
    sums: dict[tuple[str, str], float] = {}
    for r in _log(g, turn):
        if r.game != game or not isinstance(r, EffectApplied) or r.source not in own:
            continue
        j = m.value_index.get(r.target)
        if j is None or m.symbols.value_owner[j] == me:
            continue  # a flag, or the actor's own value (exact on its own panel)
        key = (r.source, r.target)
        sums[key] = sums.get(key, 0.0) + r.delta
    out: list[Consequence] = []
    for (source, target), delta in sums.items():
        j = m.value_index[target]
        after, after_sd = _after(g, a, j, turn, game)
        if m.intel_exact[a, j] or source in m.intel_exact_effects:
            change, sd, exact = delta, 0.0, True
        else:
            sd = float(m.intel_assessment * m.intel_rel[a, j] * g.state.intel_scale[game, j])
            z = rng.normal_sites(g.state.seed, g.state.games[game:game + 1], turn,
                                 [site_key(f"bda/{me}/{source}/{target}")])
            change, exact = delta + sd * float(z[0, 0]), False
        out.append(Consequence(turn, source, m.labels.get(source, source), target, m.symbols.value_owner[j],
                               change, sd, exact, after, after_sd))
    return out


def visible_records(g: Game, turn: int, viewer: str | None, game: int = 0) -> list[Record]:
    """Resolved turn ``turn``'s records of one game as ``viewer`` may read them (None: everything).

    Changes to values the viewer does not see exactly are dropped, except those its own moves and flows
    caused: those come back as one ``EstimatedEffect`` per (source, value), where the first of them was,
    carrying the assessment ``consequences`` gives (exact only where the ruleset makes it visible).
    """
    recs = [r for r in _log(g, turn) if r.game == game]
    if viewer is None:
        return recs
    m = g.model
    if viewer not in m.actor_index:  # the public (a network game's observers): what nobody estimates
        public_hidden = {v for j, v in enumerate(m.symbols.values)
                         if m.symbols.value_owner[j] != "" and m.intel_noise[j] > 0}
        return [r for r in recs if not (isinstance(r, EffectApplied | UmpireAction) and r.target in public_hidden)]
    a = _actor(g, viewer)
    hidden = {m.symbols.values[j] for j in range(len(m.symbols.values)) if not m.intel_exact[a, j]}
    own = own_sources(g, viewer)
    assessed = {(c.source, c.target): c for c in consequences(g, viewer, turn, game) if c.target in hidden}
    out: list[Record] = []
    placed: set[tuple[str, str]] = set()
    for r in recs:
        if isinstance(r, EffectApplied) and r.target in hidden:
            key = (r.source, r.target)
            if r.source in own and key in assessed and key not in placed:
                c = assessed[key]
                placed.add(key)
                out.append(EstimatedEffect(r.turn, r.game, c.source, c.target, c.change, c.spread, c.after,
                                           c.after_spread))
            continue
        if isinstance(r, UmpireAction) and r.target in hidden:
            continue
        out.append(r)
    return out

