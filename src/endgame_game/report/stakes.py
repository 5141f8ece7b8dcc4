"""What is at stake for one role, read from the ruleset: how far each ending is, what it would mean for
the role (win, draw or loss), and the role's score term by term.

Everything is worked out on what the viewer knows (its observation: own values and public tracks
exact, the rest as estimates), so a hot-seat screen built on it leaks nothing; ``viewer=None`` reads
the true state (the umpire, the debrief). No Textual here: the app's endings panel, its ending screen
and the after-action report all read these functions.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any, TypeGuard, cast

import attrs
import numpy as np

from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError
from endgame_game.report.text import plain_unit, readable_condition, show_expr, unit_for
from endgame_game.rules import expr
from endgame_game.rules.compile import compile_expr

OUTCOME_WORDS = {"win": "win", "draw": "draw", "loss": "loss", "": "—"}
_OPS = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "=", "<": "<", ">": ">"}


@attrs.frozen
class Gauge:
    """One comparison inside an ending's condition, as the viewer knows it now.

    Attributes:
        label: what is measured ("Deficit", "Kyiv manpower").
        value: its current value (an estimate where ``exact`` is False).
        op: the comparison that must hold for the ending (``>=``, ``<``...).
        limit: the other side's current value.
        unit: the unit of either side, if the ruleset gives one.
        met: whether the comparison holds now.
        exact: False when the value or the limit reads something the viewer only estimates.
        alone: reaching this comparison is enough for the ending (it is not one part of an "and").
    """

    label: str
    value: float
    op: str
    limit: float
    unit: str
    met: bool
    exact: bool
    alone: bool = True  # reaching it is enough for the ending (not one part of an "and")
    short: str = ""  # the ruleset's short label of what is measured, if any

    @property
    def distance(self) -> float:
        """How far the value must still move for the comparison to hold (0 when it holds)."""
        if self.met:
            return 0.0
        return abs(self.limit - self.value)

    @property
    def text(self) -> str:
        """``Deficit 4 GW; ends at ≥ 7 GW (3 to go)``; estimates carry ``≈``."""
        approx = "" if self.exact else "≈ "
        unit = f" {self.unit}" if self.unit else ""
        if self.met:
            tail = "reached"
        elif self.op in ("==", "!="):
            tail = f"needs {_OPS[self.op]} {fmt(self.limit)}"
        else:
            tail = f"{approx}{fmt(self.distance)}{unit} to go"
        return f"{self.label} {approx}{fmt(self.value)}{unit} (at {_OPS[self.op]} {fmt(self.limit)}{unit}: {tail})"


@attrs.frozen
class Check:
    """A yes/no part of an ending's condition (a flag, an agreement, an earlier ending)."""

    label: str
    met: bool


@attrs.frozen
class Part:
    """One node of an ending's condition, as the viewer knows it now: a group whose parts must all hold
    (``kind="all"``, an "and") or one of which must (``"any"``, an "or"), or a leaf: a comparison
    (``"gauge"``) or a yes/no check (``"check"``)."""

    kind: str
    met: bool
    gauge: Gauge | None = None
    check: Check | None = None
    parts: tuple[Part, ...] = ()

    @property
    def compound(self) -> bool:
        return self.kind in ("all", "any")

    @property
    def met_count(self) -> int:
        return sum(p.met for p in self.parts)


@attrs.frozen
class EndingStatus:
    """One ending as the viewer sees it now."""

    id: str
    label: str
    condition: str  # the whole condition in the ruleset's labels
    met: bool  # the condition holds now (on what the viewer knows)
    gauges: tuple[Gauge, ...]
    checks: tuple[Check, ...]
    fallback: bool
    outcome: str  # the viewer's outcome were the game to end so now: win / draw / loss, "" without a rule
    reached: bool = False  # the game ended with it
    tree: Part | None = None  # the condition's and/or structure (None for the fallback ending)


@attrs.frozen
class Term:
    """One term of a score: ``+ Kyiv political will / 5 = 11.6`` or ``+40 if the game ends “…”``."""

    text: str
    value: float
    conditional: bool  # an ending bonus or penalty (0 until that ending is reached)
    exact: bool = True

    @property
    def shown(self) -> float:
        """The value as printed to one decimal: a term that gave nothing is +0.0, never -0.0."""
        return self.value if abs(self.value) >= 0.05 else 0.0


