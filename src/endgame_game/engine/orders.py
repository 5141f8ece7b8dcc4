"""Legality: which moves each actor may order, why not, and checking submitted orders.

Legality travels with the observation as a mask (``legal_mask``); ``validate`` refuses anything
else with the move and the reason. Orders for a batch are a bool array ``[B, M]`` over the model's
move table (declared moves, then generated proposal responses).
"""

from __future__ import annotations

import attrs
import numpy as np

from endgame_game.engine import negotiation as nego
from endgame_game.engine.model import CMove, CompiledModel
from endgame_game.engine.state import BatchState
from endgame_game.errors import OrderError


def _b(x: object, batch: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=bool), (batch,))


def _f(x: object, batch: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=np.float64), (batch,))


def move_cost(model: CompiledModel, state: BatchState, m: CMove) -> list[tuple[int, np.ndarray]]:
    """The move's cost per value slot, for every game."""
    with np.errstate(all="ignore"):
        return [(idx, _f(fn(state), state.batch)) for idx, fn in m.cost]


def base_legal(model: CompiledModel, state: BatchState, m: CMove) -> np.ndarray:
    """Legal on its own (ignoring the actor's other orders this turn): [B] bool."""
    B = state.batch
    ok: np.ndarray = ~state.ended
    if m.ap > model.action_points[m.actor]:
        return np.zeros(B, dtype=bool)
    with np.errstate(all="ignore"):
        if m.kind == "response" and m.proposal in model.negotiation_of:
            prop = model.proposals[m.proposal]
            legal: np.ndarray = ok & nego.response_legal(model, state, model.negotiation_of[m.proposal], m.actor,
                                                         m.answer, prop.accept_requires)
            return legal
        if m.kind == "response":
            q = m.proposal
            ok = ok & (state.pending[:, q] >= 0) & (state.pending[:, q] < state.turn)
            ok = ok & (state.answers[:, q, m.actor] == 0)
            prop = model.proposals[q]
            if m.answer == 1 and prop.accept_requires is not None:
                ok = ok & _b(prop.accept_requires(state), B)
            return ok
        if m.once:
            ok = ok & (state.taken[:, m.slot] == 0)
        if m.kind == "proposal":
            ok = ok & (state.pending[:, m.proposal] < 0)
        if m.requires is not None:
            ok = ok & _b(m.requires(state), B)
        for idx, cost in move_cost(model, state, m):
            ok = ok & (state.values[:, idx] - cost >= model.lo[idx])
    return ok


def legal_mask(model: CompiledModel, state: BatchState, actor: int) -> np.ndarray:
    """[B, M] bool: the moves ``actor`` may order, each on its own (other columns False)."""
    mask = np.zeros((len(model.moves), state.batch), dtype=bool).T  # move-major: filled and read by move
    for s in model.moves_of[actor]:
        mask[:, s] = base_legal(model, state, model.moves[s])
    return mask


@attrs.frozen
class Refusal:
    """Why a move is refused, as data the app renders in its own words (``text`` is the engine's).

    Attributes:
        kind: which rule refuses it (``REFUSALS`` lists them).
        move: the move id.
        condition: the formula that does not hold (``requires``, ``cannot_accept``).
        target: the value slot a cost is paid from (``cost``), the actor (``action_points``).
        need / have: the cost and what is available (``cost``); the action points needed and the
            actor's total (``action_points``).
        game: the game of the batch it is refused in, when the batch has more than one.
    """

    kind: str
    move: str
    condition: str = ""
    target: str = ""
    need: float = 0.0
    have: float = 0.0
    game: int | None = None
    unlock: tuple[str, ...] = ()  # what would unlock it: moves (by label and actor) that make it hold
    term: str = ""  # the term and option that cannot be offered or accepted (``line=2022``)

    @property
    def text(self) -> str:
        t = {
            "unknown_move": f"no move {self.move!r} in this ruleset",
            "ended": "the game has ended",
            "action_points": f"needs {self.need:.0f} action points; {self.target} has {self.have:.0f}",
            "no_proposal": "no such proposal is waiting for an answer",
            "too_early": "a proposal can be answered from the turn after it is made",
            "answered": "already answered",
            "cannot_accept": f"cannot accept while this does not hold: {self.condition}",
            "once": "can be taken only once per game, and it was",
            "proposal_waiting": "this proposal is already waiting for an answer",
            "requires": f"requires {self.condition}",
            "cost": f"costs {self.need:.4g} {self.target}; only {self.have:.4g} available",
            "no_points_left": "not enough action points left for it",
            "answered_this_turn": "already answered this proposal",
            "not_affordable_together": "not affordable together with this turn's other orders",
            "not_asked": "this offer does not ask for your answer",
            "own_offer": "this is your own offer: others answer it (you may withdraw it)",
            "not_offerer": "only the party whose offer is on the table can withdraw it",
            "no_counter": "this proposal cannot be countered, only accepted or rejected",
            "term_cannot_accept": f"cannot accept {self.term} while this does not hold: {self.condition}",
            "term_requires": f"cannot offer {self.term} while this does not hold: {self.condition}",
        }[self.kind]
        if self.unlock:
            t += "; needs: " + "; ".join(self.unlock)
        return t + (f" (game {self.game})" if self.game is not None else "")


