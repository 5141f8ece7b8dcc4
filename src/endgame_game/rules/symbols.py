"""Symbols: every name a ruleset's expressions can read, with its type and place in the batch state.

The layout is decided here, from the ruleset alone, so the engine's arrays and the compiled
expressions agree: ``values[B, N]`` holds every actor's resources then every track, ``flags[B, F]``
the flags, ``params[B, P]`` the parameters, and so on.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np

from endgame_game.rules import schema
from endgame_game.rules.expr import BOOL, NUM, Type

Kind = Literal[
    "value", "flag", "param", "builtin", "taken", "fired", "crossed", "agreed", "pending", "ending", "derived",
    "term", "term_option",
]
MAX_OPTIONS = 64
"""The most options one term may have (``terms.<p>.<t>.<o>`` is stored as term * MAX_OPTIONS + option)."""
BUILTINS = ("turn", "month", "year", "turns_left")


@attrs.frozen
class Symbol:
    """A readable name: what it is, where it lives, and its type."""

    name: str
    kind: Kind
    index: int
    type: Type


def response_ids(proposal_id: str) -> tuple[str, str]:
    """The generated move ids with which a party answers a proposal."""
    return f"accept_{proposal_id}", f"reject_{proposal_id}"


def negotiation_ids(proposal_id: str) -> tuple[str, str]:
    """The generated move ids with which a party counters or withdraws an offer (proposals with terms)."""
    return f"counter_{proposal_id}", f"withdraw_{proposal_id}"


ACCEPT, REJECT, COUNTER, WITHDRAW = 1, 2, 3, 4
"""The answer codes of generated moves (``answers`` in the state)."""


def principals(m: schema.Move) -> tuple[str, ...]:
    """The parties who make and counter offers: the proposer, then ``to``."""
    return (m.actor, *(p for p in m.to if p != m.actor))


def answerers(m: schema.Move) -> tuple[str, ...]:
    """Everybody who may have to accept an offer of ``m``: principals, then guarantors (declared, then
    named by options), each once."""
    out = list(principals(m))
    for g in (*m.guarantors, *(o.guarantor for t in m.terms for o in t.options if o.guarantor)):
        if g not in out:
            out.append(g)
    return tuple(out)


@attrs.frozen
class MoveSlot:
    """One entry of the move table: a declared move, or a generated response to a proposal."""

    id: str
    actor: str
    move: schema.Move | None  # None for generated responses
    responds_to: int = -1  # index into proposals, for responses
    answer: int = 0  # 1 accept, 2 reject, 3 counter, 4 withdraw (responses only)
    ap: int = 1


@attrs.frozen
class Symbols:
    """The layout of a ruleset's state and the names expressions may read."""

    actors: tuple[str, ...]
    values: tuple[str, ...]
    value_lo: np.ndarray
    value_hi: np.ndarray
    value_owner: tuple[str, ...]  # actor id, or "" for tracks
    flags: tuple[str, ...]
    params: tuple[str, ...]
    moves: tuple[MoveSlot, ...]
    proposals: tuple[str, ...]  # move ids of proposals
    negotiable: tuple[str, ...]  # move ids of proposals with terms (the state's offer arrays follow this order)
    terms: tuple[str, ...]  # "<proposal>.<term>" of every term of every negotiable proposal, in order
    events: tuple[str, ...]
    thresholds: tuple[str, ...]
    endings: tuple[str, ...]
    derived: tuple[str, ...]
    table: dict[str, Symbol]


