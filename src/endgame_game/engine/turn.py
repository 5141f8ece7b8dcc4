"""One turn: simultaneous orders, then resolution in the ruleset's phases.

``step`` is the one loop everybody shares: the app, ``simulate``, ``batch``, replays and tests all
call it. Within each phase, in order: proposals waiting for answers are settled, the phase's moves
apply their effects (new proposals become pending), flows run, thresholds are checked, events roll.
After the last phase: endings, then scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from endgame_game.engine import negotiation as nego
from endgame_game.engine.log import (
    EffectApplied,
    EndingReached,
    EventFired,
    MoveTaken,
    ProposalRecord,
    ThresholdCrossed,
    TurnLog,
)
from endgame_game.engine.model import CEffect, CompiledModel
from endgame_game.engine.negotiation import CNegotiation
from endgame_game.engine.observe import update_estimates
from endgame_game.engine.state import BatchState
from endgame_game.errors import EvaluationError
from endgame_game.rules.compile import Compiled, batch_array

SPARSE = 4
"""An effect that applies in fewer than one game in ``SPARSE`` touches only those games' rows."""


class _Resolver:
    def __init__(self, model: CompiledModel, state: BatchState, log: TurnLog | None, terms: np.ndarray | None = None):
        self.model = model
        self.st = state
        self.log = log
        self.B = state.batch
        self.terms = terms  # [B, J, T] the terms of this turn's offers (NaN: not given), or None
        self.counters: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # negotiation → (counterer [B], terms [B, T])
        # What an offer made this turn is made in (``negotiation.situation_table``, at the start of the turn).
        self.situation = nego.situation_table(model, state) if model.negotiation else np.zeros((self.B, 0), bool)

    def _rows(self, mask: np.ndarray) -> Sequence[int]:
        return [int(i) for i in np.nonzero(mask)[0]]

    def apply(self, effects: Sequence[CEffect], mask: np.ndarray, source: str) -> None:
        for e in effects:
            self.apply_one(e, mask, source)

    def apply_one(self, e: CEffect, mask: np.ndarray, source: str) -> None:
        st, B = self.st, self.B
        if e.when is not None:
            if not mask.any():
                return
            mask = mask & batch_array(e.when(st), B, bool)
        if not mask.any():
            return
        v = e.fn(st)
        if e.is_flag:
            old_f = st.flags[:, e.index]
            new_f = np.where(mask, batch_array(v, B, bool), old_f)
            if self.log is not None:
                for g in self._rows(mask & (new_f != old_f)):
                    self.log.records.append(EffectApplied(st.turn, g, source, e.target, float(old_f[g]), float(new_f[g])))
            st.flags[:, e.index] = new_f
            return
        old = st.values[:, e.index]
        if self.log is None:
            where = np.nonzero(mask)[0]
            if where.size * SPARSE < B:
                self._apply_rows(e, where, old, v)
                return
        new = old + v if e.mode == "add" else batch_array(v, B, np.float64)
        finite = np.isfinite(new)
        if not finite.all():
            bad = mask & ~finite
            if bad.any():
                g = int(np.nonzero(bad)[0][0])
                raise EvaluationError(
                    f"{e.path}.{e.mode}: {e.text!r} gave {new[g]} for {e.target} (game {int(st.games[g])}, turn {st.turn})"
                )
        lo, hi = self.model.lo[e.index], self.model.hi[e.index]
        if lo > -np.inf or hi < np.inf:
            new = np.clip(new, lo, hi)
        everywhere = mask.all()
        if self.log is not None:
            changed = (new != old) if everywhere else mask & (new != old)
            for g in self._rows(changed):
                self.log.records.append(EffectApplied(st.turn, g, source, e.target, float(old[g]), float(new[g])))
        if everywhere:
            st.values[:, e.index] = new
        else:
            np.putmask(st.values[:, e.index], mask, new)  # writes through the column view, in place

    def _apply_rows(self, e: CEffect, where: np.ndarray, old: np.ndarray, v: object) -> None:
        """A value effect on the few games at ``where`` only: the same per-game arithmetic as over the
        whole column (so the same bits), without passes over the games it does not touch."""
        if e.mode == "add":
            new = old[where] + (v[where] if isinstance(v, np.ndarray) and v.ndim else v)
        else:
            vals = np.asarray(v, dtype=np.float64)
            new = vals[where] if vals.ndim else vals
        finite = np.broadcast_to(np.isfinite(new), where.shape)
        if not finite.all():
            pos = int(np.nonzero(~finite)[0][0])
            g = int(where[pos])
            raise EvaluationError(
                f"{e.path}.{e.mode}: {e.text!r} gave {new[pos] if np.ndim(new) else new} for {e.target} "
                f"(game {int(self.st.games[g])}, turn {self.st.turn})")
        lo, hi = self.model.lo[e.index], self.model.hi[e.index]
        if lo > -np.inf or hi < np.inf:
            new = np.clip(new, lo, hi)
        old[where] = new  # ``old`` is the column view: writes in place

    def cond(self, fn: Compiled, mask: np.ndarray) -> np.ndarray:
        out: np.ndarray = mask & batch_array(fn(self.st), self.B, np.bool_)
        return out


