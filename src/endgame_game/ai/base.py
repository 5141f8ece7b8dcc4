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

from endgame_game.ai import kernels
from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import move_cost
from endgame_game.rules.compile import site_key


@runtime_checkable
class Agent(Protocol):
    """Chooses one actor's orders for a whole batch."""

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Return [B, M] bool orders (only this actor's columns may be True), or (orders, [B, J, T]
        terms of the offers among them) for an agent that bargains (``ai.bargain``)."""
        ...


def orders_only(given: np.ndarray | tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """An agent's orders without the terms a bargaining agent may return with them (``ai.bargain``)."""
    return given[0] if isinstance(given, tuple) else given


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
    if not candidates:
        return np.zeros((len(model.moves), B), dtype=bool).T
    slots = np.array([c[0] for c in candidates], dtype=np.intp)
    weights = np.array([c[2] for c in candidates], dtype=np.float64)
    elig = np.empty((len(candidates), B), dtype=bool)  # candidate-major: reductions add contiguous rows
    for r, c in enumerate(candidates):
        np.logical_and(c[1], obs.legal[:, c[0]], out=elig[r])
    ap_r = model.move_ap[slots].astype(np.int64)
    # Costs over the few value slots any candidate spends: per spent slot, the rows of the candidates
    # that spend it (``spenders``), and each candidate's row among them (``row_in``, -1 if it does not).
    cost_slots = sorted({idx for s in set(slots.tolist()) for idx, _ in model.moves[s].cost})
    col = {idx: k for k, idx in enumerate(cost_slots)}
    per_move: dict[int, list[tuple[int, np.ndarray]]] = {}
    spenders: list[list[int]] = [[] for _ in cost_slots]
    rows: list[list[np.ndarray]] = [[] for _ in cost_slots]
    for r, s in enumerate(slots.tolist()):
        if s not in per_move:
            per_move[s] = move_cost(model, state, model.moves[s])
        for idx, cost_r in per_move[s]:
            spenders[col[idx]].append(r)
            rows[col[idx]].append(cost_r)
    row_in = np.full((len(cost_slots), len(candidates)), -1, dtype=np.intp)
    for k, rs in enumerate(spenders):
        row_in[k, rs] = np.arange(len(rs))
    spare = [state.values[:, idx] - model.lo[idx] for idx in cost_slots]
    prop_r = np.array([model.moves[s].proposal if model.moves[s].kind == "response" else -1 for s in slots.tolist()])
    if B >= kernels.MIN_BATCH and kernels.enabled():
        offsets = np.cumsum([0] + [len(rs) for rs in spenders])[:-1]
        flat_in = np.where(row_in >= 0, row_in + offsets[:, None], -1)
        cost_rows = np.stack([c for cs in rows for c in cs], axis=1) if any(rows) else np.zeros((B, 0))
        site = site_key(f"agent/{label}")
        keys = np.array([rng.stream_key(state.seed, state.turn, site, k) for k in range(len(candidates))],
                        dtype=np.uint64)
        chosen = kernels.picks(np.ascontiguousarray(elig.T), slots, prop_r, weights, ap_r, int(model.action_points[actor]), pass_weight,
                               cost_rows, flat_in, np.stack(spare, axis=1) if spare else np.zeros((B, 0)), keys,
                               state.games, len(model.moves))
        if chosen is not None:
            return chosen.T
    cost = [np.stack(cs) if cs else np.zeros((0, B)) for cs in rows]
    return _picks_numpy(model, obs, actor, label, pass_weight, slots, weights, elig, ap_r, spenders, cost,
                        row_in, spare, prop_r).T


def _picks_numpy(model: CompiledModel, obs: Observation, actor: int, label: str, pass_weight: float,
                 slots: np.ndarray, weights: np.ndarray, elig: np.ndarray, ap_r: np.ndarray,
                 spenders: list[list[int]], cost: list[np.ndarray], row_in: np.ndarray, spare: list[np.ndarray],
                 prop_r: np.ndarray) -> np.ndarray:
    """The reference path of ``weighted_picks``: round by round over [candidates, games] arrays.

    Returns [M, B] bool (move-major)."""
    B = elig.shape[1]
    R = len(slots)
    chosen = np.zeros((len(model.moves), B), dtype=bool)
    w_r = weights[:, None]
    ap_c = ap_r[:, None]
    ap = np.full(B, int(model.action_points[actor]), dtype=np.int64)
    resp_rows = np.nonzero(prop_r >= 0)[0]
    answered = np.zeros((max(1, len(model.proposals)), B), dtype=bool)
    live = np.ones(B, dtype=bool)
    cols = np.arange(B)
    cheapest = int(ap_r.min())
    for rnd in range(R):
        if not live.any():
            break
        fits = elig & ~chosen[slots] & (ap[None, :] >= ap_c)
        fits &= live[None, :]
        for k, rows in enumerate(spenders):
            fits[rows] &= spare[k][None, :] - cost[k] >= -1e-9
        if resp_rows.size:
            fits[resp_rows] &= ~answered[prop_r[resp_rows]]
        # A running sum row by row of the weights (``fits * w_r``, each row made in place; np.cumsum
        # along axis 0 is slow here).
        cum = np.empty((R, fits.shape[1]))
        np.multiply(fits[0], w_r[0], out=cum[0])
        for i in range(1, R):
            np.multiply(fits[i], w_r[i], out=cum[i])
            np.add(cum[i - 1], cum[i], out=cum[i])
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
        ap[g] -= ap_r[r]
        live &= ap >= cheapest  # a game that cannot afford any candidate is done: skip its last round
        for k in range(len(spenders)):
            pays = row_in[k][r] >= 0
            spare[k][g[pays]] -= cost[k][row_in[k][r[pays]], g[pays]]
        resp = prop_r[r] >= 0
        answered[prop_r[r][resp], g[resp]] = True
    return chosen
