"""A plain-Python reference interpreter for the expression language (scalars, one game).

Written independently of ``rules.compile``: the property tests check that the compiled numpy code
agrees with it on random well-typed expressions and inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from endgame_game.rules.expr import Bin, BoolOp, Call, Compare, Const, IfExp, Name, Node, Unary

NAN = float("nan")


def _div(a: float, b: float) -> float:
    if b == 0:
        return NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (math.copysign(1, b))
    return a / b


def _floordiv(a: float, b: float) -> float:
    if b == 0:
        return NAN if a == 0 else math.copysign(math.inf, a) * math.copysign(1, b)
    return float(a // b)


def _mod(a: float, b: float) -> float:
    if b == 0:
        return NAN
    return a % b


def evaluate(node: Node, env: Mapping[str, float | bool]) -> float | bool:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Unary):
        v = evaluate(node.operand, env)
        if node.op == "not":
            return not v
        return -v if node.op == "-" else v
    if isinstance(node, Bin):
        a, b = evaluate(node.left, env), evaluate(node.right, env)
        assert isinstance(a, float) and isinstance(b, float)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return _div(a, b)
        if node.op == "//":
            return _floordiv(a, b)
        if node.op == "%":
            return _mod(a, b)
        if node.op == "**":
            try:
                return float(a**b)
            except ZeroDivisionError:  # 0 ** -n: IEEE gives ±inf, signed like 0 for odd n
                return math.copysign(math.inf, a) if int(b) % 2 else math.inf
            except OverflowError:
                return math.inf
        raise AssertionError(node.op)
    if isinstance(node, BoolOp):
        vals = [evaluate(v, env) for v in node.values]
        return all(vals) if node.op == "and" else any(vals)
    if isinstance(node, Compare):
        vals = [evaluate(v, env) for v in (node.left, *node.rights)]
        ops = {"<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
               ">=": lambda x, y: x >= y, "==": lambda x, y: x == y, "!=": lambda x, y: x != y}
        return all(ops[o](vals[i], vals[i + 1]) for i, o in enumerate(node.ops))
    if isinstance(node, IfExp):
        return evaluate(node.body, env) if evaluate(node.test, env) else evaluate(node.orelse, env)
    if isinstance(node, Call):
        args = [evaluate(a, env) for a in node.args]
        f = node.func
        if f == "min":
            return float(min(args))
        if f == "max":
            return float(max(args))
        if f == "clip":
            return float(min(max(args[0], args[1]), args[2]))
        if f == "abs":
            return abs(args[0])
        if f == "floor":
            return float(math.floor(args[0])) if math.isfinite(args[0]) else args[0]
        if f == "ceil":
            return float(math.ceil(args[0])) if math.isfinite(args[0]) else args[0]
        if f == "round":
            return float(round(args[0])) if math.isfinite(args[0]) else args[0]
        if f == "sqrt":
            return math.sqrt(args[0]) if args[0] >= 0 else NAN
        if f == "exp":
            try:
                return math.exp(args[0])
            except OverflowError:
                return math.inf
        if f == "log":
            return math.log(args[0]) if args[0] > 0 else (-math.inf if args[0] == 0 else NAN)
        raise AssertionError(f"no reference for random function {f}")
    raise AssertionError(node)
