"""Compile a checked expression tree into a straight-line program over numpy arrays with a leading batch axis.

A compiled expression is a callable ``f(env) -> array | scalar`` (a ``Program``). ``env`` is the
engine's view of a batch (see ``Env``); the program never sees anything else, so an expression can
only read the names the ruleset declares. Nothing here calls ``eval``, ``exec`` or ``getattr`` on
ruleset text.

How it is built (docs/architecture.md, "The fast path"):

* The tree is walked without recursion into a list of steps, one numpy call each, every step reading
  earlier steps' results by register number. Derived formulas are expanded where they are read.
* Equal sub-expressions are computed once (hash-consing on the step and its operands' registers).
  A derived formula without random draws reads the same wherever it appears, so it is one step
  however often it is used: ``d2 = d1 + d1``, ``d3 = d2 + d2`` … cost one step per level, not 2**n.
  A derived formula *with* draws keeps its per-use keys (``<site>/<name>#k``, as always), so its
  draws stay where they were; a ruleset whose expansion would still exceed ``MAX_STEPS`` steps is
  refused with a ``RulesetError`` naming the key path.
* Sub-expressions of constants only are computed once, when compiling, by the same numpy call the
  step would make (so the value is bit for bit the one the step would give).

Every step makes exactly the numpy call the tree-walking compiler of earlier versions made, with
the same operands in the same order: the results are bit-identical (``tests/test_compile.py``
compares the two on random expressions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from endgame_game.errors import Issue, RulesetError
from endgame_game.rules.expr import Bin as BinNode
from endgame_game.rules.expr import BoolOp, Call, Compare, Const, IfExp, Name, Node, Unary, walk
from endgame_game.rules.symbols import BUILTINS, MAX_OPTIONS, Symbols

Array = Any  # np.ndarray of shape [B], or a Python scalar that broadcasts
Compiled = Callable[["Env"], Array]

MAX_STEPS = 20_000
"""The most numpy steps one expression may compile to, derived formulas expanded (after sharing)."""


class Env(Protocol):
    """What a compiled expression reads. The engine's ``EvalContext`` implements it."""

    values: np.ndarray  # [B, N] float64
    flags: np.ndarray  # [B, F] bool
    params: np.ndarray  # [B, P] float64
    taken: np.ndarray  # [B, M] int32
    fired: np.ndarray  # [B, E] int32
    crossed: np.ndarray  # [B, T] int32
    agreed: np.ndarray  # [B, Q] bool
    pending: np.ndarray  # [B, Q] int32, the turn proposed or -1
    ending: np.ndarray  # [B] int32, -1 while running
    terms: np.ndarray  # [B, K] float64: each term's value (a range) or option index in the offer on the table
    builtins: tuple[float, float, float, float]  # turn, month, year, turns_left

    def uniform(self, site: int, k: int) -> np.ndarray: ...


def batch_array(x: Any, batch: int, dtype: Any = None) -> np.ndarray:
    """An expression's value as a [batch] array of ``dtype``: an array that already is one as it is,
    anything else (a scalar, another dtype) broadcast and converted (read-only then). What
    ``np.broadcast_to(np.asarray(x, dtype), (batch,))`` gives, without its cost in the common case."""
    if type(x) is np.ndarray and x.shape == (batch,) and (dtype is None or x.dtype == dtype):
        return x
    return np.broadcast_to(np.asarray(x, dtype=dtype), (batch,))