def fmt(x: float) -> str:
    """A number for a gauge: ``4``, ``3.1``, ``880``, ``1,105``."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"


# --- reading the state --------------------------------------------------------------------------------


def _state(game: Game, viewer: str | None) -> tuple[BatchState, np.ndarray]:
    """(state, exact[N]) the viewer reads: its observation, or the truth."""
    if viewer is None:
        return game.state, np.ones(len(game.model.symbols.values), dtype=bool)
    obs = game.observe(viewer)
    return obs.state, np.asarray(obs.exact, dtype=bool)


_CACHE: weakref.WeakKeyDictionary[CompiledModel, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _derived(model: CompiledModel) -> dict[str, expr.Node]:
    cache = _CACHE.setdefault(model, {})
    if "derived" not in cache:
        cache["derived"] = {k.removeprefix("derived."): v for k, v in model.checked.trees.items()
                            if k.startswith("derived.")}
    return cast(dict[str, expr.Node], cache["derived"])


def _parsed(model: CompiledModel, text: str) -> expr.Node | None:
    cache = _CACHE.setdefault(model, {})
    key = ("parse", text)
    if key not in cache:
        try:
            cache[key] = expr.parse(text)
        except EndgameError:
            cache[key] = None
    return cast("expr.Node | None", cache[key])


def _readable(model: CompiledModel, text: str) -> str:
    cache = _CACHE.setdefault(model, {})
    key = ("readable", text)
    if key not in cache:
        cache[key] = readable_condition(model, text)
    return cast(str, cache[key])


def _closure(model: CompiledModel, node: expr.Node) -> dict[str, expr.Node]:
    """The derived formulas an expression reads, directly or through each other (compiling with only
    these keeps a compile cheap: the compiler scans every derived formula it is given)."""
    every = _derived(model)
    out: dict[str, expr.Node] = {}
    todo = [node]
    while todo:
        for n in expr.names(todo.pop()):
            d = n.removeprefix("derived.")
            if d in every and d not in out:
                out[d] = every[d]
                todo.append(every[d])
    return out


def _value(model: CompiledModel, node: expr.Node, state: BatchState) -> float:
    cache = _CACHE.setdefault(model, {})
    fn = cache.get(node)
    if fn is None:
        fn = cache[node] = compile_expr(node, model.symbols, "stakes", _closure(model, node))
    with np.errstate(all="ignore"):
        out = np.asarray(fn(state), dtype=np.float64).reshape(-1)
    return float(out[0])


def evaluate(model: CompiledModel, node: expr.Node, state: BatchState, exact: np.ndarray) -> tuple[float, bool]:
    """(an expression's value on ``state``, whether it reads only what ``exact`` marks as known exactly)."""
    return _value(model, node, state), _is_exact(model, node, np.asarray(exact, dtype=bool))


def _slots(model: CompiledModel, node: expr.Node) -> set[int]:
    """The value slots an expression reads, derived formulas followed."""
    out: set[int] = set()
    todo, seen = [node], set()
    while todo:
        for n in expr.names(todo.pop()):
            if n in model.value_index:
                out.add(model.value_index[n])
            d = n.removeprefix("derived.")
            if d in _derived(model) and d not in seen:
                seen.add(d)
                todo.append(_derived(model)[d])
    return out


def _is_exact(model: CompiledModel, node: expr.Node, exact: np.ndarray) -> bool:
    return all(bool(exact[j]) for j in _slots(model, node))


def _words(ident: str) -> str:
    """``ua_floor`` → ``UA floor``: an id in words, two-letter prefixes (ua, ru, us, eu) as capitals."""
    return " ".join(w.upper() if len(w) == 2 else w for w in ident.split("_"))


def name_label(model: CompiledModel, name: str) -> str:
    """A name as a player reads it, without the unit (``kyiv.grid`` → ``Kyiv power generation``)."""
    rs = model.ruleset
    kind, _, item = name.partition(".")
    if name in rs.tracks:
        return rs.tracks[name].label
    if kind == "params" and item in rs.params:
        p = rs.params[item]
        return p.label or _words(item)
    if item and kind in rs.actors:
        r = rs.resources.get(item)
        if r:
            return f"{rs.actors[kind].name} {r.label[:1].lower() + r.label[1:] if not r.label[1:2].isupper() else r.label}"
    d = name.removeprefix("derived.")
    if d in rs.derived:
        text = _words(d)
        return text[:1].upper() + text[1:]
    if name == "turns_left":
        return "Turns left"
    if name in ("turn", "month", "year"):
        return name.capitalize()
    return readable_condition(model, name)


def name_unit(model: CompiledModel, name: str) -> str:
    rs = model.ruleset
    kind, _, item = name.partition(".")
    if name in rs.tracks:
        return plain_unit(rs.tracks[name].unit)
    if kind == "params" and item in rs.params:
        return plain_unit(rs.params[item].unit)
    if item and kind in rs.actors and item in rs.resources:
        r = rs.resources[item]
        return plain_unit(unit_for(r.unit, kind, r.owners))
    return ""


def _node_label(model: CompiledModel, node: expr.Node) -> str:
    if isinstance(node, expr.Name):
        return name_label(model, node.name)
    return show_expr(node, lambda n: name_label(model, n), _OPS)


def _node_short(model: CompiledModel, node: expr.Node) -> str:
    if not isinstance(node, expr.Name):
        return ""
    rs = model.ruleset
    kind, _, item = node.name.partition(".")
    if node.name in rs.tracks:
        return rs.tracks[node.name].short
    if item and kind in rs.actors and item in rs.resources:
        short = rs.resources[item].short
        return f"{rs.actors[kind].name} {short[:1].lower() + short[1:]}" if short else ""
    return ""


def _node_unit(model: CompiledModel, node: expr.Node) -> str:
    if isinstance(node, expr.Name):
        return name_unit(model, node.name)
    return ""


def _gauges(model: CompiledModel, node: expr.Node, state: BatchState, exact: np.ndarray,
            gauges: list[Gauge], checks: list[Check], alone: bool = True) -> None:
    """Collect the comparisons and yes/no names of a condition, walking through and/or/not."""
    if isinstance(node, expr.BoolOp):
        for v in node.values:
            _gauges(model, v, state, exact, gauges, checks, alone and node.op == "or")
    elif isinstance(node, expr.Unary) and node.op == "not":
        inner: list[Check] = []
        _gauges(model, node.operand, state, exact, gauges, inner, False)
        checks += [Check(f"not {c.label}", not c.met) for c in inner]
    elif isinstance(node, expr.Compare) and len(node.ops) == 1:
        gauges.append(_gauge(model, node, state, exact, alone))
    elif isinstance(node, expr.Name | expr.Compare | expr.IfExp | expr.Call | expr.Unary | expr.Bin):
        checks.append(_check(model, node, state))


def _gauge(model: CompiledModel, node: expr.Compare, state: BatchState, exact: np.ndarray, alone: bool) -> Gauge:
    left, right = node.left, node.rights[0]
    lv, rv = _value(model, left, state), _value(model, right, state)
    unit = _node_unit(model, left) or _node_unit(model, right)
    met = bool(_value(model, node, state))
    ex = _is_exact(model, left, exact) and _is_exact(model, right, exact)
    if isinstance(left, expr.Const) and not isinstance(right, expr.Const):  # "0 < x": read it as "x > 0"
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
        return Gauge(_node_label(model, right), rv, flip[node.ops[0]], lv, unit, met, ex, alone,
                     _node_short(model, right))
    return Gauge(_node_label(model, left), lv, node.ops[0], rv, unit, met, ex, alone, _node_short(model, left))


def _check(model: CompiledModel, node: expr.Node, state: BatchState) -> Check:
    label = _readable(model, node.name) if isinstance(node, expr.Name) else _readable(model, show_expr(node, str, {}))
    return Check(label, bool(_value(model, node, state)))


def _tree(model: CompiledModel, node: expr.Node, state: BatchState, exact: np.ndarray, alone: bool = True) -> Part:
    """A condition's and/or structure, each part with what the viewer knows of it now (an ``a and (b
    or c)`` is an "all" of ``a`` and an "any" of ``b``, ``c``; nested groups of the same kind merge)."""
    if isinstance(node, expr.BoolOp):
        kind = "all" if node.op == "and" else "any"
        parts: list[Part] = []
        for v in node.values:
            p = _tree(model, v, state, exact, alone and node.op == "or")
            parts += list(p.parts) if p.kind == kind else [p]
        return Part(kind, bool(_value(model, node, state)), parts=tuple(parts))
    if isinstance(node, expr.Compare) and len(node.ops) == 1:
        g = _gauge(model, node, state, exact, alone)
        return Part("gauge", g.met, gauge=g)
    c = _check(model, node, state)
    return Part("check", c.met, check=c)


# --- endings ------------------------------------------------------------------------------------------


def _with_ending(state: BatchState, index: int) -> BatchState:
    st = state.copy()
    st.ending[:] = index
    return st


def outcomes_by_ending(model: CompiledModel, state: BatchState, role: str) -> list[str]:
    """The role's outcome for each ending, were the game to end now with it (one batch evaluation)."""
    if role not in model.outcome_rules:
        return [""] * len(model.endings)
    n = len(model.endings)
    st = state.take(np.zeros(n, dtype=np.intp))
    st.ending[:] = np.arange(n, dtype=st.ending.dtype)
    return [str(x) for x in model.outcomes(st)[role]]


def outcome_if(model: CompiledModel, state: BatchState, role: str, index: int) -> str:
    """The role's outcome (``win``/``draw``/``loss``) if the game ended now with ending ``index``;
    ``""`` when the ruleset gives the role no outcome rule."""
    if role not in model.outcome_rules:
        return ""
    return str(model.outcomes(_with_ending(state, index))[role][0])


def endings(game: Game, viewer: str | None, role: str | None = None) -> list[EndingStatus]:
    """Every ending, in the order the engine checks them: its condition's gauges and checks, whether
    it holds now, and what it would mean for ``role`` (default: the viewer)."""
    model = game.model
    state, exact = _state(game, viewer)
    role = role or viewer
    reached = int(game.state.ending[0])
    by_ending = outcomes_by_ending(model, state, role) if role else [""] * len(model.endings)
    out = []
    for i, e in enumerate(model.endings):
        gauges: list[Gauge] = []
        checks: list[Check] = []
        structure: Part | None = None
        if e.when is not None:
            tree = _parsed(model, e.when)
            if tree is not None:
                _gauges(model, tree, state, exact, gauges, checks)
                structure = _tree(model, tree, state, exact)
            cond = model.ending_conds[i]
            with np.errstate(all="ignore"):
                met = bool(np.asarray(cond(state)).reshape(-1)[0]) if cond is not None else False
            text = _readable(model, e.when)
        else:
            met, text = False, "when no other ending is reached by the last turn"
        out.append(EndingStatus(e.id, e.label or e.id, text, met, tuple(gauges), tuple(checks), e.fallback,
                                by_ending[i], reached == i, structure))
    return out


def nearest(statuses: list[EndingStatus]) -> list[tuple[EndingStatus, Gauge]]:
    """Per ending, its gauge closest to being met relative to its limit, among the comparisons that
    would be enough on their own (for a dashboard line)."""
    out = []
    for s in statuses:
        open_ = [g for g in s.gauges if g.op not in ("==", "!=") and g.alone]
        if not open_:
            continue
        best = min(open_, key=lambda g: g.distance / max(abs(g.limit), 1e-9))
        out.append((s, best))
    return out


# --- scores -------------------------------------------------------------------------------------------


def _terms(node: expr.Node, sign: int = 1) -> list[tuple[int, expr.Node]]:
    """A sum split into its signed terms (``a - b + c`` → +a, -b, +c)."""
    if isinstance(node, expr.Bin) and node.op in ("+", "-"):
        return _terms(node.left, sign) + _terms(node.right, sign if node.op == "+" else -sign)
    if isinstance(node, expr.Unary) and node.op == "-":
        return _terms(node.operand, -sign)
    return [(sign, node)]


def _if_else_zero(node: expr.Node) -> TypeGuard[expr.IfExp]:
    """``(x if <condition> else 0)``."""
    return isinstance(node, expr.IfExp) and isinstance(node.orelse, expr.Const) and float(node.orelse.value) == 0


def _ending_bonus(model: CompiledModel, node: expr.Node) -> tuple[str, str] | None:
    """``(40 if ending.a or ending.b else 0)`` → ("40", "“A” or “B”"); None for other terms."""
    if not _if_else_zero(node):
        return None
    names = expr.names(node.test)
    if not names or not all(n.startswith("ending.") for n in names):
        return None
    labels = {e.id: e.label for e in model.endings}
    ends = [f"“{labels.get(n[7:], n[7:])}”" for n in names]
    body = node.body
    amount = f"{float(body.value):g}" if isinstance(body, expr.Const) else \
        f"({show_expr(body, lambda n: name_label(model, n), _OPS)})"
    return amount, " or ".join(ends)


def _at_an_ending(node: expr.Node) -> bool:
    """``(x if <a condition naming an ending> else 0)``: a term that stays 0 until the game ends (a bonus
    that also reads the final state, e.g. "an armistice with Europe united"), listed with the bonuses."""
    return _if_else_zero(node) and any(n.startswith("ending.") for n in expr.names(node.test))


def score_terms(game: Game, role: str, viewer: str | None = None) -> tuple[str, float, list[Term]]:
    """(the score's label, its current value, its terms) for ``role``, read as ``viewer`` may."""
    model = game.model
    sc = model.ruleset.scores.get(role)
    if sc is None:
        return "", float("nan"), []
    state, exact = _state(game, viewer)
    try:
        tree = expr.parse(sc.value)
    except EndgameError:
        return sc.label, float(game.state.scores[0, model.actor_index[role]]), []
    label: Callable[[str], str] = lambda n: name_label(model, n)  # noqa: E731
    terms = []
    for sign, node in _terms(tree):
        bonus = _ending_bonus(model, node)
        value = sign * _value(model, node, state)
        if bonus is not None:
            amount, which = bonus
            if amount.startswith("-"):
                amount, sign = amount[1:], -sign
            terms.append(Term(f"{'+' if sign > 0 else '−'}{amount} if the game ends {which}", value, True))
        else:
            text = show_expr(node, label, _OPS)
            terms.append(Term(f"{'+' if sign > 0 else '−'} {text}", value, _at_an_ending(node),
                              _is_exact(model, node, exact)))
    total = float(sum(t.value for t in terms))
    return sc.label, total, terms


def stakes_text(model: CompiledModel, role: str) -> str:
    """The ruleset's own words on what the role wants and fears (``scores.<role>.stakes``)."""
    sc = model.ruleset.scores.get(role)
    return (sc.stakes or "").strip() if sc is not None else ""


def outcome_of(game: Game, role: str) -> str:
    """The role's final outcome (win/draw/loss), or "" while the game runs or without a rule."""
    if role not in game.model.outcome_rules:
        return ""
    return str(game.model.outcomes(game.state)[role][0])


def key_gauges(game: Game, viewer: str) -> list[Gauge]:
    """The gauges of the endings that mean a loss for the viewer (every ending, for a role without a
    win/lose rule), nearest first, one per measure: what a dashboard shows ("Deficit 4 GW (at ≥ 7 GW:
    3 to go)")."""
    cache = _CACHE.setdefault(game.model, {})
    key = ("key_gauges", viewer, game.state.checksum())  # the dashboard redraws often on the same state
    if key not in cache:
        cache.pop(cache.get("key_gauges_last"), None)
        cache["key_gauges_last"] = key
        cache[key] = _key_gauges(game, viewer)
    return list(cache[key])


def _key_gauges(game: Game, viewer: str) -> list[Gauge]:
    seen: dict[str, Gauge] = {}
    ruled = viewer in game.model.outcome_rules  # without a win/lose rule every ending counts
    for s, g in nearest(endings(game, viewer)):
        if (ruled and s.outcome != "loss") or s.fallback:
            continue
        if g.label not in seen or g.distance < seen[g.label].distance:
            seen[g.label] = g
    return sorted(seen.values(), key=lambda g: g.distance / max(abs(g.limit), 1e-9))

