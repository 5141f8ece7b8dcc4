"""An AI that bargains over terms (docs/negotiation.md), used by the doctrine agents.

It values a deal against its role's stakes: the role's score (``[scores.<role>]``) on the state the
deal would make (the proposal agreed with these terms, and the ending that agreement reaches), plus
the appeal the ruleset gives each chosen option for the role, against the score of going on to the
horizon from where it stands. It accepts what beats going on (less what its doctrine ``concede``s),
counters by moving the terms it cares about most, and never repeats an offer that was refused unless
the situation changed (a flag or an agreement changed since it made it). Other parties' views are
estimated on what it observes (``obs.state``: intelligence noise applies), never on true values.

Everything but the memory of refused offers is vectorised over the batch. That memory is the engine's
(``negotiation.note_refused``: per game, per role, kept with the batch in ``BatchState.memory``), a
function of the game's record like the rest of the state: a loaded game remembers what the saved one did,
and whoever plays a role (a doctrine, a search agent's simulation of it, a person) sees the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from endgame_game.engine import negotiation as nego
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.engine.state import BatchState
from endgame_game.rules.compile import Compiled, batch_array

PREFER = 5.0
"""What a doctrine adds to an option it ``prefer``s (score points)."""

OWN_WEIGHT = 0.25
"""When no offer looks acceptable to the others: how much its own value counts against theirs in the offer it makes."""

SETTLE_MARGIN = 2.0
"""How much better than going on an offer must look to the other side before it is proposed."""

WHOLE_SHARE = 0.1
"""``_accepts`` values an answer on the whole batch when more than this share of its games answer."""

STACK_ROWS = 1024
"""With ``ROWS_ONLY``: how many rows (games × candidate offers) one valuation pass takes at most."""

ROWS_ONLY = True
"""Value offers and answers on the sub-batch of the games that make or answer one, not on the whole
batch (the same bits: tests/test_fast_path.py plays games with it off and on)."""


def answer_rules(model: CompiledModel, actor: int, rules: Sequence[tuple[int, float]]) -> dict[int, list[int]]:
    """The answer slots of the negotiations a policy's ``rules`` ((move slot, weight) each) name: slot →
    the indices of the rules (weight > 0) for it. A policy that names an accept or a reject of a
    negotiation answers it only as its rules say: an answer it names nowhere (say, accept where it has
    only reject rules) it never gives. Counters and withdrawals are the bargainer's own."""
    named = {model.moves[m].proposal for m, _ in rules
             if model.moves[m].kind == "response" and model.moves[m].proposal in model.negotiation_of}
    out: dict[int, list[int]] = {}
    for s in model.moves_of[actor]:
        mv = model.moves[s]
        if mv.kind == "response" and mv.proposal in named and mv.answer in (1, 2):
            out[s] = [i for i, (m, w) in enumerate(rules) if m == s and w > 0]
    return out


def allowed_answers(model: CompiledModel, batch: int, rules: dict[int, list[int]], holds: Sequence[np.ndarray]) -> np.ndarray:
    """[B, M] the answers the bargainer may give (move-major, as ``obs.legal``): where a policy has
    rules for an answer (``answer_rules``), only where one of them holds (``holds``: [B] per rule)."""
    allowed = np.ones((len(model.moves), batch), dtype=bool).T
    for s, conds in rules.items():
        allowed[:, s] = False
        for i in conds:
            allowed[:, s] |= holds[i]
    return allowed


