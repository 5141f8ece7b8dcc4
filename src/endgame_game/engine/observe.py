"""Observations: what one actor knows. Own values exact, others' as filtered intelligence estimates.

Each turn every observer takes one fresh reading of every value it does not see exactly,
``y = x + sd · z`` with ``z`` a bounded standard normal drawn from the keyed randomness (site
``intel/<observer>/<value>``, so a reading replays exactly) and ``sd = rel · scale``: ``rel`` is the
value's ``intel_noise`` times the observer's quality for it (``[intel]`` rules: allies see each other
better than adversaries do), ``scale`` the value's initial size (public at the start). The reading is
folded into the observer's running estimate by a scalar Kalman filter: the value is expected to move
by about ``drift · scale`` a turn, so

    P⁻ = P + (drift · scale)²,   K = P⁻ / (P⁻ + sd²),   m ← m + K · (y − m),   P ← (1 − K) · P⁻

(with a fixed ``[intel] gain`` K instead, ``P ← (1 − K)² P⁻ + K² sd²``). Every term is a share of
``scale²``, so ``P / scale²`` and ``K`` depend only on how many readings were folded in: the model
holds them as tables (``intel_var_table``, ``intel_gain_table``) and the state carries the estimates
``est`` ([B, P], one column per hidden (observer, value) pair), ``intel_scale`` and the count ``intel_n``, so saves, replays and
rewinds reproduce them bit for bit. The spread shown is ``√P`` (``variance``), the filter's own
standard deviation of the estimate's error, not a share of the estimate.
"""

from __future__ import annotations

import attrs
import numpy as np

from endgame_game.engine import rng
from endgame_game.engine.log import EffectApplied, Record
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.state import BatchState

Z_BOUND = 2.0 * float(np.sqrt(3.0))
"""The largest |z| a reading's noise can reach."""


@attrs.frozen
class Observation:
    """One actor's view of a batch.

    Attributes:
        actor: the observer.
        values: [B, N] estimates of every value slot (exact for own slots and tracks).
        spread: [B, N] one standard deviation of the estimate's error (0 where exact).
        exact: [N] bool, the slots the observer sees exactly.
        legal: [B, M] bool, the observer's legal moves (each on its own).
        state: an estimate-substituted, read-only view of the state, for rules that read the observation.
    """

    actor: str
    values: np.ndarray
    spread: np.ndarray
    exact: np.ndarray
    legal: np.ndarray
    state: BatchState


READING_BLOCK = 4096
"""Games per block of ``update_estimates`` (a block's [games, pairs] arrays fit in the cache)."""


# -- the filter --------------------------------------------------------------------------------------


