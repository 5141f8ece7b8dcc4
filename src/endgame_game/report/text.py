"""Plain-text narration of turns: what happened and why. Read by ``simulate``, the app and reports."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from endgame_game.engine import rng
from endgame_game.engine.log import (
    EffectApplied,
    EndingReached,
    EventFired,
    MoveTaken,
    ProposalRecord,
    Record,
    ThresholdCrossed,
    UmpireAction,
)
from endgame_game.engine.model import CEffect, CompiledModel
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError
from endgame_game.rules import expr
from endgame_game.rules.compile import site_key
from endgame_game.rules.schema import Effect

SAMPLES = 512  # draws used to show the range of a random amount that also depends on the state


@attrs.frozen
class Change:
    """The net change of one value over a turn, and what caused it (largest first)."""

    target: str
    label: str
    before: float
    after: float
    causes: tuple[tuple[str, float], ...]

    @property
    def delta(self) -> float:
        return self.after - self.before


CURRENCIES = {"EUR": "€", "USD": "$", "GBP": "£", "$": "$", "€": "€", "£": "£"}
_BOUND = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[-–]\s*(-?\d+(?:\.\d+)?)\s*(.*)$")
_ALTS = re.compile(r"^(.*?)\s*\(([^()]*/[^()]*)\)\s*$")


def unit_for(unit: str, owner: str, owners: Sequence[str]) -> str:
    """A resource's unit as one owner reads it.

    A unit that lists one alternative per owner in parentheses (``bn ($ / EUR)`` for owners
    washington and brussels) gives each owner its own, currencies as symbols: ``$ bn``, ``€ bn``.
    """
    m = _ALTS.match(unit or "")
    if not m or owner not in owners:
        return unit
    alts = [a.strip() for a in m.group(2).split("/")]
    if len(alts) != len(owners):
        return unit
    alt = alts[list(owners).index(owner)]
    base = m.group(1).strip()
    if alt in CURRENCIES:
        return f"{CURRENCIES[alt]} {base}".strip()
    return f"{base} {alt}".strip()


def bounded(text: str, unit: str) -> tuple[str, str]:
    """A value on a range unit reads as a share of its top: (``58``, ``0-100``) → (``58/100``, ``""``),
    (``50``, ``0-100 readiness``) → (``50/100``, ``readiness``); other units unchanged."""
    m = _BOUND.match(unit or "")
    if not m or float(m.group(1)) != 0:
        return text, unit
    return f"{text}/{_top(float(m.group(2)))}", m.group(3).strip()


def _top(x: float) -> str:
    return str(int(x)) if x.is_integer() else f"{x:g}"


def plain_unit(unit: str) -> str:
    """A unit without its range: ``0-100 readiness`` → ``readiness``, ``0-100`` → ``""``."""
    return bounded("x", unit)[1]


def target_label(model: CompiledModel, target: str) -> str:
    """``kyiv.grid`` → ``Kyiv grid supply (GW)``."""
    rs = model.ruleset
    if target.startswith("flags."):
        f = rs.flags.get(target[6:])
        return (f.label if f and f.label else target[6:].replace("_", " ")).strip()
    if target in rs.tracks:
        return rs.tracks[target].label
    actor, _, res = target.partition(".")
    r = rs.resources.get(res)
    a = rs.actors.get(actor)
    if r and a:
        own = unit_for(r.unit, actor, r.owners)
        unit = f" ({own})" if own else ""
        return f"{a.name} {r.label.lower() if r.label[:1].isupper() and not r.label[1:2].isupper() else r.label}{unit}"
    return target


def source_label(model: CompiledModel, source: str) -> str:
    """A move, flow, event, threshold or proposal id → its label."""
    return model.labels.get(source, source)


def changes(model: CompiledModel, records: list[Record]) -> list[Change]:
    """Net change per target, with causes, from a turn's EffectApplied records (one game)."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    causes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in records:
        if isinstance(r, EffectApplied):
            first.setdefault(r.target, r.before)
            last[r.target] = r.after
            causes[r.target][source_label(model, r.source)] += r.after - r.before
    out = []
    for t in first:
        cs = sorted(causes[t].items(), key=lambda kv: -abs(kv[1]))
        out.append(Change(t, target_label(model, t), first[t], last[t], tuple((k, v) for k, v in cs if abs(v) > 1e-9)))
    return out