def build_symbols(rs: schema.Ruleset, derived_types: dict[str, Type] | None = None) -> Symbols:
    """Lay out a ruleset's state and name table.

    Unknown owners or duplicate ids are not checked here (``rules.check`` reports them); this
    function only needs to not fail on them.
    """
    actors = tuple(rs.actors)
    values: list[str] = []
    lo: list[float] = []
    hi: list[float] = []
    owner: list[str] = []
    for rid, res in rs.resources.items():
        for a in res.owners:
            values.append(f"{a}.{rid}")
            lo.append(-np.inf if res.min is None else res.min)
            hi.append(np.inf if res.max is None else res.max)
            owner.append(a)
    for tid, tr in rs.tracks.items():
        values.append(tid)
        if tr.levels:
            lo.append(0.0 if tr.min is None else tr.min)
            hi.append(float(len(tr.levels) - 1) if tr.max is None else tr.max)
        else:
            lo.append(-np.inf if tr.min is None else tr.min)
            hi.append(np.inf if tr.max is None else tr.max)
        owner.append("")
    flags = tuple(rs.flags)
    params = tuple(rs.params)
    proposals = tuple(m.id for m in rs.moves if m.kind == "proposal")
    moves: list[MoveSlot] = [MoveSlot(m.id, m.actor, m, ap=m.ap) for m in rs.moves]
    for q, prop in enumerate(x for x in rs.moves if x.kind == "proposal"):
        acc, rej = response_ids(prop.id)
        if not prop.terms:
            for party in prop.to:
                moves.append(MoveSlot(acc, party, None, responds_to=q, answer=ACCEPT, ap=0))
                moves.append(MoveSlot(rej, party, None, responds_to=q, answer=REJECT, ap=0))
            continue
        cnt, wd = negotiation_ids(prop.id)
        mains = principals(prop)
        for party in answerers(prop):
            moves.append(MoveSlot(acc, party, None, responds_to=q, answer=ACCEPT, ap=0))
            moves.append(MoveSlot(rej, party, None, responds_to=q, answer=REJECT, ap=0))
            if party in mains:
                if prop.counter:
                    moves.append(MoveSlot(cnt, party, None, responds_to=q, answer=COUNTER, ap=0))
                moves.append(MoveSlot(wd, party, None, responds_to=q, answer=WITHDRAW, ap=0))
    negotiable = tuple(m.id for m in rs.moves if m.kind == "proposal" and m.terms)
    terms = tuple(f"{m.id}.{t.id}" for m in rs.moves if m.kind == "proposal" and m.terms for t in m.terms)
    events = tuple(e.id for e in rs.events)
    thresholds = tuple(t.id for t in rs.thresholds)
    endings = tuple(e.id for e in rs.endings)

    table: dict[str, Symbol] = {}

    def add(name: str, kind: Kind, index: int, typ: Type) -> None:
        table.setdefault(name, Symbol(name, kind, index, typ))

    for i, v in enumerate(values):
        add(v, "value", i, NUM)
    for i, f in enumerate(flags):
        add(f"flags.{f}", "flag", i, BOOL)
    for i, p in enumerate(params):
        add(f"params.{p}", "param", i, NUM)
    for i, b in enumerate(BUILTINS):
        add(b, "builtin", i, NUM)
    seen_moves: set[str] = set()
    for i, slot in enumerate(moves):
        if slot.id not in seen_moves:
            seen_moves.add(slot.id)
            add(f"taken.{slot.id}", "taken", i, NUM)
    for i, ev in enumerate(events):
        add(f"fired.{ev}", "fired", i, NUM)
    for i, t in enumerate(thresholds):
        add(f"crossed.{t}", "crossed", i, NUM)
    for i, pid in enumerate(proposals):
        add(f"agreed.{pid}", "agreed", i, BOOL)
        add(f"pending.{pid}", "pending", i, BOOL)
    for i, e in enumerate(endings):
        add(f"ending.{e}", "ending", i, BOOL)
    k = 0
    for mv in rs.moves:
        if mv.kind != "proposal" or not mv.terms:
            continue
        for term in mv.terms:
            add(f"terms.{mv.id}.{term.id}", "term", k, NUM)
            for o, opt in enumerate(term.options[:MAX_OPTIONS]):
                add(f"terms.{mv.id}.{term.id}.{opt.id}", "term_option", k * MAX_OPTIONS + o, BOOL)
            k += 1
    derived = tuple(rs.derived)
    for i, d in enumerate(derived):
        add(d, "derived", i, (derived_types or {}).get(d, NUM))

    return Symbols(
        actors=actors,
        values=tuple(values),
        value_lo=np.array(lo, dtype=np.float64),
        value_hi=np.array(hi, dtype=np.float64),
        value_owner=tuple(owner),
        flags=flags,
        params=params,
        moves=tuple(moves),
        proposals=proposals,
        negotiable=negotiable,
        terms=terms,
        events=events,
        thresholds=thresholds,
        endings=endings,
        derived=derived,
        table=table,
    )