def site_key(text: str) -> int:
    """A stable 64-bit key for a draw site (the same in every process and on every platform)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


_BIN = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "//": np.floor_divide,
    "%": np.mod,
}
_CMP = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_UNARY_FUNCS: dict[str, Callable[[Any], Any]] = {
    "abs": np.abs,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": np.round,
}
_DRAWS = ("chance", "uniform", "normal")
IRWIN_HALL_N = 4
_IH_SCALE = float(np.sqrt(12.0 / IRWIN_HALL_N))

Step = Callable[["Env", list[Any]], Array]
"""One step: reads the environment and earlier registers, returns its value."""


class Program:
    """A compiled expression: straight-line steps over registers; call it with an ``Env``.

    ``init`` holds one slot per register: the constants, and ``None`` where a step writes; ``steps``
    are (register, step) in order; the value is register ``out``.
    """

    __slots__ = ("init", "out", "site", "steps")

    def __init__(self, site: str, init: list[Any], steps: list[tuple[int, Step]], out: int):
        self.site = site
        self.init = init
        self.steps = steps
        self.out = out

    def __call__(self, env: Env) -> Array:
        steps = self.steps
        if len(steps) == 1 and steps[0][0] == self.out:
            return steps[0][1](env, self.init)
        r = self.init.copy()
        for i, s in steps:
            r[i] = s(env, r)
        return r[self.out]

    def __bool__(self) -> bool:
        return True  # a program is never "absent", even one of no steps (a constant): ``if fn`` stays safe

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"Program({self.site!r}, {len(self.steps)} steps)"


# -- step makers: each returns the closure of one numpy call over registers ------------------------


def _leaf(kind: str, i: int) -> Step:
    """Reading one name of the state."""
    if kind == "value":
        return lambda env, r: env.values[:, i]
    if kind == "flag":
        return lambda env, r: env.flags[:, i]
    if kind == "param":
        return lambda env, r: env.params[:, i]
    if kind == "builtin":
        return lambda env, r: env.builtins[i]
    if kind == "taken":
        return lambda env, r: env.taken[:, i]
    if kind == "fired":
        return lambda env, r: env.fired[:, i]
    if kind == "crossed":
        return lambda env, r: env.crossed[:, i]
    if kind == "agreed":
        return lambda env, r: env.agreed[:, i]
    if kind == "pending":
        return lambda env, r: env.pending[:, i] >= 0
    if kind == "ending":
        return lambda env, r: env.ending == i
    if kind == "term":
        return lambda env, r: env.terms[:, i]
    if kind == "term_option":
        k, o = divmod(i, MAX_OPTIONS)
        return lambda env, r: env.terms[:, k] == o
    raise KeyError(kind)


def _fold(f: Callable[[Any, Any], Any], args: tuple[int, ...], cast: bool = False) -> Step:
    """``f`` folded left over registers (``min``/``max``, ``and``/``or``), then as float64 if ``cast``."""
    if len(args) == 1:
        (a,) = args
        return (lambda env, r: np.asarray(r[a], dtype=np.float64)) if cast else (lambda env, r: r[a])
    if len(args) == 2 and not cast:
        a, b = args
        return lambda env, r: f(r[a], r[b])

    def fold(env: Env, r: list[Any]) -> Array:
        out = r[args[0]]
        for j in args[1:]:
            out = f(out, r[j])
        return np.asarray(out, dtype=np.float64) if cast else out

    return fold


def _compare(ops: tuple[str, ...], args: tuple[int, ...]) -> Step:
    fns = [_CMP[o] for o in ops]
    if len(fns) == 1:
        f0, a0, b0 = fns[0], args[0], args[1]
        return lambda env, r: f0(r[a0], r[b0])

    def chain(env: Env, r: list[Any]) -> Array:
        out = fns[0](r[args[0]], r[args[1]])
        for i in range(1, len(fns)):
            out = np.logical_and(out, fns[i](r[args[i]], r[args[i + 1]]))
        return out

    return chain


def _operator(n: Node, args: tuple[int, ...]) -> tuple[Step, tuple[Any, ...]]:
    """The step of a non-leaf, non-draw node over its operands' registers, and its sharing key."""
    if isinstance(n, Unary):
        (a,) = args
        if n.op == "not":
            return (lambda env, r: np.logical_not(r[a])), ("not", a)
        return (lambda env, r: np.negative(r[a])), ("neg", a)
    if isinstance(n, BinNode):
        x, y = args
        if n.op == "**":
            e = float(n.right.value) if isinstance(n.right, Const) else 1.0
            return (lambda env, r: np.power(np.asarray(r[x], dtype=np.float64), e)), ("**", x, e)
        f = _BIN[n.op]
        return (lambda env, r: f(r[x], r[y])), (n.op, x, y)
    if isinstance(n, BoolOp):
        return _fold(np.logical_and if n.op == "and" else np.logical_or, args), (n.op, *args)
    if isinstance(n, Compare):
        return _compare(n.ops, args), ("cmp", n.ops, *args)
    if isinstance(n, IfExp):
        t, a, b = args
        return (lambda env, r: np.where(r[t], r[a], r[b])), ("if", t, a, b)
    if isinstance(n, Call):
        if n.func in _UNARY_FUNCS:
            g = _UNARY_FUNCS[n.func]
            (a,) = args
            return (lambda env, r: g(np.asarray(r[a], dtype=np.float64))), (n.func, a)
        if n.func in ("min", "max"):
            return _fold(np.minimum if n.func == "min" else np.maximum, args, cast=True), (n.func, *args)
        if n.func == "clip":
            x, lo, hi = args
            return (lambda env, r: np.minimum(np.maximum(r[x], r[lo]), r[hi])), ("clip", x, lo, hi)
    raise TypeError(f"cannot compile {n!r}")