def step(model: CompiledModel, state: BatchState, orders: np.ndarray, log: bool = False,
         terms: np.ndarray | None = None, intel: bool = True) -> TurnLog:
    """Resolve one turn for every game of the batch, in place.

    Args:
        model: the compiled ruleset.
        state: the batch; mutated.
        orders: [B, M] bool over ``model.moves``; already validated (``orders.validate``).
        log: record typed entries (for interactive games and small batches).
        terms: [B, J, T] the terms of offers made or countered (``model.offer_slot``; NaN: not given,
            i.e. the term's default or, in a counter, the offer answered); None: none given.
        intel: fold the new turn's intelligence readings into the estimates (a planner's rollout,
            whose agents observe the simulated state exactly, switches it off: nothing reads them).

    Returns:
        The turn's log (empty when ``log`` is False).

    Raises:
        EvaluationError: a formula produced NaN or infinity where it was applied.
    """
    st = state
    tl = TurnLog(st.turn)
    r = _Resolver(model, st, tl if log else None, terms)
    active = ~st.ended
    orders = np.asarray(orders, dtype=bool) & active[:, None]
    with np.errstate(all="ignore"):
        _pay_orders(r, orders)
        for p in range(len(model.phases)):
            _phase(r, p, orders, active)
        _endings(r, active)
        _scores(r, active)
    st.turn = st.turn + 1
    st.builtins = model.builtins(st.turn)
    if intel:
        update_estimates(model, st, active)  # intelligence: each observer's reading of the new turn, filtered
    return tl


