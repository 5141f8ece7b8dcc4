"""The tree-walking expression compiler of earlier versions (one closure per node, derived formulas
inlined at every use), kept as the reference the straight-line compiler (``rules.compile``) must
match bit for bit: ``tests/test_compile.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from endgame_game.rules.expr import Bin as BinNode
from endgame_game.rules.expr import BoolOp, Call, Compare, Const, IfExp, Name, Node, Unary
from endgame_game.rules.symbols import BUILTINS, Symbols

Array = Any  # np.ndarray of shape [B], or a Python scalar that broadcasts
Compiled = Callable[["Env"], Array]


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
    builtins: tuple[float, float, float, float]  # turn, month, year, turns_left

    def uniform(self, site: int, k: int) -> np.ndarray: ...


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
IRWIN_HALL_N = 4
_IH_SCALE = float(np.sqrt(12.0 / IRWIN_HALL_N))


def compile_expr(node: Node, symbols: Symbols, site: str, derived: Mapping[str, Node] | None = None) -> Compiled:
    """Compile a checked tree.

    Args:
        node: a tree that ``expr.check_names`` accepted against ``symbols``.
        symbols: the ruleset's layout.
        site: the expression's key path; random draws are keyed by it.
        derived: the parsed trees of the ruleset's derived formulas, inlined where used.
    """
    derived = derived or {}

    def c(n: Node, prefix: str) -> Compiled:
        if isinstance(n, Const):
            v = n.value
            return lambda env: v
        if isinstance(n, Name):
            return _name(n.name, prefix)
        if isinstance(n, Unary):
            a = c(n.operand, prefix)
            if n.op == "not":
                return lambda env: np.logical_not(a(env))
            if n.op == "-":
                return lambda env: np.negative(a(env))
            return a
        if isinstance(n, BinNode):
            x, y = c(n.left, prefix), c(n.right, prefix)
            if n.op == "**":
                e = float(n.right.value) if isinstance(n.right, Const) else 1.0
                return lambda env: np.power(np.asarray(x(env), dtype=np.float64), e)
            f = _BIN[n.op]
            return lambda env: f(x(env), y(env))
        if isinstance(n, BoolOp):
            parts = [c(v, prefix) for v in n.values]
            g = np.logical_and if n.op == "and" else np.logical_or

            def boolop(env: Env) -> Array:
                out = parts[0](env)
                for p in parts[1:]:
                    out = g(out, p(env))
                return out

            return boolop
        if isinstance(n, Compare):
            operands = [c(o, prefix) for o in (n.left, *n.rights)]
            fns = [_CMP[o] for o in n.ops]
            if len(fns) == 1:
                f0, a0, b0 = fns[0], operands[0], operands[1]
                return lambda env: f0(a0(env), b0(env))

            def chain(env: Env) -> Array:
                vals = [o(env) for o in operands]
                out = fns[0](vals[0], vals[1])
                for i in range(1, len(fns)):
                    out = np.logical_and(out, fns[i](vals[i], vals[i + 1]))
                return out

            return chain
        if isinstance(n, IfExp):
            t, a, b = c(n.test, prefix), c(n.body, prefix), c(n.orelse, prefix)
            return lambda env: np.where(t(env), a(env), b(env))
        if isinstance(n, Call):
            return _call(n, [c(a, prefix) for a in n.args], prefix)
        raise TypeError(f"cannot compile {n!r}")

    def _name(name: str, prefix: str) -> Compiled:
        sym = symbols.table[name]
        i = sym.index
        k = sym.kind
        if k == "value":
            return lambda env: env.values[:, i]
        if k == "flag":
            return lambda env: env.flags[:, i]
        if k == "param":
            return lambda env: env.params[:, i]
        if k == "builtin":
            return lambda env: env.builtins[i]
        if k == "taken":
            return lambda env: env.taken[:, i]
        if k == "fired":
            return lambda env: env.fired[:, i]
        if k == "crossed":
            return lambda env: env.crossed[:, i]
        if k == "agreed":
            return lambda env: env.agreed[:, i]
        if k == "pending":
            return lambda env: env.pending[:, i] >= 0
        if k == "ending":
            return lambda env: env.ending == i
        if k == "derived":
            return c(derived[name], f"{prefix}/{name}")
        raise KeyError(name)

    def _call(n: Call, args: list[Compiled], prefix: str) -> Compiled:
        f = n.func
        if f in _UNARY_FUNCS:
            g = _UNARY_FUNCS[f]
            a = args[0]
            return lambda env: g(np.asarray(a(env), dtype=np.float64))
        if f in ("min", "max"):
            g2 = np.minimum if f == "min" else np.maximum

            def reduce(env: Env) -> Array:
                out = args[0](env)
                for p in args[1:]:
                    out = g2(out, p(env))
                return np.asarray(out, dtype=np.float64)

            return reduce
        if f == "clip":
            x, lo, hi = args
            return lambda env: np.minimum(np.maximum(x(env), lo(env)), hi(env))
        key = site_key(f"{prefix}#{n.site}")
        if f == "chance":
            p = args[0]
            return lambda env: env.uniform(key, 0) < p(env)
        if f == "uniform":
            a, b = args
            return lambda env: a(env) + (b(env) - a(env)) * env.uniform(key, 0)
        if f == "normal":
            mu, sd = args

            def normal(env: Env) -> Array:
                s = env.uniform(key, 0)
                for j in range(1, IRWIN_HALL_N):
                    s = s + env.uniform(key, j)
                z = (s - IRWIN_HALL_N / 2.0) * _IH_SCALE
                return mu(env) + sd(env) * z

            return normal
        raise KeyError(f)

    return c(node, site)


__all__ = ["BUILTINS", "Compiled", "Env", "compile_expr", "site_key"]