def fmt_num(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def narrate(model: CompiledModel, records: list[Record], *, turn: int | None = None) -> list[str]:
    """Readable lines for one game's records of one turn: orders, events, thresholds, agreements,
    then the net changes with their causes, then the ending if any."""
    lines: list[str] = []
    if turn is not None:
        d = model.date_of(turn)
        lines.append(f"Turn {turn} — {d:%B %Y}")
    orders: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if isinstance(r, MoveTaken):
            orders[r.actor].append(r.label)
    for actor, labels in orders.items():
        name = model.ruleset.actors[actor].name if actor in model.ruleset.actors else actor
        lines.append(f"  {name}: " + "; ".join(labels))
    for r in records:
        if isinstance(r, EventFired | ThresholdCrossed | ProposalRecord | UmpireAction):
            if isinstance(r, ProposalRecord) and r.status == "made":
                continue
            lines.append("  • " + r.describe())
    for c in changes(model, records):
        if c.target.startswith("flags."):
            lines.append(f"  {c.label}: {'yes' if c.after else 'no'}")
            continue
        if abs(c.delta) < 1e-9:
            continue
        why = ", ".join(f"{k} {v:+.3g}" for k, v in c.causes[:3])
        if len(c.causes) > 3:  # the causes shown must add up to the change: name what is left out
            rest = c.causes[3:]
            why += f", {len(rest)} more {sum(v for _, v in rest):+.3g}"
        lines.append(f"  {c.label}: {fmt_num(c.before)} → {fmt_num(c.after)} ({c.delta:+.3g}: {why})")
    for r in records:
        if r.kind == "EstimatedEffect":  # an assessment of what one's own move did to a value seen noisily
            lines.append("  " + estimated_effect(model, r))
    for r in records:
        if isinstance(r, EndingReached):
            lines.append(f"  ENDING: {r.label}")
    return lines


def estimated_effect(model: CompiledModel, r: Any) -> str:
    """``Kyiv shell stocks ≈ +120 ± 25 (US deliveries; now ≈ 420 ± 40)``: a record with ``source``,
    ``target``, ``change``, ``spread``, ``after`` and ``after_spread`` (an intelligence assessment)."""
    change, spread = float(r.change), float(r.spread)
    after, after_sd = float(r.after), float(r.after_spread)
    pm = f" ± {_short(spread)}" if spread > 0 else ""
    now = f"≈ {fmt_num(after)}" + (f" ± {_short(after_sd)}" if after_sd > 0 else "")
    return f"{target_label(model, r.target)} ≈ {change:+.3g}{pm} ({source_label(model, r.source)}; now {now})"


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6, "neg": 7, "**": 8}
_OPS = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}


def _span(lo: float, hi: float) -> str:
    """A range to one precision, two significant digits of its larger end: ``-0.40 to 0``, ``-119 to -40``."""
    top = max(abs(lo), abs(hi), 1e-12)
    d = max(0, 1 - int(np.floor(np.log10(top))))

    def one(x: float) -> str:
        t = f"{x:+,.{d}f}"
        return "0" if float(t.replace(",", "")) == 0 else t

    return f"{one(lo)} to {one(hi)}"


def _short(v: float) -> str:
    return f"{v + 0.0:.3g}"  # + 0.0 turns -0 into 0


def _const(node: expr.Node) -> float | None:
    """The number a constant (or a negated constant) stands for."""
    if isinstance(node, expr.Const) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, expr.Unary) and node.op == "-":
        inner = _const(node.operand)
        return None if inner is None else -inner
    return None


def _random_amount(node: expr.Node, negate: bool = False) -> str | None:
    """``uniform(0.5, 1.5)`` → ``0.5 to 1.5``, ``normal(10, 2)`` → ``10 ± 2``, ``chance(0.3)`` →
    ``30 % chance``, when the arguments are numbers."""
    if not isinstance(node, expr.Call):
        return None
    args = [_const(x) for x in node.args]
    if None in args:
        return None
    nums = [float(x) for x in args if x is not None]
    if node.func == "uniform":
        lo, hi = (-nums[0], -nums[1]) if negate else (nums[0], nums[1])
        return f"{_short(min(lo, hi))} to {_short(max(lo, hi))}"
    if node.func == "normal" and not negate:
        return f"{_short(nums[0])} ± {_short(nums[1])}"
    if node.func == "chance" and not negate:
        return f"{nums[0] * 100:.0f} % chance"
    return None