def _readings(model: CompiledModel, state: BatchState, blk: slice = slice(None),
              keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """([B, P] fresh readings, [B, P] their sd) of every hidden (observer, value) pair, in the games ``blk``
    (``keys``: their ``rng.site_keys``, computed once for all blocks)."""
    slot = model.intel_pair_slot
    sd = model.intel_pair_rel[None, :] * state.intel_scale[blk][:, slot]
    y = rng.normal_sites(state.seed, state.games[blk], state.turn, model.intel_pair_sites, keys)
    y *= sd
    y += state.values[blk][:, slot]
    return y, sd


def first_reading(model: CompiledModel, state: BatchState) -> None:
    """The estimates at the start of a game: the scale of every value, then one reading each (in place)."""
    state.intel_scale[:] = model.intel_scale(state.values)
    state.intel_n[:] = 0
    if not model.intel_pair_sites:
        return
    slot = model.intel_pair_slot
    y, _ = _readings(model, state)
    state.est[:] = np.clip(y, model.lo[slot], model.hi[slot])


def update_estimates(model: CompiledModel, state: BatchState, rows: np.ndarray | None = None) -> None:
    """Fold this turn's readings into every observer's estimates (in place; after a turn resolved).

    Args:
        rows: [B] bool, the games to update (default: all); the others keep their estimates
            (an ended game stays frozen).
    """
    if rows is not None and not rows.any():
        return
    n = np.minimum(state.intel_n + 1, model.intel_gain_table.shape[0] - 1)
    if model.intel_pair_sites:
        slot = model.intel_pair_slot
        # The gain depends only on how many readings a game has folded in: one row for the whole batch
        # when they agree in the games updated (they do: the games that ended lag, and keep their
        # estimates, whatever gain their rows were given), else one row per game.
        live = n if rows is None else n[rows]
        same = bool((live == live[0]).all())
        est = np.empty_like(state.est)
        keys = rng.site_keys(state.seed, state.turn, model.intel_pair_sites)
        # Block by block of games (the same numbers: every step is per game): a block's readings and
        # filter steps stay in the cache instead of a dozen passes over [B, P] arrays in memory.
        for b in range(0, state.batch, READING_BLOCK):
            blk = slice(b, b + READING_BLOCK)
            y, _ = _readings(model, state, blk, keys)
            m0 = state.est[blk]
            k = model.intel_gain_table[live[0]][None, :] if same else model.intel_gain_table[n[blk]]
            m1 = y  # m0 + k · (y − m0), in place
            m1 -= m0
            m1 *= k
            m1 += m0
            np.maximum(m1, model.lo[slot], out=m1)
            np.minimum(m1, model.hi[slot], out=m1)
            if rows is not None and not rows[blk].all():
                m1 = np.where(rows[blk, None], m1, m0)
            est[blk] = m1
        state.est = est
    state.intel_n[:] = n if rows is None else np.where(rows, n, state.intel_n)


def variance(model: CompiledModel, state: BatchState) -> np.ndarray:
    """[B, P] the error variance of each pair's estimate (``est``'s columns).

    It is the filter's own: ``scale² × intel_var_table[updates]``, the same as carrying the Kalman
    variance turn by turn, since every noise is a share of the value's scale."""
    n = np.minimum(state.intel_n, model.intel_var_table.shape[0] - 1)
    out: np.ndarray = model.intel_var_table[n] * state.intel_scale[:, model.intel_pair_slot] ** 2
    return out


def estimate_of(model: CompiledModel, est: np.ndarray, var: np.ndarray, actor: int, slot: int) -> tuple[np.ndarray, np.ndarray]:
    """([B] estimate, [B] spread) of one value by one observer from pair arrays (``est``, ``variance``)."""
    k = int(model.intel_pair_index[actor, slot])
    if k < 0:
        nan = np.full(est.shape[0], np.nan)
        return nan, nan
    return est[:, k], np.sqrt(var[:, k])


# -- reading an observation --------------------------------------------------------------------------


def estimates(model: CompiledModel, state: BatchState, actor: int,
              only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, spread, exact) as ``actor`` sees them: its filtered estimates and their true spread.

    Args:
        only: the value slots the caller reads (default: all). Hidden slots outside it read as NaN,
            so a caller that reads them anyway fails loudly.
    """
    exact = model.intel_exact[actor].copy()
    vals = state.values.copy(order="K")
    spread = np.zeros_like(vals)
    hidden = np.nonzero(~exact)[0]
    if only is not None:
        skip = np.setdiff1d(hidden, only)
        vals[:, skip] = np.nan
        spread[:, skip] = np.nan
        hidden = np.intersect1d(hidden, only)
    if hidden.size and not model.intel_observers[actor]:
        vals[:, hidden] = np.nan  # an actor that neither moves nor is played keeps no estimates
        spread[:, hidden] = np.nan
    elif hidden.size:
        ks = model.intel_pair_index[actor, hidden]
        n = np.minimum(state.intel_n, model.intel_var_table.shape[0] - 1)  # ``variance``, these columns only
        # One table row for the whole batch when every game folded in as many readings (they do, but
        # for games that ended), else one per game, of these pairs' columns only (a [B, P] gather of the
        # whole table cost more than the rest of an observation); then column by column.
        table = model.intel_var_table[:, ks]
        var = table[n[:1]] if n.size and (n == n[0]).all() else table[n]
        for i, (j, k) in enumerate(zip(hidden.tolist(), ks.tolist(), strict=True)):
            vals[:, j] = state.est[:, k]
            spread[:, j] = np.sqrt(var[:, i] * state.intel_scale[:, j] ** 2)
    return vals, spread, exact


def observe(model: CompiledModel, state: BatchState, actor: int, legal: np.ndarray,
            only: np.ndarray | None = None) -> Observation:
    vals, spread, exact = estimates(model, state, actor, only)
    view = state.with_values(vals)
    return Observation(model.actors[actor], vals, spread, exact, legal, view)


def visible_records(model: CompiledModel, records: list[Record], actor: str) -> list[Record]:
    """The public log as ``actor`` may see it: everything except exact before/after values of values
    it does not see exactly (which would give away what intelligence only estimates). The honest
    report of the actor's own moves' effects on such values is ``engine.intel.visible_records``."""
    a = model.actor_index[actor]
    hidden = {name for j, name in enumerate(model.symbols.values) if not model.intel_exact[a, j]}
    return [r for r in records if not (isinstance(r, EffectApplied) and r.target in hidden)]