def _draw(func: str, key: int, args: tuple[int, ...]) -> Step:
    """A random draw keyed by ``key`` (see ``engine.rng``)."""
    if func == "chance":
        (p,) = args
        return lambda env, r: env.uniform(key, 0) < r[p]
    if func == "uniform":
        a, b = args
        return lambda env, r: r[a] + (r[b] - r[a]) * env.uniform(key, 0)
    if func == "normal":
        mu, sd = args

        def normal(env: Env, r: list[Any]) -> Array:
            s = env.uniform(key, 0)
            for j in range(1, IRWIN_HALL_N):
                s = s + env.uniform(key, j)
            z = (s - IRWIN_HALL_N / 2.0) * _IH_SCALE
            return r[mu] + r[sd] * z

        return normal
    raise KeyError(func)


def _children(n: Node) -> tuple[Node, ...]:
    if isinstance(n, Unary):
        return (n.operand,)
    if isinstance(n, BinNode):
        return (n.left, n.right)
    if isinstance(n, BoolOp):
        return n.values
    if isinstance(n, Compare):
        return (n.left, *n.rights)
    if isinstance(n, IfExp):
        return (n.test, n.body, n.orelse)
    if isinstance(n, Call):
        return n.args
    return ()


def random_derived(derived: Mapping[str, Node]) -> set[str]:
    """The derived formulas that draw (themselves or through another derived formula); iterative."""
    direct: dict[str, set[str]] = {}
    drawing: set[str] = set()
    for name, tree in derived.items():
        deps: set[str] = set()
        for n in walk(tree):
            if isinstance(n, Call) and n.func in _DRAWS:
                drawing.add(name)
            elif isinstance(n, Name) and n.name in derived:
                deps.add(n.name)
        direct[name] = deps
    readers: dict[str, list[str]] = {}
    for name, deps in direct.items():
        for d in deps:
            readers.setdefault(d, []).append(name)
    todo = list(drawing)
    while todo:
        for reader in readers.get(todo.pop(), ()):
            if reader not in drawing:
                drawing.add(reader)
                todo.append(reader)
    return drawing