def show_expr(node: expr.Node, name: Callable[[str], str] = str, ops: Mapping[str, str] | None = None,
              parent: int = 0) -> str:
    """An expression printed from its parsed tree: parentheses only where precedence needs them, names
    through ``name``, comparison operators through ``ops``, random draws with number arguments as
    ranges (``_random_amount``)."""
    ops = ops or {}

    def go(n: expr.Node, p: int) -> str:
        return show_expr(n, name, ops, p)

    if isinstance(node, expr.Const):
        if isinstance(node.value, bool):
            text, prec = ("true" if node.value else "false"), 9
        else:
            v = float(node.value)
            text, prec = (f"{v:.0f}" if v.is_integer() and abs(v) < 1e15 else repr(v)), 9
    elif isinstance(node, expr.Name):
        text, prec = name(node.name), 9
    elif isinstance(node, expr.Unary):
        amount = _random_amount(node.operand, negate=True) if node.op == "-" else None
        if amount is not None:
            text, prec = amount, 9
        elif node.op == "not":
            text, prec = f"not {go(node.operand, _PREC['not'])}", _PREC["not"]
        else:
            text, prec = f"{node.op}{go(node.operand, _PREC['neg'])}", _PREC["neg"]
    elif isinstance(node, expr.Bin):
        prec = _PREC[node.op]
        right_assoc = node.op == "**"
        left = go(node.left, prec + 1 if right_assoc else prec)
        right = go(node.right, prec if right_assoc else prec + 1)
        text = f"{left} {node.op} {right}"
    elif isinstance(node, expr.BoolOp):
        prec = _PREC[node.op]
        text = f" {node.op} ".join(go(v, prec + 1) for v in node.values)
    elif isinstance(node, expr.Compare):
        prec = _PREC["cmp"]
        parts = [go(node.left, prec + 1)]
        for op, rhs in zip(node.ops, node.rights, strict=True):
            parts += [ops.get(op, op), go(rhs, prec + 1)]
        text = " ".join(parts)
    elif isinstance(node, expr.IfExp):
        prec = 0
        text = f"{go(node.body, 1)} if {go(node.test, 1)} else {go(node.orelse, 0)}"
    else:
        amount = _random_amount(node)
        text = amount if amount is not None else f"{node.func}({', '.join(go(a, 0) for a in node.args)})"
        prec = 9
    return f"({text})" if prec < parent else text


def readable_formula(text: str) -> str:
    """A formula as a player reads it: ``-uniform(0.5, 1.5)`` → ``-1.5 to -0.5``,
    ``normal(10, 2)`` → ``10 ± 2``, ``chance(0.3)`` → ``30 % chance`` (printed from the parsed tree)."""
    try:
        return show_expr(expr.parse(text))
    except EndgameError:
        return text.strip()


def _is_random(text: str) -> bool:
    try:
        node = expr.parse(text)
    except EndgameError:
        return True
    return any(isinstance(n, expr.Call) and expr.FUNCTIONS[n.func].random for n in expr.walk(node))


def _has_names(text: str) -> bool:
    """Whether a formula reads any name (so its amount depends on the state: ``-uniform(3, 7) * ua_loss``)."""
    try:
        return any(isinstance(n, expr.Name) for n in expr.walk(expr.parse(text)))
    except EndgameError:
        return True


def sampled_range(fn: Callable[[BatchState], Any], state: BatchState, text: str) -> tuple[float, float] | None:
    """The range of a random amount on the first game of ``state``, from ``SAMPLES`` draws of a stream
    of its own (not the game's: showing it must not hint at the real draw). Bounded draws
    (``uniform``, ``chance``) give the whole range; with ``normal`` in it, the middle 90 %."""
    sim = state.take(np.zeros(SAMPLES, dtype=np.intp))
    sim.games = np.arange(SAMPLES, dtype=np.uint64)
    sim.seed = rng.derive_seed(state.seed, site_key("describe"), state.turn)
    with np.errstate(all="ignore"):
        v = np.broadcast_to(np.asarray(fn(sim), dtype=np.float64), (SAMPLES,))
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    if "normal(" in text:
        lo, hi = np.percentile(v, [5, 95])
        return float(lo), float(hi)
    return float(v.min()), float(v.max())


def _estimated(model: CompiledModel, c: CEffect, key: str, exact: np.ndarray | None) -> str:
    """``"≈ "`` when the effect's amount (``add`` or ``set``) reads a value the player only estimates."""
    if exact is None or exact[model.reads([f"{c.path}.{key}"])].all():
        return ""
    return "≈ "


