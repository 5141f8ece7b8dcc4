"""CompiledModel: a checked ruleset compiled once into numpy closures and index tables.

Immutable after construction; it only describes the game and makes states (``new_state``), like
OpenSpiel's Game object. All mutable data lives in ``BatchState``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.engine.state import BatchState
from endgame_game.errors import EvaluationError
from endgame_game.rules import Checked, load_ruleset, schema
from endgame_game.rules.compile import Compiled, compile_expr, site_key
from endgame_game.rules.expr import Node


@attrs.frozen
class CEffect:
    """A compiled effect: change ``values[:, index]`` (or ``flags[:, index]``) by ``fn``."""

    path: str
    target: str
    is_flag: bool
    index: int
    mode: str  # "add" | "set"
    fn: Compiled
    when: Compiled | None
    label: str = ""
    text: str = ""  # the formula's source, for error messages


@attrs.frozen
class CMove:
    slot: int
    id: str
    actor: int
    label: str
    kind: str  # "action" | "proposal" | "response"
    ap: int
    once: bool
    phase: int
    requires: Compiled | None
    requires_text: str
    cost: tuple[tuple[int, Compiled], ...]
    effects: tuple[CEffect, ...]
    proposal: int = -1  # proposals and responses: index into proposals
    answer: int = 0  # responses: 1 accept, 2 reject


@attrs.frozen
class CProposal:
    index: int
    move: str
    actor: int
    parties: tuple[int, ...]
    expires: int
    phase: int
    accept_requires: Compiled | None
    accept_requires_text: str
    on_accept: tuple[CEffect, ...]
    on_reject: tuple[CEffect, ...]
    on_lapse: tuple[CEffect, ...]
    label: str


@attrs.frozen
class CThreshold:
    index: int
    id: str
    label: str
    phase: int
    cond: Compiled
    once: bool
    effects: tuple[CEffect, ...]
    text: str


@attrs.frozen
class CEvent:
    index: int
    id: str
    label: str
    phase: int
    when: Compiled | None
    chance: Compiled
    once: bool
    effects: tuple[CEffect, ...]
    text: str


@attrs.frozen
class CFlow:
    id: str
    label: str
    phase: int
    effect: CEffect


@attrs.frozen
class CRule:
    move: int  # move slot
    when: Compiled | None
    weight: float


class CompiledModel:
    """A ruleset compiled for the engine. Build with ``CompiledModel.load(ref)`` or from ``Checked``."""

    def __init__(self, checked: Checked, ref: str | Path | None = None, overrides: Mapping[str, Any] | None = None):
        if checked.errors:
            raise ValueError("cannot compile a ruleset with errors")
        self.checked = checked
        self.ref = str(ref) if ref is not None else (checked.files[0][0] if checked.files else "")
        """How the ruleset was named when loaded (a path or an id)."""
        self.overrides: dict[str, Any] = dict(overrides or {})
        """The ``--set`` overrides it was compiled with."""
        self.files = checked.files
        """(path, text) of the ruleset file and every base it extends, child first."""
        self.ruleset: schema.Ruleset = checked.ruleset
        self.symbols = checked.symbols
        rs, sy = self.ruleset, self.symbols
        self.meta = rs.ruleset
        self.id = rs.ruleset.id
        self.max_turns = rs.ruleset.max_turns
        self.phases = tuple(rs.ruleset.phases)
        self.actors = sy.actors
        self.actor_index = {a: i for i, a in enumerate(self.actors)}
        self.playable = tuple(a for a, x in rs.actors.items() if x.playable)
        self.action_points = np.array([rs.actors[a].action_points for a in self.actors], dtype=np.int32)
        self._derived: dict[str, Node] = {
            k.removeprefix("derived."): v for k, v in checked.trees.items() if k.startswith("derived.")
        }
        self.value_index = {v: i for i, v in enumerate(sy.values)}
        self.flag_index = {f: i for i, f in enumerate(sy.flags)}
        self.param_index = {p: i for i, p in enumerate(sy.params)}
        self.lo = sy.value_lo
        self.hi = sy.value_hi
        self.param_defaults = np.array([rs.params[p].value for p in sy.params], dtype=np.float64)
        self.param_lo = np.array([-np.inf if rs.params[p].min is None else rs.params[p].min for p in sy.params])
        self.param_hi = np.array([np.inf if rs.params[p].max is None else rs.params[p].max for p in sy.params])
        self._build()

    @classmethod
    def load(cls, ref: str | Path, overrides: Mapping[str, Any] | None = None) -> CompiledModel:
        """Load, check and compile a ruleset by path or id (raises ``RulesetError``)."""
        return cls(load_ruleset(ref, overrides), ref, overrides)

    # -- compilation --
    def _c(self, path: str) -> Compiled:
        return compile_expr(self.checked.trees[path], self.symbols, path, self._derived)

    def _opt(self, path: str) -> Compiled | None:
        return self._c(path) if path in self.checked.trees else None

    def _effects(self, path: str, effects: tuple[schema.Effect, ...], label: str = "") -> tuple[CEffect, ...]:
        return tuple(self._effect(f"{path}[{i}]", e, label) for i, e in enumerate(effects))

    def _effect(self, path: str, e: schema.Effect | schema.Flow, label: str = "") -> CEffect:
        is_flag = e.target.startswith("flags.")
        index = self.flag_index[e.target[6:]] if is_flag else self.value_index[e.target]
        mode = "add" if e.add is not None else "set"
        text = e.add if e.add is not None else e.set
        return CEffect(path, e.target, is_flag, index, mode, self._c(f"{path}.{mode}"), self._opt(f"{path}.when"), label,
                       text or "")

    def _phase(self, name: str | None, default: int) -> int:
        return self.phases.index(name) if name else default

    def _build(self) -> None:
        rs, sy = self.ruleset, self.symbols
        last = len(self.phases) - 1
        self.initial_values: list[tuple[int, Compiled]] = []
        for rid, r in rs.resources.items():
            for o in r.owners:
                self.initial_values.append((self.value_index[f"{o}.{rid}"], self._c(f"resources.{rid}.initial.{o}")))
        for tid in rs.tracks:
            self.initial_values.append((self.value_index[tid], self._c(f"tracks.{tid}.initial")))
        self.flag_initial = np.array([rs.flags[f].initial for f in sy.flags], dtype=bool)

        decl = {m.id: (i, m) for i, m in enumerate(rs.moves)}
        self.proposals: list[CProposal] = []
        for q, pid in enumerate(sy.proposals):
            i, m = decl[pid]
            path = f"moves[{i}]"
            self.proposals.append(CProposal(
                q, pid, self.actor_index[m.actor], tuple(self.actor_index[p] for p in m.to), m.expires,
                self._phase(m.phase, 0), self._opt(f"{path}.accept_requires"), m.accept_requires or "",
                self._effects(f"{path}.on_accept", m.on_accept, m.label),
                self._effects(f"{path}.on_reject", m.on_reject, m.label),
                self._effects(f"{path}.on_lapse", m.on_lapse, m.label), m.label,
            ))
        self.moves: list[CMove] = []
        for slot, ms in enumerate(sy.moves):
            if ms.move is not None:
                i, m = decl[ms.id]
                path = f"moves[{i}]"
                self.moves.append(CMove(
                    slot, m.id, self.actor_index[m.actor], m.label, m.kind, m.ap, m.once, self._phase(m.phase, 0),
                    self._opt(f"{path}.requires"), m.requires or "",
                    tuple((self.value_index[k], self._c(f"{path}.cost.{k}")) for k in m.cost),
                    self._effects(f"{path}.effects", m.effects, m.label),
                    proposal=sy.proposals.index(m.id) if m.kind == "proposal" else -1,
                ))
            else:
                prop = self.proposals[ms.responds_to]
                verb = {1: "Accept", 2: "Reject", 3: "Counter", 4: "Withdraw"}[ms.answer]
                self.moves.append(CMove(
                    slot, ms.id, self.actor_index[ms.actor], f"{verb}: {prop.label}", "response", 0, False, prop.phase,
                    None, "", (), (), proposal=ms.responds_to, answer=ms.answer,
                ))
        from endgame_game.engine import negotiation as nego

        negs, self.term_defaults = nego.build(self, self._opt, self._effects)
        self.negotiation: list[nego.CNegotiation] = negs
        """Proposals with terms (``engine.negotiation``), in the order of the state's offer arrays."""
        self.negotiation_of: dict[int, nego.CNegotiation] = {n.q: n for n in negs}
        """Proposal index → its negotiation (proposals with terms only)."""
        self.max_terms = max((len(n.terms) for n in negs), default=0)
        self.offer_slot: dict[int, int] = {}
        """Move slot → row of an order's terms buffer, for moves that put an offer on the table (a
        proposal with terms and its counters)."""
        for cm in self.moves:
            if cm.proposal in self.negotiation_of and (cm.kind == "proposal" or cm.answer == 3):
                self.offer_slot[cm.slot] = len(self.offer_slot)
        self.offer_rows_of: dict[int, list[int]] = {
            a: [j for s, j in self.offer_slot.items() if self.moves[s].actor == a] for a in range(len(self.actors))}
        """Actor index → the rows of the terms buffer its offers fill (``offer_slot``'s values for its moves)."""
        self.situation_flags = nego.situation_flags(self)
        """The flags whose change makes a refused offer worth making again (``negotiation.situation_flags``)."""
        self.move_ids = tuple(m.id for m in self.moves)
        self.moves_of: dict[int, list[int]] = {a: [m.slot for m in self.moves if m.actor == a] for a in range(len(self.actors))}
        self.move_actor = np.array([m.actor for m in self.moves], dtype=np.int32)
        self.move_ap = np.array([m.ap for m in self.moves], dtype=np.int32)
        self.flows = [
            CFlow(f.id or f"flows[{i}]", f.label or f.id or f.target, self._phase(f.phase, 0),
                  self._effect(f"flows[{i}]", f, f.label or f.id))
            for i, f in enumerate(rs.flows)
        ]
        self.thresholds: list[CThreshold] = []
        for i, t in enumerate(rs.thresholds):
            path = f"thresholds[{i}]"
            if t.when is not None:
                cond = self._c(f"{path}.when")
            else:
                vi, at = self.value_index[str(t.track)], float(t.at or 0.0)
                cond = _track_at(vi, at)
            self.thresholds.append(CThreshold(i, t.id, t.label or t.id, self._phase(t.phase, last), cond, t.once,
                                              self._effects(f"{path}.effects", t.effects, t.label or t.id), t.text))
        self.events = [
            CEvent(i, e.id, e.label or e.id, self._phase(e.phase, last), self._opt(f"events[{i}].when"),
                   self._c(f"events[{i}].chance"), e.once, self._effects(f"events[{i}].effects", e.effects, e.label or e.id), e.text)
            for i, e in enumerate(rs.events)
        ]
        self.endings = list(rs.endings)
        self.ending_conds: list[Compiled | None] = [self._opt(f"endings[{i}].when") for i in range(len(rs.endings))]
        self.fallback = next(i for i, e in enumerate(rs.endings) if e.fallback)
        self.scores: dict[int, Compiled] = {self.actor_index[a]: self._c(f"scores.{a}.value") for a in rs.scores}
        self.outlooks: dict[int, Compiled] = {self.actor_index[a]: self._c(f"scores.{a}.outlook")
                                               for a, s in rs.scores.items() if s.outlook is not None}
        """Role → its ``outlook`` (what the bargaining AI adds to going on), where declared."""
        self.outcome_rules: dict[str, tuple[Compiled | None, Compiled | None]] = {
            a: (self._opt(f"scores.{a}.win"), self._opt(f"scores.{a}.lose"))
            for a, s in rs.scores.items() if s.win is not None or s.lose is not None
        }
        """Roles with a win/draw/loss rule: (win, lose) conditions (see ``outcomes``)."""
        self.doctrines: dict[str, dict[str, list[CRule]]] = {}
        for aid, docs in rs.doctrines.items():
            a = self.actor_index[aid]
            own = {self.moves[s].id: s for s in self.moves_of[a]}
            self.doctrines[aid] = {
                name: [CRule(own[r.move], self._opt(f"doctrines.{aid}.{name}.rules[{i}].when"), r.weight)
                       for i, r in enumerate(d.rules)]
                for name, d in docs.items()
            }
        self.labels: dict[str, str] = {}
        """Label of every move, flow, event and threshold by id (what log records name as source)."""
        for items in (self.moves, self.flows, self.events, self.thresholds):
            for item in items:
                self.labels.setdefault(item.id, item.label)
        self.intel_noise = np.zeros(len(sy.values))
        for rid, r in rs.resources.items():
            for o in r.owners:
                self.intel_noise[self.value_index[f"{o}.{rid}"]] = r.intel_noise
        self.intel_sites = np.array(
            [[site_key(f"intel/{obs}/{v}") for v in sy.values] for obs in self.actors], dtype=np.uint64
        ) if sy.values else np.zeros((len(self.actors), 0), dtype=np.uint64)
        self._build_intel()

    # --- intelligence ([intel]; see engine/observe.py) ----------------------------------------------
    # (a separate block: the negotiation work edits the proposal parts above)

    def _build_intel(self) -> None:
        """Observer × value tables of the filtered estimates: the sd of one reading as a share of the
        value's scale (0: seen exactly), the expected drift per turn, and the hidden (observer, value) pairs."""
        rs, sy = self.ruleset, self.symbols
        it = rs.intel
        n_a, n = len(self.actors), len(sy.values)
        owner = sy.value_owner
        noisy = np.array([o != "" for o in owner], dtype=bool) & (self.intel_noise > 0)
        rel = np.zeros((n_a, n))
        drift = np.full((n_a, n), float(it.drift))
        for a, me in enumerate(self.actors):
            rel[a] = np.where(noisy & np.array([o != me for o in owner], dtype=bool), self.intel_noise, 0.0)
        for r in it.rules:
            obs = [a for a, name in enumerate(self.actors) if r.observer in ("*", name)]
            cols = [j for j in range(n) if noisy[j] and (r.of == "*" or r.of == owner[j] or r.of == sy.values[j])]
            for a in obs:
                for j in cols:
                    if owner[j] == self.actors[a]:
                        continue  # an actor always sees its own values exactly
                    if r.quality is not None:
                        rel[a, j] = r.quality * self.intel_noise[j]
                    if r.drift is not None:
                        drift[a, j] = r.drift
        self.intel_rel = rel
        """[A, N]: one reading's sd as a share of the value's scale (``intel_scale``); 0 where seen exactly."""
        self.intel_exact = rel == 0
        """[A, N] bool: the values each observer sees exactly (its own, tracks, noiseless or declared visible)."""
        self.intel_drift = drift
        """[A, N]: how far each value is expected to move in a turn, as a share of its scale (process noise)."""
        self.intel_gain = it.gain
        """A fixed filter gain, or None for the Kalman gain."""
        # Only actors that can act or be played observe: the others (events-only neighbours) keep no
        # estimates, and their observation reads NaN for what they do not see exactly.
        self.intel_observers = np.array([bool(self.moves_of[a]) or name in self.playable
                                         for a, name in enumerate(self.actors)], dtype=bool)
        pobs, pslot = np.nonzero(~self.intel_exact & self.intel_observers[:, None])
        self.intel_pair_obs = pobs.astype(np.intp)
        self.intel_pair_slot = pslot.astype(np.intp)
        """The hidden (observer, value) pairs, observer-major: what the filter updates each turn."""
        self.intel_pair_index = np.full((n_a, n), -1, dtype=np.intp)
        self.intel_pair_index[pobs, pslot] = np.arange(len(pobs))
        """[A, N]: the pair index of (observer, value) in ``BatchState.est``, -1 where it keeps no estimate."""
        self.intel_pair_sites = [int(self.intel_sites[a, j]) for a, j in zip(pobs, pslot, strict=True)]
        self.intel_pair_rel = rel[pobs, pslot]
        self.intel_pair_drift = drift[pobs, pslot]
        # The filter's variance and gain depend on nothing but the number of readings folded in (every
        # noise is a share of the value's scale), so they are tables: row n is after n updates.
        r2, q2 = self.intel_pair_rel ** 2, self.intel_pair_drift ** 2
        var = np.zeros((self.max_turns + 2, len(pobs)))
        gain = np.zeros_like(var)
        var[0] = r2
        for n in range(1, var.shape[0]):
            pp = var[n - 1] + q2
            if it.gain is None:
                gain[n] = pp / (pp + r2)
                var[n] = (1.0 - gain[n]) * pp
            else:
                gain[n] = it.gain
                var[n] = (1.0 - it.gain) * (1.0 - it.gain) * pp + it.gain * it.gain * r2
        self.intel_var_table = var
        """[updates, P]: an estimate's error variance after n updates, as a share of its scale squared."""
        self.intel_gain_table = gain
        """[updates, P]: the gain of the n-th update."""
        self.intel_flow_actor = {fid: self.actor_index[a] for fid, a in it.flows.items()}
        """Flow id → the actor whose flow it is (its consequences are that actor's to learn)."""
        self.intel_assessment = float(it.assessment)
        """The sd of assessing one move's effect on a value, as a share of one reading's sd of it."""
        self.intel_exact_effects = frozenset(it.exact_effects)
        """Moves and flows whose effects on others their own actor knows exactly (deliveries)."""

    def intel_scale(self, values: np.ndarray) -> np.ndarray:
        """[B, N] the scale of each value that its intelligence noise is a share of: its initial value
        (public at the start), or a tenth of its range where that is 0 (or 1 if unbounded)."""
        span = np.where(np.isfinite(self.hi - self.lo), (self.hi - self.lo) / 10.0, 1.0)
        span = np.where(span > 0, span, 1.0)
        a = np.abs(values)
        return np.where(a > 0, a, span[None, :])

    # -- outcomes --
    def outcomes(self, state: BatchState) -> dict[str, np.ndarray]:
        """Each ruled role's outcome per game: ``"win"``, ``"draw"``, ``"loss"``, or ``""`` while a game runs.

        A role loses where its ``lose`` condition holds, else wins where its ``win`` holds, else draws;
        the conditions are read on the final state (``ending.<id>`` names the ending reached).
        """
        out: dict[str, np.ndarray] = {}
        ended = state.ended
        for role, (win, lose) in self.outcome_rules.items():
            with np.errstate(all="ignore"):
                w = np.broadcast_to(np.asarray(win(state), dtype=bool), (state.batch,)) if win is not None else np.zeros(state.batch, bool)
                lo = np.broadcast_to(np.asarray(lose(state), dtype=bool), (state.batch,)) if lose is not None else np.zeros(state.batch, bool)
            res = np.where(lo, "loss", np.where(w, "win", "draw"))
            out[role] = np.where(ended, res, "")
        return out

    # -- what expressions read --
    def reads(self, paths: Iterable[str]) -> np.ndarray:
        """The value slots the expressions at ``paths`` read (derived formulas followed), sorted."""
        from endgame_game.rules.expr import names

        slots: set[int] = set()
        todo = [self.checked.trees[p] for p in paths if p in self.checked.trees]
        seen: set[str] = set()
        while todo:
            for n in names(todo.pop()):
                if n in self.value_index:
                    slots.add(self.value_index[n])
                d = n.removeprefix("derived.")
                if d in self._derived and d not in seen:
                    seen.add(d)
                    todo.append(self._derived[d])
        return np.array(sorted(slots), dtype=np.intp)

    # -- calendar --
    def date_of(self, turn: int) -> dt.date:
        """The calendar date of a turn (turn 1 is the ruleset's start date)."""
        start = self.meta.start
        months = start.month - 1 + (turn - 1) * self.meta.turn_months
        return dt.date(start.year + months // 12, months % 12 + 1, min(start.day, 28))

    def builtins(self, turn: int) -> tuple[float, float, float, float]:
        d = self.date_of(turn)
        return (float(turn), float(d.month), float(d.year), float(self.max_turns - turn))

    # -- states --
    def params_array(self, batch: int, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """A [batch, P] parameter array with defaults and overrides (by param id)."""
        p = np.tile(self.param_defaults, (batch, 1))
        for k, v in (overrides or {}).items():
            p[:, self.param_index[k.removeprefix("params.")]] = v
        return p

    def new_state(self, batch: int = 1, seed: int = 0, games: np.ndarray | None = None,
                  params: np.ndarray | None = None) -> BatchState:
        """Fresh games at turn 1.

        Args:
            batch: number of games.
            seed: the batch's seed (any integer; taken modulo 2**64).
            games: each game's global index (default 0..batch-1); game ``i`` depends only on
                (seed, its index, its params), never on the rest of the batch.
            params: [batch, P] parameter values (default: the ruleset's values).
        """
        sy = self.symbols
        if games is None:
            games = np.arange(batch, dtype=np.uint64)
        games = np.asarray(games, dtype=np.uint64)
        batch = int(games.shape[0])
        if params is None:
            params = self.params_array(batch)
        params = np.asarray(params, dtype=np.float64).reshape(batch, len(sy.params))
        n_a, n_q = len(self.actors), len(sy.proposals)
        st = BatchState(
            seed & ((1 << 64) - 1), 1, self.builtins(1),
            values=np.zeros((batch, len(sy.values))),
            flags=np.tile(self.flag_initial, (batch, 1)),
            params=params.copy(),
            taken=np.zeros((batch, len(self.moves)), dtype=np.int32),
            fired=np.zeros((batch, len(self.events)), dtype=np.int32),
            crossed=np.zeros((batch, len(self.thresholds)), dtype=np.int32),
            armed=np.ones((batch, len(self.thresholds)), dtype=bool),
            pending=np.full((batch, n_q), -1, dtype=np.int32),
            answers=np.zeros((batch, n_q, n_a), dtype=np.int8),
            agreed=np.zeros((batch, n_q), dtype=bool),
            ending=np.full(batch, -1, dtype=np.int32),
            end_turn=np.zeros(batch, dtype=np.int32),
            scores=np.zeros((batch, n_a)),
            games=games.copy(),
            terms=np.tile(self.term_defaults, (batch, 1)),
            offer_by=np.full((batch, len(self.negotiation)), -1, dtype=np.int32),
            opened=np.full((batch, len(self.negotiation)), -1, dtype=np.int32),
            rounds=np.zeros((batch, len(self.negotiation)), dtype=np.int32),
            status=np.zeros((batch, len(self.negotiation)), dtype=np.int8),
            est=np.zeros((batch, len(self.intel_pair_sites))),
            intel_scale=np.ones((batch, len(sy.values))),
            intel_n=np.zeros(batch, dtype=np.int32),
        )
        with np.errstate(all="ignore"):
            for idx, fn in self.initial_values:
                v = np.broadcast_to(np.asarray(fn(st), dtype=np.float64), (batch,))
                if not np.all(np.isfinite(v)):
                    name = self.symbols.values[idx]
                    owner, _, rid = name.partition(".")
                    where = f"resources.{rid}.initial.{owner}" if rid else f"tracks.{name}.initial"
                    raise EvaluationError(f"{where}: the initial value of {name} is not a finite number")
                st.values[:, idx] = np.clip(v, self.lo[idx], self.hi[idx])
            for t in self.thresholds:
                st.armed[:, t.index] = ~np.broadcast_to(np.asarray(t.cond(st), dtype=bool), (batch,))
            for a, fn in self.scores.items():
                st.scores[:, a] = np.broadcast_to(fn(st), (batch,))
        from endgame_game.engine.observe import first_reading  # intelligence: the estimates at turn 1

        first_reading(self, st)
        return st


def _track_at(vi: int, at: float) -> Compiled:
    return lambda env: env.values[:, vi] >= at
