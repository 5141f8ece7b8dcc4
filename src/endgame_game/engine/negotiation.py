"""Negotiation with terms: compiled terms, offers as order strings, and the reasons an answer fails.

A proposal with ``[[moves.terms]]`` is negotiable (docs/negotiation.md). Its offer on the table is
state, with the batch axis like everything else: ``state.terms[:, k]`` holds each term's value (a
range) or option index, ``offer_by``/``opened``/``rounds``/``status`` the rest. An order that makes
or counters an offer names its terms in the move id: ``istanbul_terms{line=current,army_cap=250}``
(``format_order``/``parse_order``); the game record keeps exactly that string, so saves, replays and
rewinds reproduce every offer. Terms left out take the term's default (a proposal) or stay as they
are in the offer answered (a counter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np

from endgame_game.errors import OrderError
from endgame_game.rules import schema
from endgame_game.rules.compile import Compiled
from endgame_game.rules.expr import did_you_mean
from endgame_game.rules.symbols import ACCEPT, COUNTER, REJECT, WITHDRAW, answerers, principals


@attrs.frozen
class COption:
    """One option of a term, compiled."""

    index: int
    id: str
    label: str
    appeal: tuple[tuple[int, Compiled], ...]  # (actor, how that actor views the option)
    requires: Compiled | None
    requires_text: str
    accept_requires: Compiled | None
    accept_requires_text: str
    guarantor: int  # an actor who must then accept too, or -1
    effects: tuple[Any, ...]  # CEffect, applied when a deal with this option is agreed


@attrs.frozen
class CTerm:
    """A term, compiled. ``k`` is its column of ``state.terms``."""

    k: int
    id: str
    label: str
    options: tuple[COption, ...]
    lo: float
    hi: float
    step: float
    unit: str
    default: float  # the value stored for the default choice
    appeal: tuple[tuple[int, Compiled], ...]  # ranges: each actor's view at ``hi`` (0 at ``lo``)

    @property
    def is_range(self) -> bool:
        return not self.options

    @property
    def choices(self) -> int:
        return len(self.options) if self.options else int(round((self.hi - self.lo) / self.step)) + 1

    def value(self, choice: int) -> float:
        """The stored value of choice ``choice`` (an option's index, or a step of the range)."""
        return float(choice) if self.options else self.lo + choice * self.step

    def choice(self, value: float) -> int:
        return int(value) if self.options else int(round((value - self.lo) / self.step))

    def text(self, value: float) -> str:
        """A stored value as order text: the option id, or the number."""
        if self.options:
            return self.options[int(value)].id
        return _num(value)

    def label_of(self, value: float) -> str:
        """A stored value in words: the option's label, or the number with its unit."""
        if self.options:
            o = self.options[int(value)]
            return o.label or o.id
        return f"{_num(value)}{(' ' + self.unit) if self.unit else ''}"

    def parse(self, text: str, where: str) -> float:
        """Order text (an option id or a number of the range) as the stored value; ``OrderError`` if not one."""
        if self.options:
            ids = [o.id for o in self.options]
            if text not in ids:
                hint = did_you_mean(text, ids)
                raise OrderError(where, f"term {self.id!r} has no option {text!r} (options: {', '.join(ids)})"
                                 + (f"; {hint}" if hint else ""))
            return float(ids.index(text))
        try:
            v = float(text)
        except ValueError:
            raise OrderError(where, f"term {self.id!r} needs a number from {_num(self.lo)} to {_num(self.hi)}, "
                                    f"not {text!r}") from None
        steps = (v - self.lo) / self.step
        if not (self.lo - 1e-9 <= v <= self.hi + 1e-9) or abs(steps - round(steps)) > 1e-6:
            raise OrderError(where, f"term {self.id!r} takes {_num(self.lo)} to {_num(self.hi)} in steps of "
                                    f"{_num(self.step)}, not {text}")
        return self.value(int(round(steps)))


@attrs.frozen
class CNegotiation:
    """A proposal's negotiation, compiled: ``n`` is its row in the offer arrays, ``q`` its proposal index."""

    n: int
    q: int
    move: str
    terms: tuple[CTerm, ...]
    principals: tuple[int, ...]  # the proposer, then the parties it is made to
    guarantors: tuple[int, ...]  # declared guarantors (always asked)
    answerers: tuple[int, ...]  # everybody who may be asked to accept
    deadline: int
    counter: bool

    def term(self, tid: str) -> CTerm:
        for t in self.terms:
            if t.id == tid:
                return t
        raise KeyError(tid)

    @property
    def cols(self) -> list[int]:
        return [t.k for t in self.terms]


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def build(model: Any, compile_opt: Any, effects: Any) -> tuple[list[CNegotiation], np.ndarray]:
    """The negotiations of a model (called by ``CompiledModel._build``): returns them and the default
    [K] row of ``state.terms``."""
    rs: schema.Ruleset = model.ruleset
    idx: Mapping[str, int] = model.actor_index
    out: list[CNegotiation] = []
    defaults: list[float] = []
    k = 0
    q = -1
    for i, m in enumerate(rs.moves):
        if m.kind != "proposal":
            continue
        q += 1
        if not m.terms:
            continue
        path = f"moves[{i}]"
        terms = []
        for j, t in enumerate(m.terms):
            tp = f"{path}.terms[{j}]"
            opts = []
            for o, opt in enumerate(t.options):
                op = f"{tp}.options[{o}]"
                opts.append(COption(
                    o, opt.id, opt.label or opt.id,
                    tuple((idx[a], compile_opt(f"{op}.appeal.{a}")) for a in opt.appeal),
                    compile_opt(f"{op}.requires"), opt.requires or "",
                    compile_opt(f"{op}.accept_requires"), opt.accept_requires or "",
                    idx[opt.guarantor] if opt.guarantor else -1,
                    effects(f"{op}.effects", opt.effects, m.label),
                ))
            if opts:
                ids = [o.id for o in opts]
                default = float(ids.index(t.default)) if t.default in ids else 0.0
                lo, hi, step = 0.0, float(len(opts) - 1), 1.0
            else:
                lo, hi = float(t.min or 0.0), float(t.max or 0.0)
                step = float(t.step) if t.step else (hi - lo if hi > lo else 1.0)
                default = float(t.default) if t.default else lo
            terms.append(CTerm(k, t.id, t.label or t.id, tuple(opts), lo, hi, step, t.unit, default,
                               tuple((idx[a], compile_opt(f"{tp}.appeal.{a}")) for a in t.appeal)))
            defaults.append(default)
            k += 1
        out.append(CNegotiation(
            len(out), q, m.id, tuple(terms), tuple(idx[a] for a in principals(m)),
            tuple(idx[a] for a in m.guarantors if a in idx), tuple(idx[a] for a in answerers(m) if a in idx),
            m.deadline, m.counter,
        ))
    return out, np.array(defaults, dtype=np.float64)


# --- orders as text ------------------------------------------------------------------------------

_ORDER = re.compile(r"^([A-Za-z0-9_\-]+)\{(.*)\}$", re.S)


def split_order(text: str) -> tuple[str, dict[str, str]]:
    """``istanbul_terms{line=current,army_cap=250}`` → ``("istanbul_terms", {"line": "current", ...})``;
    a plain move id → ``(id, {})``. Raises ``OrderError`` on malformed text."""
    m = _ORDER.match(text)
    if m is None:
        if "{" in text or "}" in text:
            raise OrderError(text, "an offer is written move{term=option,term=value}")
        return text, {}
    body = m.group(2).strip()
    out: dict[str, str] = {}
    for part in [p for p in body.split(",") if p.strip()] if body else []:
        key, eq, val = part.partition("=")
        key, val = key.strip(), val.strip()
        if not eq or not key or not val:
            raise OrderError(m.group(1), f"{part.strip()!r} is not term=value")
        if key in out:
            raise OrderError(m.group(1), f"term {key!r} is given twice")
        out[key] = val
    return m.group(1), out


def format_order(move_id: str, neg: CNegotiation, row: np.ndarray) -> str:
    """A move id with the terms of ``row`` ([T] stored values, NaN: not given) as order text."""
    given = [f"{t.id}={t.text(float(row[j]))}" for j, t in enumerate(neg.terms) if j < len(row) and not np.isnan(row[j])]
    return f"{move_id}{{{','.join(given)}}}" if given else move_id


def parse_terms(neg: CNegotiation, terms: Mapping[str, str], where: str) -> np.ndarray:
    """Given term texts as a [T] row of stored values (NaN for terms not given)."""
    row = np.full(len(neg.terms), np.nan)
    ids = [t.id for t in neg.terms]
    for key, val in terms.items():
        if key not in ids:
            hint = did_you_mean(key, ids)
            raise OrderError(where, f"{neg.move} has no term {key!r} (terms: {', '.join(ids)})" + (f"; {hint}" if hint else ""))
        row[ids.index(key)] = neg.terms[ids.index(key)].parse(val, where)
    return row


# --- who must answer, and why an answer cannot be given --------------------------------------------


def needed(model: Any, state: Any, neg: CNegotiation) -> np.ndarray:
    """[B, A] bool: who must accept the offer on the table (everybody asked, minus the offerer): a
    ``needed_by`` column for each of its answerers (nobody else is ever asked)."""
    need = np.zeros((state.batch, len(model.actors)), dtype=bool)
    for a in neg.answerers:
        need[:, a] = needed_by(model, state, neg, a)
    return need


def needed_by(model: Any, state: Any, neg: CNegotiation, actor: int) -> np.ndarray:
    """[B] bool: must ``actor`` accept the offer on the table? A principal or declared guarantor always,
    a guarantor an option names where that option is on the table; never the offerer. (The legality
    masks ask it for one actor, for every answer move of every observation: no [B, A] array.)"""
    st = state
    B = st.batch
    A = len(model.actors)
    need = np.full(B, actor in neg.principals or actor in neg.guarantors, dtype=bool)
    for t in neg.terms:
        for o in t.options:
            if o.guarantor >= 0 and o.guarantor == actor:
                need |= st.terms[:, t.k] == o.index
    by = st.offer_by[:, neg.n]
    need &= ~((np.clip(by, 0, A - 1) == actor) & (by >= 0))  # the offerer need not answer its own offer
    return need


def _holds(fn: Compiled | None, state: Any, B: int) -> np.ndarray:
    if fn is None:
        return np.ones(B, dtype=bool)
    with np.errstate(all="ignore"):
        out: np.ndarray = np.broadcast_to(np.asarray(fn(state), dtype=np.bool_), (B,))
    return out


def options_accept(neg: CNegotiation, state: Any) -> tuple[np.ndarray, list[tuple[CTerm, COption, np.ndarray]]]:
    """[B] bool: every chosen option's ``accept_requires`` holds; and the (term, option, [B] failing) list."""
    B = state.batch
    ok = np.ones(B, dtype=bool)
    failing = []
    for t in neg.terms:
        for o in t.options:
            if o.accept_requires is None:
                continue
            chosen = state.terms[:, t.k] == o.index
            if not chosen.any():
                continue
            bad = chosen & ~_holds(o.accept_requires, state, B)
            if bad.any():
                failing.append((t, o, bad))
                ok &= ~bad
    return ok, failing


def response_legal(model: Any, state: Any, neg: CNegotiation, actor: int, answer: int,
                   accept_requires: Compiled | None) -> np.ndarray:
    """[B] bool: a generated answer of a negotiable proposal is legal on its own."""
    st = state
    B = st.batch
    q = neg.q
    ok = ~st.ended & (st.pending[:, q] >= 0) & (st.pending[:, q] < st.turn)
    ok &= st.answers[:, q, actor] == 0
    by = st.offer_by[:, neg.n]
    if answer == WITHDRAW:
        out: np.ndarray = ok & (by == actor)
        return out
    if answer == COUNTER:
        out = ok & (by != actor) & bool(neg.counter) & (actor in neg.principals)
        return out
    ok &= needed_by(model, st, neg, actor)
    if answer == ACCEPT:
        ok &= _holds(accept_requires, st, B)
        ok &= options_accept(neg, st)[0]
    res: np.ndarray = ok
    return res


def offer_ok(neg: CNegotiation, state: Any, row: np.ndarray) -> list[tuple[CTerm, COption, np.ndarray]]:
    """The options of an offer ([B, T] stored values) whose ``requires`` fails, with the [B] games where."""
    B = state.batch
    out = []
    for j, t in enumerate(neg.terms):
        for o in t.options:
            if o.requires is None:
                continue
            chosen = row[:, j] == o.index
            if chosen.any():
                bad = chosen & ~_holds(o.requires, state, B)
                if bad.any():
                    out.append((t, o, bad))
    return out


def situation_flags(model: Any) -> np.ndarray:
    """The flags whose change makes a refused offer worth making again: those the negotiations'
    conditions and the endings read (everybody sees flags exactly)."""
    from endgame_game.rules.expr import names

    keys = [k for k in model.checked.trees if k.startswith("endings[")]
    for i, mv in enumerate(model.ruleset.moves):
        if mv.kind == "proposal" and mv.terms:
            keys += [k for k in model.checked.trees if k.startswith(f"moves[{i}].") and "requires" in k]
    read = {n[6:] for k in keys for n in names(model.checked.trees[k]) if n.startswith("flags.")}
    return np.array(sorted(model.flag_index[f] for f in read if f in model.flag_index), dtype=np.intp)


def situation_table(model: Any, state: Any, rows: np.ndarray | None = None) -> np.ndarray:
    """[B, K] (or [len(rows), K]) what has to change for a refused offer to be worth making again, per
    game: the ``situation_flags`` and the agreements in force (a copy)."""
    if rows is None:
        return np.concatenate([state.flags[:, model.situation_flags], state.agreed], axis=1)
    return np.concatenate([state.flags[np.ix_(rows, model.situation_flags)], state.agreed[rows]], axis=1)


def situations(table: np.ndarray, rows: np.ndarray | None = None) -> list[bytes]:
    """The situation of each game at ``rows`` (default: every row) of a ``situation_table``, as bytes
    (one gather)."""
    part = np.ascontiguousarray(table if rows is None else table[rows])
    data, width = part.tobytes(), part.shape[1]
    return [data[i * width:(i + 1) * width] for i in range(part.shape[0])]


def note_made(state: Any, neg: CNegotiation, mask: np.ndarray, table: np.ndarray) -> None:
    """Offers just put on the table (``mask``): remember the situation each was made in (``table``,
    taken at the start of the turn), under ``state.memory[("made", n)]`` (game uid → bytes)."""
    rows = np.nonzero(mask)[0]
    state.memory.setdefault(("made", neg.n), {}).update(zip(state.uid[rows].tolist(), situations(table, rows),
                                                           strict=True))


def note_refused(state: Any, neg: CNegotiation, mask: np.ndarray) -> None:
    """Offers refused (rejected, or answered with a counter) where ``mask``, before a counter replaces
    them: under ``state.memory[("refused", offerer, n)]``, game uid → {terms: the situation they were
    made in}. The bargainers never repeat a refused offer while the situation is unchanged; keeping this
    in the engine makes it a function of the record (a loaded game remembers what the saved one did)."""
    rows = np.nonzero(mask)[0]
    made = state.memory.get(("made", neg.n), {})
    by = state.offer_by[rows, neg.n].tolist()
    offers = state.terms[np.ix_(rows, np.asarray(neg.cols, dtype=np.intp))].tolist()
    for uid, actor, offer in zip(state.uid[rows].tolist(), by, offers, strict=True):
        then = made.pop(uid, None)
        if then is not None and actor >= 0:
            state.memory.setdefault(("refused", actor, neg.n), {}).setdefault(uid, {})[tuple(offer)] = then


def no_terms(model: Any, batch: int) -> np.ndarray:
    """[B, J, T] NaN: no terms given for any offer slot (``model.offer_slot``). Laid out slot-major in
    memory, so one offer slot's [B, T] terms are T contiguous runs over the batch (copied at once)."""
    return np.full((len(model.offer_slot), model.max_terms, batch), np.nan).transpose(2, 0, 1)


def no_terms_view(model: Any, batch: int) -> np.ndarray:
    """``no_terms`` as a read-only view of one NaN (nothing allocated): for an agent that gives no terms."""
    return np.broadcast_to(np.float64(np.nan), (batch, len(model.offer_slot), model.max_terms))


def all_nan_view(terms: np.ndarray) -> bool:
    """``terms`` is one NaN seen many times (as ``no_terms_view`` gives): no terms given anywhere."""
    return not any(terms.strides) and (terms.size == 0 or bool(np.isnan(terms.flat[0])))


def resolved_row(neg: CNegotiation, state: Any, row: np.ndarray | None, counter: bool) -> np.ndarray:
    """[B, T] stored values an order puts on the table: given terms, else the default (a proposal) or
    the offer answered (a counter)."""
    B = state.batch
    base = (state.terms[:, neg.cols] if counter
            else np.tile(np.array([t.default for t in neg.terms]), (B, 1)))
    if row is None:
        return np.array(base, dtype=np.float64)
    row = np.broadcast_to(row, (B, len(neg.terms)))
    return np.where(np.isnan(row), base, row)


# --- what unlocks a condition ------------------------------------------------------------------------


def unlockers(model: Any, condition: str) -> list[str]:
    """Moves (by label and actor) that set a flag the condition needs to the value it needs:
    ``["Lift the ban on talks with Putin (Kyiv)"]``. Only the top-level ``and`` of flag tests is read."""
    rs: schema.Ruleset = model.ruleset
    out: list[str] = []
    for part in _conjuncts(condition):
        neg = part.startswith("not ")
        name = part[4:].strip() if neg else part
        if not name.startswith("flags."):
            continue
        want = "false" if neg else "true"
        for m in rs.moves:
            for e in (*m.effects, *(x for t in m.terms for o in t.options for x in o.effects), *m.on_accept):
                if e.target == name and (e.set or "").strip() == want:
                    who = rs.actors[m.actor].name if m.actor in rs.actors else m.actor
                    text = f"{m.label} ({who})"
                    if text not in out:
                        out.append(text)
        for ev in rs.events:
            if any(e.target == name and (e.set or "").strip() == want for e in ev.effects):
                text = f"{ev.label or ev.id} (event{', when ' + ev.when if ev.when else ''})"
                if text not in out:
                    out.append(text)
    return out


def _conjuncts(text: str) -> list[str]:
    depth, start, parts = 0, 0, []
    s = text.strip()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and s.startswith(" and ", i):
            parts.append(s[start:i].strip())
            start = i + 5
            i += 4
        i += 1
    parts.append(s[start:].strip())
    return [p[1:-1].strip() if p.startswith("(") and p.endswith(")") else p for p in parts if p]


def failing_parts(condition: str, fn_of: Iterable[tuple[str, Compiled]], state: Any) -> list[str]:
    """The conjuncts of ``condition`` that do not hold (given their compiled forms)."""
    B = state.batch
    return [text for text, fn in fn_of if not bool(_holds(fn, state, B)[0])]


def offer_text(neg: CNegotiation, state: Any, game: int) -> str:
    """The offer on the table (or the last one) in one game, in words: ``The line: current line; NATO: deferred``."""
    return "; ".join(f"{t.label}: {t.label_of(float(state.terms[game, t.k]))}" for t in neg.terms)


# --- a move-detail pane --------------------------------------------------------------------------------


def negotiation_of(model: Any, move_id: str) -> CNegotiation | None:
    """The negotiation a move makes or answers (a proposal with terms, or one of its generated moves)."""
    base, _ = split_order(move_id) if "{" in move_id else (move_id, {})
    negs: list[CNegotiation] = model.negotiation
    for neg in negs:
        if base == neg.move or base.endswith("_" + neg.move) and base.split("_", 1)[0] in (
                "accept", "reject", "counter", "withdraw"):
            return neg
    return None


def term_lines(model: Any, move_id: str, state: Any = None, game: int = 0) -> list[tuple[str, str]]:
    """(term label, options in words) rows for a move-detail pane; with ``state`` and an offer on the
    table (or a deal settled), the option that offer chose. Empty for a move without terms."""
    neg = negotiation_of(model, move_id)
    if neg is None:
        return []
    live = state is not None and int(state.offer_by[game, neg.n]) >= 0
    rows = []
    for t in neg.terms:
        if live:
            rows.append((t.label, t.label_of(float(state.terms[game, t.k]))))
        elif t.options:
            rows.append((t.label, " | ".join(o.label for o in t.options)))
        else:
            rows.append((t.label, f"{_num(t.lo)} to {_num(t.hi)}{(' ' + t.unit) if t.unit else ''}, "
                                  f"steps of {_num(t.step)}"))
    return rows


__all__ = [
    "ACCEPT", "COUNTER", "REJECT", "WITHDRAW", "CNegotiation", "COption", "CTerm", "build", "format_order",
    "needed", "negotiation_of", "offer_ok", "options_accept", "parse_terms", "resolved_row", "response_legal",
    "split_order", "term_lines", "unlockers",
]