def _pay_orders(r: _Resolver, orders: np.ndarray) -> None:
    """Orders: record them, pay costs (simultaneously), register answers to proposals."""
    model, st, tl = r.model, r.st, r.log
    for m in model.moves:
        col = orders[:, m.slot]
        if not col.any():
            continue
        if tl is not None:
            for g in r._rows(col):
                tl.records.append(MoveTaken(st.turn, g, model.actors[m.actor], m.id, m.label))
        where = np.nonzero(col)[0] if tl is None and m.cost else None
        for idx, fn in m.cost:
            cost = batch_array(fn(st), r.B, np.float64)
            if not np.isfinite(cost[col]).all():  # named here, not by the later flow it would break
                g = int(np.nonzero(col & ~np.isfinite(cost))[0][0])
                raise EvaluationError(f"move {m.id!r}: its cost of {model.symbols.values[idx]} gave {cost[g]} "
                                      f"(game {int(st.games[g])}, turn {st.turn})")
            if where is not None and where.size * SPARSE < r.B:  # a few games: only their rows
                column = st.values[:, idx]
                column[where] = np.clip(column[where] - cost[where], model.lo[idx], model.hi[idx])
                continue
            old = st.values[:, idx].copy()
            st.values[:, idx] = np.where(col, np.clip(old - cost, model.lo[idx], model.hi[idx]), old)
            if tl is not None:
                name = model.symbols.values[idx]
                for g in r._rows(col & (st.values[:, idx] != old)):
                    tl.records.append(EffectApplied(st.turn, g, m.id, name, float(old[g]), float(st.values[g, idx])))
        st.taken[:, m.slot] += col
        if m.kind == "response":
            st.answers[:, m.proposal, m.actor] = np.where(col, m.answer, st.answers[:, m.proposal, m.actor])
            if m.answer == 3:  # a counter: the first one given (in move-table order) is the one on the table
                neg = model.negotiation_of[m.proposal]
                row = _offer_row(r, m.slot, neg, counter=True)
                who, prev = r.counters.get(neg.n, (np.full(r.B, -1, dtype=np.int32), row))
                first = col & (who < 0)
                r.counters[neg.n] = (np.where(first, m.actor, who).astype(np.int32), np.where(first[:, None], row, prev))


def _phase(r: _Resolver, p: int, orders: np.ndarray, active: np.ndarray) -> None:
    """One phase: proposals settle, the phase's moves apply, then its flows, thresholds and events."""
    model = r.model
    for prop in model.proposals:
        if prop.phase == p:
            _settle(model, r, prop.index, active)
    _moves(r, p, orders)
    for f in model.flows:
        if f.phase == p:
            r.apply_one(f.effect, active, f.id)
    _thresholds(r, p, active)
    _events(r, p, active)


def _moves(r: _Resolver, p: int, orders: np.ndarray) -> None:
    """The phase's moves apply their effects where ordered; new proposals become pending."""
    model, st, tl = r.model, r.st, r.log
    for m in model.moves:
        if m.phase != p or m.kind == "response":
            continue
        col = orders[:, m.slot]
        if not col.any():
            continue
        r.apply(m.effects, col, m.id)
        if m.kind == "proposal":
            neg = model.negotiation_of.get(m.proposal)
            if neg is not None:
                row = _offer_row(r, m.slot, neg, counter=False)
                cols = neg.cols
                st.terms[:, cols] = np.where(col[:, None], row, st.terms[:, cols])
                n = neg.n
                st.offer_by[:, n] = np.where(col, m.actor, st.offer_by[:, n])
                st.opened[:, n] = np.where(col, st.turn, st.opened[:, n])
                st.rounds[:, n] = np.where(col, 0, st.rounds[:, n])
                st.status[:, n] = np.where(col, 0, st.status[:, n])
                nego.note_made(st, neg, col, r.situation)
            st.pending[:, m.proposal] = np.where(col, st.turn, st.pending[:, m.proposal])
            st.answers[:, m.proposal, :] = np.where(col[:, None], 0, st.answers[:, m.proposal, :])
            if tl is not None:
                from endgame_game.engine.negotiation import offer_text

                for g in r._rows(col):
                    tl.records.append(ProposalRecord(st.turn, g, m.id, m.label, "made", model.actors[m.actor],
                                                     offer_text(neg, st, g) if neg is not None else ""))


def _thresholds(r: _Resolver, p: int, active: np.ndarray) -> None:
    model, st, tl = r.model, r.st, r.log
    for t in model.thresholds:
        if t.phase != p:
            continue
        now = r.cond(t.cond, np.ones(r.B, dtype=bool))
        fire = now & st.armed[:, t.index] & active
        if t.once:
            fire &= st.crossed[:, t.index] == 0
        st.armed[:, t.index] = np.where(active, ~now, st.armed[:, t.index])
        if fire.any():
            st.crossed[:, t.index] += fire
            if tl is not None:
                for g in r._rows(fire):
                    tl.records.append(ThresholdCrossed(st.turn, g, t.id, t.label, t.text))
            r.apply(t.effects, fire, t.id)


