"""Observations: what one actor knows. Own values exact, others' through the ruleset's noise.

Noise is drawn from the same keyed randomness as everything else (site ``intel/<observer>/<value>``),
so an observation replays exactly. The estimate is ``v * (1 + noise * z)`` with ``z`` a bounded
normal (``rng.normal_sites``: sum of four uniforms, |z| ≤ 2√3); the app shows it as
"≈ estimate ± noise·estimate".
"""

from __future__ import annotations

import attrs
import numpy as np

from endgame_game.engine import rng
from endgame_game.engine.log import EffectApplied, Record
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.state import BatchState

Z_BOUND = 2.0 * float(np.sqrt(3.0))
"""The largest |z| an estimate's noise can reach."""


@attrs.frozen
class Observation:
    """One actor's view of a batch.

    Attributes:
        actor: the observer.
        values: [B, N] estimates of every value slot (exact for own slots and tracks).
        spread: [B, N] one standard deviation of the estimate (0 where exact).
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


def estimates(model: CompiledModel, state: BatchState, actor: int,
              only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, spread, exact) as ``actor`` sees them.

    Args:
        only: the value slots the caller reads (default: all). Hidden slots outside it are not
            estimated and read as NaN, so a caller that reads them anyway fails loudly.
    """
    noise = model.intel_noise.copy()
    owner = model.symbols.value_owner
    me = model.actors[actor]
    exact = np.array([o in ("", me) for o in owner], dtype=bool) | (noise == 0)
    vals = state.values.copy(order="K")
    spread = np.zeros_like(vals)
    hidden = np.nonzero(~exact)[0]
    if only is not None:
        skip = np.setdiff1d(hidden, only)
        vals[:, skip] = np.nan
        spread[:, skip] = np.nan
        hidden = np.intersect1d(hidden, only)
    if hidden.size:
        sites = [int(model.intel_sites[actor, j]) for j in hidden]
        z = rng.normal_sites(state.seed, state.games, state.turn, sites)
        est = state.values[:, hidden] * (1.0 + noise[hidden] * z)
        est = np.clip(est, model.lo[hidden], model.hi[hidden])
        vals[:, hidden] = est
        spread[:, hidden] = np.abs(est) * noise[hidden]
    return vals, spread, exact


def observe(model: CompiledModel, state: BatchState, actor: int, legal: np.ndarray,
            only: np.ndarray | None = None) -> Observation:
    vals, spread, exact = estimates(model, state, actor, only)
    view = state.with_values(vals)
    return Observation(model.actors[actor], vals, spread, exact, legal, view)


def visible_records(model: CompiledModel, records: list[Record], actor: str) -> list[Record]:
    """The public log as ``actor`` may see it: everything except exact before/after values of
    other actors' noisy resources (which would give away what intelligence only estimates)."""
    hidden = {
        name for j, name in enumerate(model.symbols.values)
        if model.symbols.value_owner[j] not in ("", actor) and model.intel_noise[j] > 0
    }
    return [r for r in records if not (isinstance(r, EffectApplied) and r.target in hidden)]