REFUSALS = ("unknown_move", "ended", "action_points", "no_proposal", "too_early", "answered", "cannot_accept",
            "once", "proposal_waiting", "requires", "cost", "no_points_left", "answered_this_turn",
            "not_affordable_together", "not_asked", "own_offer", "not_offerer", "no_counter", "term_cannot_accept",
            "term_requires")


def refusal(model: CompiledModel, state: BatchState, move_id: str, game: int = 0,
            actor: int | None = None) -> Refusal | None:
    """Why a move is not legal in one game (None when it is legal on its own). ``actor``: whose move,
    where several actors share a generated answer's id (``accept_<proposal>``); default the first."""
    slots = [s for s, mid in enumerate(model.move_ids) if mid == move_id
             and (actor is None or model.moves[s].actor == actor)]
    if not slots:
        return Refusal("unknown_move", move_id)
    m = model.moves[slots[0]]
    g = state.game(game)
    if g.ended[0]:
        return Refusal("ended", move_id)
    if m.ap > model.action_points[m.actor]:
        return Refusal("action_points", move_id, target=model.actors[m.actor], need=m.ap,
                       have=float(model.action_points[m.actor]))
    if m.kind == "response":
        q = m.proposal
        if g.pending[0, q] < 0:
            return Refusal("no_proposal", move_id)
        if g.pending[0, q] >= g.turn:
            return Refusal("too_early", move_id)
        if g.answers[0, q, m.actor] != 0:
            return Refusal("answered", move_id)
        prop = model.proposals[q]
        if q in model.negotiation_of:
            return _negotiation_refusal(model, g, m, move_id)
        if m.answer == 1 and prop.accept_requires is not None and not bool(_b(prop.accept_requires(g), 1)[0]):
            return Refusal("cannot_accept", move_id, condition=prop.accept_requires_text,
                           unlock=tuple(nego.unlockers(model, prop.accept_requires_text)))
        return None
    if m.once and g.taken[0, m.slot] > 0:
        return Refusal("once", move_id)
    if m.kind == "proposal" and g.pending[0, m.proposal] >= 0:
        return Refusal("proposal_waiting", move_id)
    if m.requires is not None:
        with np.errstate(all="ignore"):
            if not bool(_b(m.requires(g), 1)[0]):
                return Refusal("requires", move_id, condition=m.requires_text,
                               unlock=tuple(nego.unlockers(model, m.requires_text)))
    for idx, cost in move_cost(model, g, m):
        have = g.values[0, idx]
        if have - cost[0] < model.lo[idx]:
            return Refusal("cost", move_id, target=model.symbols.values[idx], need=float(cost[0]),
                           have=float(have - model.lo[idx]))
    return None


def _negotiation_refusal(model: CompiledModel, g: BatchState, m: CMove, move_id: str) -> Refusal | None:
    """Why an answer to a negotiable proposal is refused in one game (already pending, answerable, unanswered)."""
    neg = model.negotiation_of[m.proposal]
    prop = model.proposals[m.proposal]
    by = int(g.offer_by[0, neg.n])
    if m.answer == nego.WITHDRAW:
        return None if by == m.actor else Refusal("not_offerer", move_id)
    if by == m.actor:
        return Refusal("own_offer", move_id)
    if m.answer == nego.COUNTER:
        return None if neg.counter and m.actor in neg.principals else Refusal("no_counter", move_id)
    if not nego.needed_by(model, g, neg, m.actor)[0]:
        return Refusal("not_asked", move_id)
    if m.answer == nego.ACCEPT:
        if prop.accept_requires is not None and not bool(_b(prop.accept_requires(g), 1)[0]):
            return Refusal("cannot_accept", move_id, condition=prop.accept_requires_text,
                           unlock=tuple(nego.unlockers(model, prop.accept_requires_text)))
        _ok, failing = nego.options_accept(neg, g)
        if failing:
            t, o, _bad = failing[0]
            return Refusal("term_cannot_accept", move_id, condition=o.accept_requires_text, term=f"{t.label}: {o.label}",
                           unlock=tuple(nego.unlockers(model, o.accept_requires_text)))
    return None


def offer_refusal(model: CompiledModel, state: BatchState, move_id: str, terms: np.ndarray, game: int = 0) -> Refusal | None:
    """Why an offer with these terms ([T] stored values, NaN: not given) cannot be made or countered in one
    game: an option's ``requires`` fails (None when the terms may be offered)."""
    s = model.move_ids.index(move_id)
    m = model.moves[s]
    neg = model.negotiation_of[m.proposal]
    g = state.game(game)
    row = nego.resolved_row(neg, g, np.asarray(terms, dtype=np.float64)[None, :], counter=m.kind == "response")
    bad = nego.offer_ok(neg, g, row)
    if bad:
        t, o, _ = bad[0]
        return Refusal("term_requires", move_id, condition=o.requires_text, term=f"{t.label}: {o.label}",
                       unlock=tuple(nego.unlockers(model, o.requires_text)))
    return None


