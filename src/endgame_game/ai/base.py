"""The agent protocol: given one actor's observation of a batch, return that actor's orders.

An agent is any object with ``act(observation) -> [B, M] bool`` over the model's move table, choosing
only among ``observation.legal`` moves that fit together (``engine.Budget`` helps). Agents draw
their randomness from the game's keyed streams (``draw``), so AI play replays exactly too.

Example, a cautious agent that only ever takes its cheapest legal move::

    class Cautious:
        def __init__(self, model, actor):
            self.model, self.actor = model, model.actor_index[actor]

        def act(self, obs):
            orders = np.zeros_like(obs.legal)
            for s in self.model.moves_of[self.actor]:
                pick = obs.legal[:, s] & ~orders.any(axis=1)
                orders[:, s] = pick
            return orders
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import Budget
from endgame_game.rules.compile import site_key


@runtime_checkable
class Agent(Protocol):
    """Chooses one actor's orders for a whole batch."""

    def act(self, obs: Observation) -> np.ndarray:
        """Return [B, M] bool orders (only this actor's columns may be True)."""
        ...


def draw(obs: Observation, label: str, k: int = 0) -> np.ndarray:
    """A uniform [0, 1) per game, keyed by (seed, game, turn, agent label, k): replays exactly."""
    st = obs.state
    return rng.uniform(st.seed, st.games, st.turn, site_key(f"agent/{label}"), k)


def weighted_picks(model: CompiledModel, obs: Observation, actor: int, candidates: list[tuple[int, np.ndarray, float]],
                   label: str, pass_weight: float = 0.0) -> np.ndarray:
    """Pick moves at random in proportion to weight until nothing fits (vectorised over the batch).

    Args:
        candidates: (move slot, [B] bool eligible, weight) in priority order; a move may appear twice.
        label: keys the draws (e.g. ``"doctrine/moscow/hawk"``).
        pass_weight: weight of stopping early, each round.
    """
    B = obs.legal.shape[0]
    budget = Budget(model, obs.state, actor)
    live = np.ones(B, dtype=bool)
    if not candidates:
        return budget.chosen
    slots = [c[0] for c in candidates]
    weights = np.array([c[2] for c in candidates], dtype=np.float64)
    elig0 = np.stack([c[1] & obs.legal[:, c[0]] for c in candidates], axis=1)  # [B, R]
    for rnd in range(len(candidates)):
        fits = np.stack([budget.fits(s, elig0[:, r]) for r, s in enumerate(slots)], axis=1) & live[:, None]
        w = fits * weights[None, :]
        total = w.sum(axis=1)
        if not (total > 0).any():
            break
        u = draw(obs, label, rnd) * (total + pass_weight)
        cum = np.cumsum(w, axis=1)
        pick = (cum <= u[:, None]).sum(axis=1)  # index of the first cumulative weight above u
        chosen = (pick < len(slots)) & (total > 0)
        live &= chosen
        for r, s in enumerate(slots):
            sel = chosen & (pick == r)
            if sel.any():
                budget.take(s, sel)
    return budget.chosen