class Bargainer:
    """One role's bargaining, for a batch.

    Args:
        model: the compiled ruleset.
        actor: the role.
        concede: score points it gives up for a deal against going on (a doctrine's ``concede``).
        firm: term ids it never moves towards the other side in a counter (a doctrine's ``firm``).
        prefer: options (``<proposal>.<term>.<option>``) it values ``PREFER`` points more than its role
            does (a doctrine's ``prefer``); ``avoid``: options it values ``PREFER`` points less.
    """

    def __init__(self, model: CompiledModel, actor: str, concede: float = 0.0, firm: Sequence[str] = (),
                 prefer: Sequence[str] = (), avoid: Sequence[str] = ()):
        self.model = model
        self.role = actor
        self.actor = model.actor_index[actor]
        self.concede = float(concede)
        self.firm = frozenset(firm)
        self.prefer = frozenset(prefer)
        self.avoid = frozenset(avoid)
        self.mine = [n for n in model.negotiation if self.actor in n.answerers]
        self.fallback = model.fallback
        self._slot = {(m.proposal, m.answer, m.actor): m.slot for m in model.moves if m.kind == "response"}
        self._prop_slot = {m.proposal: m.slot for m in model.moves if m.kind == "proposal"}

    def reads(self) -> list[str]:
        """The expression paths it evaluates (for ``model.reads``)."""
        paths = [k for k in self.model.checked.trees if k.startswith("scores.") and k.endswith((".value", ".outlook"))]
        paths += [k for k in self.model.checked.trees if k.startswith("endings[")]
        paths += [k for k in self.model.checked.trees if ".terms[" in k and ".appeal." in k]
        paths += [k for k in self.model.checked.trees if ".accept_requires" in k or ".terms[" in k]
        return paths

    # -- values --
    def _score(self, sim: BatchState, who: int) -> np.ndarray:
        fn = self.model.scores.get(who)
        if fn is None:
            return np.zeros(sim.batch)
        with np.errstate(all="ignore"):
            v = batch_array(fn(sim), sim.batch, np.float64)
        return np.nan_to_num(v, nan=0.0)

    def going_on(self, state: BatchState, who: int) -> np.ndarray:
        """[B] what going on to the horizon from here is worth to ``who``: its score with the fallback ending."""
        sim = state.with_values(state.values)
        sim.ending = np.full(state.batch, self.fallback, dtype=np.int32)
        v = self._score(sim, who)
        fn = self.model.outlooks.get(who)
        if fn is not None:
            with np.errstate(all="ignore"):
                v = v + np.nan_to_num(batch_array(fn(state), state.batch, np.float64), nan=0.0)
        return v

    def deal_value(self, state: BatchState, neg: nego.CNegotiation, offer: np.ndarray, who: int) -> np.ndarray:
        """[B] what the deal with ``offer`` ([B, T] stored values) is worth to ``who``: its score on the
        state the agreement makes (with the ending it reaches), plus the appeal of each chosen option."""
        sim, ending = self._agreement(state, neg, offer)
        return self._value(state, sim, ending, neg, offer, who)

    def _agreement(self, state: BatchState, neg: nego.CNegotiation,
                   offer: np.ndarray) -> tuple[BatchState, np.ndarray]:
        """The state the agreement with ``offer`` makes (its ending: the one it reaches, else the
        fallback), and [B] the ending it reaches (-1: none, the game goes on)."""
        sim = state.with_values(state.values)  # shares the arrays it does not change
        sim.terms = state.terms.copy()
        sim.terms[:, neg.cols] = offer
        sim.agreed = state.agreed.copy()
        sim.agreed[:, neg.q] = True
        sim.pending = state.pending.copy()
        sim.pending[:, neg.q] = -1
        ending = np.full(state.batch, -1, dtype=np.int32)
        with np.errstate(all="ignore"):
            for i, cond in enumerate(self.model.ending_conds):
                if cond is None:
                    continue
                hit = (ending < 0) & batch_array(cond(sim), sim.batch, bool)
                ending[hit] = i
        sim.ending = np.where(ending < 0, self.fallback, ending).astype(np.int32)
        return sim, ending

    def _value(self, state: BatchState, sim: BatchState, ending: np.ndarray, neg: nego.CNegotiation,
               offer: np.ndarray, who: int, memo: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """``deal_value`` on the agreement's state ``sim`` and ``ending`` (``_agreement``)."""
        v = self._score(sim, who)
        fn = self.model.outlooks.get(who)
        if fn is not None and (ending < 0).any():  # no ending: the game goes on after the agreement
            with np.errstate(all="ignore"):
                look = np.nan_to_num(batch_array(fn(sim), sim.batch, np.float64), nan=0.0)
            v = v + np.where(ending < 0, look, 0.0)
        return v + self.appeal(state, neg, offer, who, memo)

    def appeal(self, state: BatchState, neg: nego.CNegotiation, offer: np.ndarray, who: int,
               memo: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """[B] the appeal to ``who`` of the options ``offer`` chooses. The appeals read ``state`` only, not
        the offer: ``memo`` (formula id → [B]) keeps them across the offers valued on one state."""
        def of(fn: Compiled) -> np.ndarray:
            got = None if memo is None else memo.get(id(fn))
            if got is None:
                got = batch_array(fn(state), state.batch, np.float64)
                if memo is not None:
                    memo[id(fn)] = got
            return got

        out = np.zeros(state.batch)
        with np.errstate(all="ignore"):
            for j, t in enumerate(neg.terms):
                if t.options:
                    for o in t.options:
                        for a, fn in o.appeal:
                            if a == who:
                                out += np.where(offer[:, j] == o.index, of(fn), 0.0)
                        if who == self.actor:
                            path = f"{neg.move}.{t.id}.{o.id}"
                            bias = PREFER * ((path in self.prefer) - (path in self.avoid))
                            if bias:
                                out += np.where(offer[:, j] == o.index, bias, 0.0)
                else:
                    span = (t.hi - t.lo) or 1.0
                    for a, fn in t.appeal:
                        if a == who:
                            out += of(fn) * (offer[:, j] - t.lo) / span
        return np.nan_to_num(out, nan=0.0)

    # -- candidates --
    def _candidates(self, neg: nego.CNegotiation, base: np.ndarray, counter: bool) -> list[np.ndarray]:
        """Offers one term away from ``base`` ([B, T]); a range moves one step or to either end."""
        out = []
        for j, t in enumerate(neg.terms):
            if t.options:
                values = [float(o.index) for o in t.options]
            else:
                values = sorted({t.lo, t.hi})
            for v in values:
                c = base.copy()
                c[:, j] = v
                out.append(c)
            if not t.options:
                for d in (-t.step, t.step):
                    c = base.copy()
                    c[:, j] = np.clip(base[:, j] + d, t.lo, t.hi)
                    out.append(c)
        return out

    def _offerable(self, st: BatchState, neg: nego.CNegotiation, offer: np.ndarray) -> np.ndarray:
        ok = np.ones(st.batch, dtype=bool)
        for _t, _o, bad in nego.offer_ok(neg, st, offer):
            ok &= ~bad
        return ok

    def _others(self, neg: nego.CNegotiation) -> list[int]:
        return [a for a in neg.answerers if a != self.actor and a in self.model.scores]

    def _margin(self, neg: nego.CNegotiation, values: dict[int, np.ndarray], cont: dict[int, np.ndarray]) -> np.ndarray:
        """[B] the smallest margin, over the other parties, by which an offer (their ``values`` of it)
        beats going on for them (as this role estimates it)."""
        margin = np.full(len(values[self.actor]), np.inf)
        for a in self._others(neg):
            if a in neg.principals:
                margin = np.minimum(margin, values[a] - cont[a])
        return np.where(np.isinf(margin), 0.0, margin)

    def _valuations(self, st: BatchState, neg: nego.CNegotiation, offers: list[np.ndarray], whos: list[int],
                    stacked: dict[int, tuple[BatchState, dict[int, np.ndarray]]] | None = None,
                    ) -> tuple[list[dict[int, np.ndarray]], list[np.ndarray]]:
        """Per offer ([B, T] each): {who: [B] its ``deal_value``} and [B] whether it may be offered.

        With ``ROWS_ONLY``, several offers are valued in one pass over a batch that repeats each game
        once per offer (at most ``STACK_ROWS`` rows): fewer, larger numpy calls on the few games that
        bargain, the same numbers per row (each row reads its own game only). ``stacked`` (copies →
        the repeated state and its appeals) carries those states from one call to the next on ``st``."""
        n = st.batch
        per = min(len(offers), max(1, STACK_ROWS // max(n, 1))) if ROWS_ONLY else 1
        if stacked is None:
            stacked = {}
        stacked.setdefault(1, (st, {}))
        values: list[dict[int, np.ndarray]] = []
        oks: list[np.ndarray] = []
        for i in range(0, len(offers), per):
            group = offers[i:i + per]
            k = len(group)
            if k not in stacked:  # padded to a repeated state already made, if one is large enough
                k = min((size for size in stacked if size >= k), default=k)
                group += [group[-1]] * (k - len(group))
            if k not in stacked:
                stacked[k] = (st.take(np.tile(np.arange(n), k)), {})
            big, memo = stacked[k]
            offer = group[0] if k == 1 else np.concatenate(group)
            sim, ending = self._agreement(big, neg, offer)  # one agreement's state for every party's value
            v = {w: self._value(big, sim, ending, neg, offer, w, memo).reshape(k, n) for w in whos}
            ok = self._offerable(big, neg, offer).reshape(k, n)
            for j in range(min(k, len(offers) - i)):
                values.append({w: v[w][j] for w in whos})
                oks.append(ok[j])
        return values, oks

    def _best(self, obs: Observation, neg: nego.CNegotiation, base: np.ndarray, counter: bool,
              where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The offer it makes in each game of ``where``: the best for itself among those the others are
        estimated to prefer to going on; else the one they like most that it still prefers to going on.
        Returns ([B, T] offer: ``base`` outside ``where``, [B] bool: found one).

        Only the games of ``where`` are valued (usually a few in a hundred): each game's choice reads
        its own row only, so on the sub-batch it is the same, bit for bit (``ROWS_ONLY``)."""
        if not ROWS_ONLY:
            return self._best_rows(obs.state, neg, base, counter, where)
        rows = np.nonzero(where)[0]
        best, found = base.copy(), np.zeros(where.shape, dtype=bool)
        if rows.size:
            best[rows], found[rows] = self._best_rows(obs.state.take(rows), neg, base[rows], counter,
                                                      np.ones(rows.size, dtype=bool))
        return best, found

    def _best_rows(self, st: BatchState, neg: nego.CNegotiation, base: np.ndarray, counter: bool,
                   where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``_best`` over every game of ``st``."""
        me = self.actor
        stacked: dict[int, tuple[BatchState, dict[int, np.ndarray]]] = {}  # for ``_valuations``
        cont_me = self.going_on(st, me) - self.concede
        cont = {a: self.going_on(st, a) for a in self._others(neg)}
        cands = [base, *self._candidates(neg, base, counter)]
        if not counter:  # a fresh proposal may also start from its own best single moves combined
            greedy = base.copy()
            greedy_v = self._valuations(st, neg, [base], [me], stacked)[0][0][me]
            for _ in range(2):
                tries = self._candidates(neg, greedy, counter)
                for c, v in zip(tries, self._valuations(st, neg, tries, [me], stacked)[0], strict=True):
                    better = v[me] > greedy_v
                    greedy = np.where(better[:, None], c, greedy)
                    greedy_v = np.where(better, v[me], greedy_v)  # each game's value is its own row's
            cands.append(greedy)
        best = base.copy()
        best_v = np.full(st.batch, -np.inf)
        found = np.zeros(st.batch, dtype=bool)
        fallback = base.copy()
        fallback_m = np.full(st.batch, -np.inf)
        firm = [j for j, t in enumerate(neg.terms) if t.id in self.firm]
        values, offerable = self._valuations(st, neg, cands, [me, *self._others(neg)], stacked)
        refused = self._refused_in(st, neg)
        own_base = values[0][me]
        for c, v, may in zip(cands, values, offerable, strict=True):
            ok = where & may
            if counter:  # a counter changes something (row by row: game i must not depend on the batch)
                ok &= ~np.all(c == base, axis=1)
            mine = v[me]
            if firm and counter:
                for j in firm:  # never towards the other side on a firm term
                    moved = c[:, j] != base[:, j]
                    ok &= ~moved | (mine >= own_base)
            ok &= self._not_refused(refused, c)
            if not ok.any():
                continue
            margin = self._margin(neg, v, cont)
            good = ok & (mine >= cont_me) & (margin >= SETTLE_MARGIN)
            take = good & (mine > best_v)
            best = np.where(take[:, None], c, best)
            best_v = np.where(take, mine, best_v)
            found |= good
            rank = margin + OWN_WEIGHT * mine  # what they like most, its own wishes breaking near-ties
            soft = ok & (mine >= cont_me) & (rank > fallback_m)
            fallback = np.where(soft[:, None], c, fallback)
            fallback_m = np.where(soft, rank, fallback_m)
        use_fb = ~found & np.isfinite(fallback_m)
        best = np.where(use_fb[:, None], fallback, best)
        return best, found | use_fb

    def _accepts(self, st: BatchState, neg: nego.CNegotiation, table: np.ndarray, where: np.ndarray) -> np.ndarray:
        """[B] the games of ``where`` in which the deal on the table beats going on, less its concession."""
        me = self.actor
        if not ROWS_ONLY:
            return where & (self.deal_value(st, neg, table, me) >= self.going_on(st, me) - self.concede)
        rows = np.nonzero(where)[0]
        if rows.size > WHOLE_SHARE * where.size:  # many games: two valuations cost less than copying their rows
            return where & (self.deal_value(st, neg, table, me) >= self.going_on(st, me) - self.concede)
        out = np.zeros(where.shape, dtype=bool)
        if rows.size:
            sub = st.take(rows)
            out[rows] = self.deal_value(sub, neg, table[rows], me) >= self.going_on(sub, me) - self.concede
        return out

    # -- memory (kept by the engine: ``negotiation.note_refused``) --
    def _refused_in(self, st: BatchState, neg: nego.CNegotiation) -> tuple[list[int], list[dict[tuple[float, ...], bytes]],
                                                                          list[bytes]]:
        """The games of ``st`` in which an offer of this role was refused: (rows, their refused offers →
        the situation each was made in, their situation now)."""
        ref = st.memory.get(("refused", self.actor, neg.n))
        if not ref:
            return [], [], []
        games = st.uid.tolist()
        rows = [g for g, game in enumerate(games) if game in ref]
        if not rows:
            return [], [], []
        idx = np.array(rows, dtype=np.intp)
        return rows, [ref[games[g]] for g in rows], nego.situations(nego.situation_table(self.model, st, idx))

    def _not_refused(self, refused: tuple[list[int], list[dict[tuple[float, ...], bytes]], list[bytes]],
                     offer: np.ndarray) -> np.ndarray:
        """[B] the games in which ``offer`` was not refused in the situation they are in (``_refused_in``)."""
        ok = np.ones(offer.shape[0], dtype=bool)
        rows, offers, now = refused
        if rows:
            for g, row, then, sit in zip(rows, offer[rows].tolist(), offers, now, strict=True):
                if then.get(tuple(row)) == sit:
                    ok[g] = False
        return ok

    # -- deciding --
    def decide(self, obs: Observation, orders: np.ndarray,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rewrite a doctrine's orders for the negotiations this role is in: answers (accept, counter,
        reject) by value, the terms of its own proposals, or no proposal where nothing it would offer
        could be accepted. ``allowed``: [B, M] the answers its doctrine permits (default: all).
        Returns (orders, [B, J, T] terms). The terms are allocated at the first offer made (a [B, J, T]
        NaN array is ~27 MB at 40,000 games, and most calls make none); when it makes none they are a
        read-only NaN view (``negotiation.no_terms_view``)."""
        m = self.model
        st = obs.state
        B = st.batch
        orders = orders.copy(order="K")  # the doctrine's layout (move-major), as the game keeps orders
        terms: np.ndarray | None = None

        def offer_terms(slot: int, made: np.ndarray, offer: np.ndarray, n: int) -> None:
            """Write ``offer`` ([B, n]) as the terms of move ``slot`` in the games of ``made`` (NaN elsewhere)."""
            nonlocal terms
            rows = np.nonzero(made)[0]
            if rows.size:
                if terms is None:
                    terms = nego.no_terms(m, B)
                terms[rows, m.offer_slot[slot], :n] = offer[rows]

        me = self.actor
        legal = obs.legal if allowed is None else obs.legal & allowed
        for neg in self.mine:
            q = neg.q
            acc = self._slot.get((q, nego.ACCEPT, me))
            rej = self._slot.get((q, nego.REJECT, me))
            cnt = self._slot.get((q, nego.COUNTER, me))
            wd = self._slot.get((q, nego.WITHDRAW, me))
            for s in (acc, rej, cnt, wd):
                if s is not None:
                    orders[:, s] = False
            can_acc = legal[:, acc] if acc is not None else np.zeros(B, bool)
            can_rej = legal[:, rej] if rej is not None else np.zeros(B, bool)
            can_cnt = legal[:, cnt] if cnt is not None else np.zeros(B, bool)
            answering = can_acc | can_rej | can_cnt
            if answering.any():
                table = st.terms[:, neg.cols]
                yes = self._accepts(st, neg, table, answering & can_acc)
                if acc is not None:
                    orders[:, acc] = yes
                left = answering & ~yes
                if cnt is not None and left.any():
                    offer, found = self._best(obs, neg, table, True, left & can_cnt)
                    go = left & can_cnt & found & ~np.all(offer == table, axis=1)
                    if go.any():
                        orders[:, cnt] = go
                        offer_terms(cnt, go, offer, len(neg.terms))
                    left &= ~go
                if rej is not None:
                    orders[:, rej] = left & can_rej
            ps = self._prop_slot.get(q)
            if ps is not None and m.moves[ps].actor == me and orders[:, ps].any():
                want = orders[:, ps].copy()
                prop = m.proposals[q]
                if prop.accept_requires is not None:  # an offer nobody may accept now is not made
                    with np.errstate(all="ignore"):
                        want &= batch_array(prop.accept_requires(st), B, bool)
                base = nego.resolved_row(neg, st, None, counter=False)
                offer, found = self._best(obs, neg, base, False, want)
                want &= found
                orders[:, ps] = want
                offer_terms(ps, want, offer, len(neg.terms))
        return orders, nego.no_terms_view(m, B) if terms is None else terms


def views(model: CompiledModel, obs: Observation, neg: nego.CNegotiation, offer: np.ndarray,
          game: int = 0) -> list[tuple[str, float]]:
    """How each other party is likely to view an offer ([T] stored values), as the observer estimates it
    from its own observation (intelligence noise applies; never the true values): (actor, margin), the
    margin being the deal's value to that party less going on. Parties without a score are left out."""
    st = obs.state.take([game])
    b = Bargainer(model, obs.actor)
    row = np.asarray(offer, dtype=np.float64).reshape(1, -1)
    asked = set(neg.principals) | set(neg.guarantors)
    asked |= {o.guarantor for j, t in enumerate(neg.terms) for o in t.options
              if o.guarantor >= 0 and j < row.shape[1] and row[0, j] == o.index}
    out = []
    for a in neg.answerers:
        if model.actors[a] == obs.actor or a not in model.scores or a not in asked:
            continue
        margin = b.deal_value(st, neg, row, a) - b.going_on(st, a)
        out.append((model.actors[a], float(margin[0])))
    return out


def view_words(margin: float) -> str:
    """A party's estimated margin in words."""
    if margin >= SETTLE_MARGIN:
        return "likely to accept"
    if margin >= -5:
        return "might accept, or counter"
    return "likely to refuse"