def validate_terms(model: CompiledModel, state: BatchState, orders: np.ndarray, terms: np.ndarray) -> None:
    """Check the terms of the offers among ``orders`` ([B, J, T] buffer, see ``CompiledModel.offer_slot``):
    every option chosen may be offered; raise ``OrderError`` naming the move, term and condition."""
    for s, j in model.offer_slot.items():
        col = orders[:, s]
        if not col.any():
            continue
        m = model.moves[s]
        neg = model.negotiation_of[m.proposal]
        row = nego.resolved_row(neg, state, terms[:, j, : len(neg.terms)], counter=m.kind == "response")
        for t, o, bad in nego.offer_ok(neg, state, row):
            bad = bad & col
            if bad.any():
                gi = int(np.nonzero(bad)[0][0])
                why = Refusal("term_requires", m.id, condition=o.requires_text, term=f"{t.label}: {o.label}",
                              unlock=tuple(nego.unlockers(model, o.requires_text)),
                              game=gi if state.batch > 1 else None)
                raise OrderError(m.id, why.text, refusal=why)


def reason(model: CompiledModel, state: BatchState, move_id: str, game: int = 0, actor: int | None = None) -> str | None:
    """``refusal`` in words."""
    r = refusal(model, state, move_id, game, actor)
    return None if r is None else r.text


class Budget:
    """What an actor has left while choosing several moves in a turn (vectorised over the batch)."""

    def __init__(self, model: CompiledModel, state: BatchState, actor: int | str):
        if isinstance(actor, str):  # a role id, as agents know it (``Budget(model, obs.state, obs.actor)``)
            actor = model.actor_index[actor]
        self.model = model
        self.state = state
        self.actor = actor
        self.ap = np.full(state.batch, int(model.action_points[actor]), dtype=np.int32)
        self.spare = state.values - model.lo  # headroom per value slot (inf where unbounded)
        self.chosen = np.zeros((state.batch, len(model.moves)), dtype=bool)
        self.answered = np.zeros((state.batch, max(1, len(model.proposals))), dtype=bool)
        self._costs: dict[int, list[tuple[int, np.ndarray]]] = {}

    def costs(self, s: int) -> list[tuple[int, np.ndarray]]:
        if s not in self._costs:
            self._costs[s] = move_cost(self.model, self.state, self.model.moves[s])
        return self._costs[s]

    def fits(self, s: int, base: np.ndarray) -> np.ndarray:
        """[B] bool: move ``s`` is legal on its own (``base``) and fits what is left."""
        m = self.model.moves[s]
        ok = base & ~self.chosen[:, s] & (self.ap >= m.ap)
        if m.kind == "response":
            ok = ok & ~self.answered[:, m.proposal]
        for idx, cost in self.costs(s):
            ok = ok & (self.spare[:, idx] - cost >= -1e-9)
        return ok

    def take(self, s: int, where: np.ndarray) -> None:
        m = self.model.moves[s]
        self.chosen[:, s] |= where
        self.ap -= np.where(where, m.ap, 0).astype(np.int32)
        if m.kind == "response":
            self.answered[:, m.proposal] |= where
        for idx, cost in self.costs(s):
            self.spare[:, idx] = np.where(where, self.spare[:, idx] - cost, self.spare[:, idx])


def validate(model: CompiledModel, state: BatchState, actor: int, orders: np.ndarray) -> None:
    """Check one actor's orders for the whole batch; raise ``OrderError`` naming the first bad move.

    Orders are checked in move-table order against the actor's action points and the combined cost.
    """
    orders = np.asarray(orders, dtype=bool)
    if orders.shape != (state.batch, len(model.moves)):
        raise OrderError("?", f"orders must have shape {(state.batch, len(model.moves))}, got {orders.shape}")
    foreign = orders & (model.move_actor[None, :] != actor)
    if foreign.any():
        s = int(np.nonzero(foreign.any(axis=0))[0][0])
        raise OrderError(model.moves[s].id, f"belongs to {model.actors[model.moves[s].actor]}, not {model.actors[actor]}")
    budget = Budget(model, state, actor)
    for s in model.moves_of[actor]:
        want = orders[:, s]
        if not want.any():
            continue
        base = base_legal(model, state, model.moves[s])
        ok = budget.fits(s, base)
        bad = want & ~ok
        if bad.any():
            g = int(np.nonzero(bad)[0][0])
            m = model.moves[s]
            why = refusal(model, state, m.id, g, actor) or Refusal(
                "no_points_left" if budget.ap[g] < m.ap
                else "answered_this_turn" if m.kind == "response" and budget.answered[g, m.proposal]
                else "not_affordable_together", m.id)
            if state.batch > 1:
                why = attrs.evolve(why, game=g)
            raise OrderError(m.id, why.text, refusal=why)
        budget.take(s, want)