def _events(r: _Resolver, p: int, active: np.ndarray) -> None:
    model, st, tl = r.model, r.st, r.log
    for ev in model.events:
        if ev.phase != p:
            continue
        fire = active if ev.when is None else r.cond(ev.when, active)
        if ev.once:
            fire = fire & (st.fired[:, ev.index] == 0)
        if not fire.any():
            continue
        chance = batch_array(ev.chance(st), r.B, np.float64)
        if np.isnan(chance[fire]).any():  # a NaN chance would read as "never": name it instead
            g = int(np.nonzero(fire & np.isnan(chance))[0][0])
            raise EvaluationError(f"events[{ev.index}].chance ({ev.id}) gave nan (game {int(st.games[g])}, turn {st.turn})")
        fire = fire & (batch_array(st.uniform(_event_site(ev.index), 0), r.B) < chance)
        if fire.any():
            st.fired[:, ev.index] += fire
            if tl is not None:
                for g in r._rows(fire):
                    tl.records.append(EventFired(st.turn, g, ev.id, ev.label, ev.text))
            r.apply(ev.effects, fire, ev.id)


def _endings(r: _Resolver, active: np.ndarray) -> None:
    """The first ending whose condition holds (in order), or the fallback at the last turn."""
    model, st, tl = r.model, r.st, r.log
    open_ = active.copy()
    for i, cond in enumerate(model.ending_conds):
        if cond is None or not open_.any():
            continue
        hit = r.cond(cond, open_)
        st.ending[hit] = i
        open_ &= ~hit
    if st.turn >= model.max_turns:
        st.ending[open_] = model.fallback
        open_[:] = False
    newly = active & ~open_
    st.end_turn[newly] = st.turn
    if tl is not None:
        for g in r._rows(newly):
            e = model.endings[int(st.ending[g])]
            tl.records.append(EndingReached(st.turn, g, e.id, e.label))


def _scores(r: _Resolver, active: np.ndarray) -> None:
    model, st = r.model, r.st
    for a, fn in model.scores.items():
        v = batch_array(fn(st), r.B, np.float64)
        bad = active & ~np.isfinite(v)
        if bad.any():
            raise EvaluationError(f"scores.{model.actors[a]}.value: the formula gave {v[np.nonzero(bad)[0][0]]}")
        st.scores[:, a] = np.where(active, v, st.scores[:, a])


_EVENT_SITES: dict[int, int] = {}


def _event_site(index: int) -> int:
    from endgame_game.rules.compile import site_key

    if index not in _EVENT_SITES:
        _EVENT_SITES[index] = site_key(f"events[{index}]#roll")
    return _EVENT_SITES[index]


def _offer_row(r: _Resolver, slot: int, neg: CNegotiation, counter: bool) -> np.ndarray:
    """[B, T] the stored term values an offer move puts on the table."""
    from endgame_game.engine.negotiation import resolved_row

    given = None
    if r.terms is not None:
        j = r.model.offer_slot[slot]
        given = r.terms[:, j, : len(neg.terms)]
    return resolved_row(neg, r.st, given, counter)