def describe_effects(model: CompiledModel, declared: Sequence[Effect], compiled: Sequence[CEffect],
                     state: BatchState | None = None, exact: np.ndarray | None = None) -> str:
    """What a list of effects does, for a player: deterministic amounts worked out on ``state``
    (pass the player's observation view, so no hidden value leaks), random ones as ranges, and
    conditions that do not hold now said so.

    Args:
        exact: [N] bool, the value slots the player sees exactly (``Observation.exact``); an amount
            worked out from an estimate is marked ``≈``.
    """
    parts = []
    for d, c in zip(declared, compiled, strict=True):
        label = target_label(model, d.target)
        text = d.add if d.add is not None else d.set
        assert text is not None
        amount = None
        if state is not None and not _is_random(text):
            with np.errstate(all="ignore"):
                v = float(np.broadcast_to(np.asarray(c.fn(state), dtype=np.float64), (state.batch,))[0])
            if np.isfinite(v):
                amount = v
        if c.is_flag:
            shown = ("yes" if amount else "no") if amount is not None else "yes, by chance"
            part = f"{label}: {shown}"
        elif d.add is not None:
            formula = readable_formula(text)
            span = sampled_range(c.fn, state, text) if amount is None and state is not None and _has_names(text) else None
            if amount is not None:
                part = f"{label} {_estimated(model, c, 'add', exact)}{amount:+.3g}"
            elif span is not None:  # e.g. "-7 to -3 * ua_loss_factor" worked out: "about -8.1 to -3.5"
                lo, hi = span
                part = f"{label} {lo:+.3g}" if np.isclose(lo, hi) else f"{label} about {_span(lo, hi)}"
            else:
                part = f"{label} {'' if formula.startswith(('-', '+')) else '+'}{formula}"
        else:
            shown = _estimated(model, c, "set", exact) + fmt_num(amount) if amount is not None else readable_formula(text)
            part = f"{label} → {shown}"
        if d.when:
            holds = None
            if state is not None and c.when is not None and not _is_random(d.when):
                with np.errstate(all="ignore"):
                    holds = bool(np.broadcast_to(np.asarray(c.when(state), dtype=bool), (state.batch,))[0])
            if holds is None:
                part += f" (if {readable_formula(d.when)})"
            elif not holds:
                part += f" (not now: only if {d.when})"
        parts.append(part)
    return "; ".join(parts)


def _term_words(model: CompiledModel, item: str) -> str:
    """``istanbul_terms.line.four_oblasts`` → ``term “The line”: the four oblasts' borders`` ("" when it
    names no term of a negotiation)."""
    from endgame_game.engine.negotiation import negotiation_of

    move, _, rest = item.partition(".")
    term_id, _, option_id = rest.partition(".")
    neg = negotiation_of(model, move) if getattr(model, "negotiation", None) else None
    term = next((t for t in neg.terms if t.id == term_id), None) if neg is not None else None
    if term is None:
        return ""
    option = next((o.label for o in term.options if o.id == option_id), option_id)
    return f"term “{term.label}”: {option}" if option else f"term “{term.label}”"


def readable_condition(model: CompiledModel, text: str) -> str:
    """A condition as a player reads it: names become labels (``flags.talks_open`` → ``Direct talks
    under way``, ``kyiv.grid`` → ``Kyiv power generation (GW)``), operators become ≤ ≥ ≠ (printed from
    the parsed tree)."""
    rs = model.ruleset
    proposals = {m.id: m.label for m in rs.moves}

    def name(full: str) -> str:
        kind, _, item = full.partition(".")
        if not item:
            if full in rs.tracks:
                return rs.tracks[full].label
            return full.replace("_", " ") if full in rs.derived else full
        if kind == "flags":
            return target_label(model, full)
        if kind == "params":
            p = rs.params.get(item)
            return f"{p.label or item.replace('_', ' ')} ({fmt_num(p.value)})" if p else item
        if kind == "pending":
            return f"“{proposals.get(item, item)}” awaiting an answer"
        if kind == "agreed":
            return f"“{proposals.get(item, item)}” agreed"
        if kind == "ending":
            e = next((x for x in rs.endings if x.id == item), None)
            return f"the ending “{e.label if e else item}”"
        if kind in ("taken", "fired", "crossed"):
            verb = {"taken": "taken", "fired": "happened", "crossed": "crossed"}[kind]
            return f"“{model.labels.get(item, item)}” {verb}"
        if kind == "terms":
            return _term_words(model, item) or full
        return target_label(model, full) if full in model.value_index else full

    try:
        return show_expr(expr.parse(text), name, _OPS)
    except EndgameError:
        return text
