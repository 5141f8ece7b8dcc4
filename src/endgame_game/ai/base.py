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
from endgame_game.engine.orders import move_cost
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
    """Pick moves at random in proportion to weight until nothing fits (vectorised over the batch
    and over the candidates).

    Each round, every game draws one candidate among those still eligible that fit its remaining
    action points and resources (or stops, with ``pass_weight``); a move is taken at most once and a
    proposal answered at most once.

    Args:
        candidates: (move slot, [B] bool eligible, weight) in priority order; a move may appear twice.
        label: keys the draws (e.g. ``"doctrine/moscow/hawk"``).
        pass_weight: weight of stopping early, each round.

    Returns:
        [B, M] bool orders.
    """
    state = obs.state
    B = obs.legal.shape[0]
    chosen = np.zeros((len(model.moves), B), dtype=bool)  # move-major while choosing
    if not candidates:
        return chosen.T
    R = len(candidates)
    # Candidate-major arrays ([R, B]): reductions over candidates then add contiguous rows.
    slots = np.array([c[0] for c in candidates], dtype=np.intp)
    weights = np.array([c[2] for c in candidates], dtype=np.float64)[:, None]
    elig = np.stack([c[1] & obs.legal[:, c[0]] for c in candidates])  # [R, B]
    ap_r = model.move_ap[slots][:, None]
    # Costs over the few value slots any candidate spends: one [R, B] array per spent slot.
    cost_slots = sorted({idx for s in set(slots.tolist()) for idx, _ in model.moves[s].cost})
    col = {idx: k for k, idx in enumerate(cost_slots)}
    cost = [np.zeros((R, B)) for _ in cost_slots]
    spenders: list[list[int]] = [[] for _ in cost_slots]  # per spent slot: the candidates that spend it
    cache: dict[int, list[tuple[int, np.ndarray]]] = {}
    for r, s in enumerate(slots.tolist()):
        if s not in cache:
            cache[s] = move_cost(model, state, model.moves[s])
        for idx, c in cache[s]:
            cost[col[idx]][r] = c
            spenders[col[idx]].append(r)
    cost = [c[rows] for c, rows in zip(cost, spenders, strict=True)]
    row_in = [np.full(R, -1) for _ in cost_slots]  # candidate → its row in cost[k], or -1
    for k, rows in enumerate(spenders):
        row_in[k][rows] = np.arange(len(rows))
    spare = [state.values[:, idx] - model.lo[idx] for idx in cost_slots]
    ap = np.full(B, int(model.action_points[actor]), dtype=np.int64)
    prop_r = np.array([model.moves[s].proposal if model.moves[s].kind == "response" else -1 for s in slots.tolist()])
    resp_rows = np.nonzero(prop_r >= 0)[0]
    answered = np.zeros((max(1, len(model.proposals)), B), dtype=bool)
    live = np.ones(B, dtype=bool)
    cols = np.arange(B)
    cheapest = int(ap_r.min())
    for rnd in range(R):
        if not live.any():
            break
        fits = elig & ~chosen[slots] & (ap[None, :] >= ap_r)
        fits &= live[None, :]
        for k, rows in enumerate(spenders):
            fits[rows] &= spare[k][None, :] - cost[k] >= -1e-9
        if resp_rows.size:
            fits[resp_rows] &= ~answered[prop_r[resp_rows]]
        w = fits * weights
        cum = np.empty_like(w)  # a running sum row by row (np.cumsum along axis 0 is slow here)
        cum[0] = w[0]
        for i in range(1, R):
            np.add(cum[i - 1], w[i], out=cum[i])
        total = cum[-1]
        if not (total > 0).any():
            break
        u = draw(obs, label, rnd) * (total + pass_weight)
        pick = (cum <= u[None, :]).sum(axis=0)  # the first cumulative weight above u
        took = (pick < R) & (total > 0)
        live &= took
        if not took.any():
            break
        g = cols[took]
        r = pick[took]
        chosen[slots[r], g] = True
        ap[g] -= ap_r[r, 0]
        live &= ap >= cheapest  # a game that cannot afford any candidate is done: skip its last round
        for k in range(len(spenders)):
            pays = row_in[k][r] >= 0
            spare[k][g[pays]] -= cost[k][row_in[k][r[pays]], g[pays]]
        resp = prop_r[r] >= 0
        answered[prop_r[r][resp], g[resp]] = True
    return chosen.T