def _settle_negotiation(model: CompiledModel, r: _Resolver, q: int, active: np.ndarray) -> None:
    """Settle a negotiable proposal's offer made before this turn: withdrawn, rejected, countered (the
    counter goes on the table, answerable next turn), agreed, or lapsed (its own ``expires``, or the
    negotiation's ``deadline``)."""
    from endgame_game.engine.negotiation import needed, offer_text

    st = r.st
    prop = model.proposals[q]
    neg = model.negotiation_of[q]
    n = neg.n
    waiting = active & (st.pending[:, q] >= 0) & (st.pending[:, q] < st.turn)
    if not waiting.any():
        return
    ans = st.answers[:, q, :]
    by = st.offer_by[:, n]
    rows = np.arange(r.B)
    withdrawn = waiting & (by >= 0) & (ans[rows, np.clip(by, 0, None)] == 4)
    need = needed(model, st, neg)
    rejected = waiting & ~withdrawn & ((ans == 2) & need).any(axis=1)
    late = (neg.deadline > 0) & (st.turn >= st.opened[:, n] + neg.deadline)
    countered = waiting & ~withdrawn & ~rejected & (ans == 3).any(axis=1)
    lapsed_counter = countered & late
    countered &= ~late
    accepted = waiting & ~withdrawn & ~rejected & ~countered & ~lapsed_counter & ((ans == 1) | ~need).all(axis=1)
    lapsed = waiting & ~withdrawn & ~rejected & ~countered & ~accepted & (
        lapsed_counter | (st.turn >= st.pending[:, q] + prop.expires) | late)
    if (rejected | countered).any():
        nego.note_refused(st, neg, rejected | countered)
    if countered.any():
        nego.note_made(st, neg, countered, r.situation)
        who, row = r.counters[n]
        cols = neg.cols
        st.terms[:, cols] = np.where(countered[:, None], row, st.terms[:, cols])
        st.offer_by[:, n] = np.where(countered, who, by)
        st.rounds[:, n] += countered
        st.pending[:, q] = np.where(countered, st.turn, st.pending[:, q])
        st.answers[:, q, :] = np.where(countered[:, None], 0, st.answers[:, q, :])
        if r.log is not None:
            for g in r._rows(countered):
                r.log.records.append(ProposalRecord(st.turn, g, prop.move, prop.label, "countered",
                                                    model.actors[int(who[g])], offer_text(neg, st, g)))
    for mask, effects, status, code in ((withdrawn, (), "withdrawn", 4), (rejected, prop.on_reject, "rejected", 2),
                                        (accepted, prop.on_accept, "accepted", 1), (lapsed, prop.on_lapse, "lapsed", 3)):
        if not mask.any():
            continue
        if status == "accepted":
            st.agreed[:, q] |= mask
        st.pending[:, q] = np.where(mask, -1, st.pending[:, q])
        st.status[:, n] = np.where(mask, code, st.status[:, n])
        if r.log is not None:
            for g in r._rows(mask):
                r.log.records.append(ProposalRecord(st.turn, g, prop.move, prop.label, status))
        r.apply(effects, mask, prop.move)
        if status == "accepted":
            for t in neg.terms:
                for o in t.options:
                    if o.effects:
                        r.apply(o.effects, mask & (st.terms[:, t.k] == o.index), prop.move)


def _settle(model: CompiledModel, r: _Resolver, q: int, active: np.ndarray) -> None:
    """Settle proposal ``q`` where it was made before this turn: rejected, agreed, or lapsed."""
    if q in model.negotiation_of:
        _settle_negotiation(model, r, q, active)
        return
    st = r.st
    prop = model.proposals[q]
    waiting = active & (st.pending[:, q] >= 0) & (st.pending[:, q] < st.turn)
    if not waiting.any():
        return
    ans = st.answers[:, q, :]
    parties = list(prop.parties)
    rejected = waiting & (ans[:, parties] == 2).any(axis=1)
    accepted = waiting & ~rejected & (ans[:, parties] == 1).all(axis=1)
    lapsed = waiting & ~rejected & ~accepted & (st.turn >= st.pending[:, q] + prop.expires)
    for mask, effects, status in ((rejected, prop.on_reject, "rejected"), (accepted, prop.on_accept, "accepted"),
                                  (lapsed, prop.on_lapse, "lapsed")):
        if not mask.any():
            continue
        if status == "accepted":
            st.agreed[:, q] |= mask
        st.pending[:, q] = np.where(mask, -1, st.pending[:, q])
        if r.log is not None:
            for g in r._rows(mask):
                r.log.records.append(ProposalRecord(st.turn, g, prop.move, prop.label, status))
        r.apply(effects, mask, prop.move)