class _Builder:
    """Emits the steps of one expression, sharing equal ones."""

    def __init__(self, symbols: Symbols, site: str, derived: Mapping[str, Node]):
        self.symbols = symbols
        self.site = site
        self.derived = derived
        self.random = random_derived(derived) if derived else set()
        self.init: list[Any] = []  # one slot per register: a constant, or None where a step writes
        self.consts: set[int] = set()
        self.const_of: dict[tuple[str, str], int] = {}
        self.steps: list[tuple[int, Step]] = []
        self.step_of: dict[tuple[Any, ...], int] = {}
        self.derived_reg: dict[tuple[str, str], int] = {}  # (name, its prefix, or "" when it draws nothing)

    def const(self, v: Any) -> int:
        k = (type(v).__name__, repr(v))
        if k not in self.const_of:
            self.const_of[k] = len(self.init)
            self.consts.add(len(self.init))
            self.init.append(v)
        return self.const_of[k]

    def emit(self, key: tuple[Any, ...], make: Callable[[], Step], foldable: tuple[int, ...] | None = None) -> int:
        """The register of the step ``key``: an existing one, a folded constant, or a new step."""
        if key in self.step_of:
            return self.step_of[key]
        step = make()
        if foldable is not None and all(a in self.consts for a in foldable):
            with np.errstate(all="ignore"):
                reg = self.const(step(None, self.init))  # type: ignore[arg-type]  # reads constants only
        else:
            if len(self.steps) >= MAX_STEPS:
                raise RulesetError([Issue(self.site, (
                    f"this expression compiles to more than {MAX_STEPS:,} steps once its derived formulas are "
                    "expanded (a derived formula with random draws is expanded anew on each path that reads it); "
                    "read fewer of them, or move the draws out of the derived formulas"))])
            reg = len(self.init)
            self.init.append(None)
            self.steps.append((reg, step))
        self.step_of[key] = reg
        return reg

    def build(self, root: Node) -> Program:
        """Walk the tree without recursion (post-order over (node, prefix, state) frames)."""
        out: list[int] = []  # the registers of finished sub-trees
        stack: list[tuple[Node, str, int]] = [(root, self.site, 0)]
        open_derived: list[tuple[str, str]] = []
        while stack:
            n, prefix, state = stack.pop()
            if state == 2:  # a derived formula's tree is done: remember its register
                self.derived_reg[open_derived.pop()] = out[-1]
                continue
            if isinstance(n, Const):
                out.append(self.const(n.value))
            elif isinstance(n, Name):
                self._name(n, prefix, out, stack, open_derived)
            elif state == 0:
                stack.append((n, prefix, 1))
                stack.extend((k, prefix, 0) for k in reversed(_children(n)))
            else:
                k = len(_children(n))
                args = tuple(out[len(out) - k:])
                del out[len(out) - k:]
                out.append(self._node(n, prefix, args))
        return Program(self.site, self.init, self.steps, out[-1])

    def _name(self, n: Name, prefix: str, out: list[int], stack: list[tuple[Node, str, int]],
              open_derived: list[tuple[str, str]]) -> None:
        sym = self.symbols.table[n.name]
        if sym.kind != "derived":
            out.append(self.emit(("name", n.name), lambda: _leaf(sym.kind, sym.index)))
            return
        sub = f"{prefix}/{n.name}"
        memo = (n.name, sub if n.name in self.random else "")
        if memo in self.derived_reg:
            out.append(self.derived_reg[memo])
            return
        open_derived.append(memo)
        stack.append((n, prefix, 2))
        stack.append((self.derived[n.name], sub, 0))

    def _node(self, n: Node, prefix: str, args: tuple[int, ...]) -> int:
        if isinstance(n, Call) and n.func in _DRAWS:
            key = site_key(f"{prefix}#{n.site}")
            return self.emit(("draw", n.func, key, *args), lambda: _draw(n.func, key, args))
        if isinstance(n, Unary) and n.op == "+":
            return args[0]
        step, skey = _operator(n, args)
        return self.emit(skey, lambda: step, foldable=args)


def compile_expr(node: Node, symbols: Symbols, site: str, derived: Mapping[str, Node] | None = None) -> Compiled:
    """Compile a checked tree.

    Args:
        node: a tree that ``expr.check_names`` accepted against ``symbols``.
        symbols: the ruleset's layout.
        site: the expression's key path; random draws are keyed by it.
        derived: the parsed trees of the ruleset's derived formulas, expanded where used.

    Raises:
        RulesetError: the expression would compile to more than ``MAX_STEPS`` steps (naming ``site``).
    """
    return _Builder(symbols, site, derived or {}).build(node)


__all__ = ["BUILTINS", "MAX_STEPS", "batch_array", "Compiled", "Env", "Program", "compile_expr", "random_derived", "site_key"]
