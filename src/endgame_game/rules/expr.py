"""The expression language: parsed with ``ast`` against an allow-list, never evaluated by Python.

An expression is parsed once into a small tree of our own node classes (``parse``), its names are
resolved and its types checked against a ruleset's symbols (``check``), and it is compiled into a
closure over numpy arrays with a leading batch axis (``rules.compile``).

Only these constructs exist: numbers, ``true``/``false``, names (``kyiv.manpower``), ``+ - * / // %``,
``**`` with a small constant integer exponent, comparisons, ``and``/``or``/``not``, ``a if c else b``
and calls of the functions in ``FUNCTIONS``. Anything else is rejected before it can run.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

import attrs

from endgame_game.errors import ExpressionError

MAX_LENGTH = 1000
MAX_NODES = 256
MAX_DEPTH = 32
MAX_EXPONENT = 4

Type = Literal["num", "bool"]
NUM: Type = "num"
BOOL: Type = "bool"


@attrs.frozen
class Func:
    """A whitelisted function: its arity, argument types and result type."""

    name: str
    min_args: int
    max_args: int | None
    arg_type: Type
    result: Type
    random: bool = False


FUNCTIONS: dict[str, Func] = {
    f.name: f
    for f in [
        Func("min", 1, None, NUM, NUM),
        Func("max", 1, None, NUM, NUM),
        Func("clip", 3, 3, NUM, NUM),
        Func("abs", 1, 1, NUM, NUM),
        Func("sqrt", 1, 1, NUM, NUM),
        Func("exp", 1, 1, NUM, NUM),
        Func("log", 1, 1, NUM, NUM),
        Func("floor", 1, 1, NUM, NUM),
        Func("ceil", 1, 1, NUM, NUM),
        Func("round", 1, 1, NUM, NUM),
        Func("chance", 1, 1, NUM, BOOL, random=True),
        Func("uniform", 2, 2, NUM, NUM, random=True),
        Func("normal", 2, 2, NUM, NUM, random=True),
    ]
}

BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


# --- the tree -----------------------------------------------------------------------------------


@attrs.frozen
class Const:
    value: float | bool
    col: int = 0


@attrs.frozen
class Name:
    name: str
    col: int = 0


@attrs.frozen
class Unary:
    op: str  # "-", "+", "not"
    operand: Node
    col: int = 0


@attrs.frozen
class Bin:
    op: str
    left: Node
    right: Node
    col: int = 0


@attrs.frozen
class BoolOp:
    op: str  # "and" | "or"
    values: tuple[Node, ...]
    col: int = 0


@attrs.frozen
class Compare:
    left: Node
    ops: tuple[str, ...]
    rights: tuple[Node, ...]
    col: int = 0


@attrs.frozen
class IfExp:
    test: Node
    body: Node
    orelse: Node
    col: int = 0


@attrs.frozen
class Call:
    func: str
    args: tuple[Node, ...]
    site: int = 0  # ordinal of this random draw within its expression (random functions only)
    col: int = 0


Node = Const | Name | Unary | Bin | BoolOp | Compare | IfExp | Call


# --- parsing --------------------------------------------------------------------------------------


def parse(text: str) -> Node:
    """Parse an expression string into a checked tree.

    Raises:
        ExpressionError: for anything outside the language, too long, too big or too deep.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExpressionError("expression is empty")
    if not text.isascii():
        # Python folds look-alike letters (NFKC: 'ｔｕｒｎ' reads as 'turn'); the language does not.
        col = next(i for i, ch in enumerate(text) if not ch.isascii())
        raise ExpressionError(f"non-ASCII character {text[col]!r}: names, numbers and operators are ASCII only "
                              "(letters a-z, digits and _)", col)
    # Nesting depth in characters bounds the parser's own recursion before ast sees it.
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"syntax error: {e.msg}", col=(e.offset or 1) - 1) from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise ExpressionError(f"expression could not be parsed ({type(e).__name__})") from None
    builder = _Builder()
    node = builder.build(tree.body, 0)
    return node


class _Builder:
    def __init__(self) -> None:
        self.nodes = 0
        self.draws = 0

    def build(self, n: ast.AST, depth: int) -> Node:
        self.nodes += 1
        col = getattr(n, "col_offset", 0)
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts", col)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels", col)
        d = depth + 1
        if isinstance(n, ast.Constant):
            v = n.value
            if isinstance(v, bool):
                return Const(v, col)
            if isinstance(v, int | float) and not isinstance(v, complex):
                if isinstance(v, int) and abs(v) > 2**53:
                    raise ExpressionError("integer constant too large", col)
                if not math.isfinite(v):
                    raise ExpressionError("number too large: it is infinite as a 64-bit float (the limit is about 1.8e308)", col)
                return Const(float(v), col)
            raise ExpressionError(f"only numbers, true and false are allowed as constants, not {v!r}", col)
        if isinstance(n, ast.Name):
            if n.id in ("true", "True"):
                return Const(True, col)
            if n.id in ("false", "False"):
                return Const(False, col)
            return Name(self._check_name(n.id, col), col)
        if isinstance(n, ast.Attribute):
            return Name(self._dotted(n), col)
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.USub):
                return Unary("-", self.build(n.operand, d), col)
            if isinstance(n.op, ast.UAdd):
                return Unary("+", self.build(n.operand, d), col)
            if isinstance(n.op, ast.Not):
                return Unary("not", self.build(n.operand, d), col)
            raise ExpressionError("bitwise operators are not part of the language", col)
        if isinstance(n, ast.BinOp):
            op = BINOPS.get(type(n.op))
            if op is None:
                raise ExpressionError(f"operator {type(n.op).__name__} is not part of the language", col)
            left = self.build(n.left, d)
            if op == "**":
                exp = n.right
                sign = 1
                if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub | ast.UAdd):
                    sign = -1 if isinstance(exp.op, ast.USub) else 1
                    exp = exp.operand
                if not (isinstance(exp, ast.Constant) and type(exp.value) in (int, float)):
                    raise ExpressionError("the exponent of ** must be a constant (use exp() and log())", col)
                assert isinstance(exp.value, int | float)
                value = sign * exp.value
                if not math.isfinite(value) or value != int(value) or abs(value) > MAX_EXPONENT:
                    raise ExpressionError(
                        f"the exponent of ** must be a whole number from -{MAX_EXPONENT} to {MAX_EXPONENT}", col
                    )
                return Bin("**", left, Const(float(value), col), col)
            return Bin(op, left, self.build(n.right, d), col)
        if isinstance(n, ast.BoolOp):
            op = "and" if isinstance(n.op, ast.And) else "or"
            return BoolOp(op, tuple(self.build(v, d) for v in n.values), col)
        if isinstance(n, ast.Compare):
            ops = []
            for o in n.ops:
                s = CMPOPS.get(type(o))
                if s is None:
                    raise ExpressionError(f"comparison {type(o).__name__} is not part of the language", col)
                ops.append(s)
            return Compare(self.build(n.left, d), tuple(ops), tuple(self.build(c, d) for c in n.comparators), col)
        if isinstance(n, ast.IfExp):
            return IfExp(self.build(n.test, d), self.build(n.body, d), self.build(n.orelse, d), col)
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                raise ExpressionError("only the built-in functions can be called", col)
            fname = n.func.id
            f = FUNCTIONS.get(fname)
            if f is None:
                raise ExpressionError(f"unknown function {fname!r}", col, _did_you_mean(fname, FUNCTIONS))
            if n.keywords:
                raise ExpressionError(f"{fname}() takes no keyword arguments", col)
            if any(isinstance(a, ast.Starred) for a in n.args):
                raise ExpressionError(f"{fname}() takes no * arguments", col)
            k = len(n.args)
            if k < f.min_args or (f.max_args is not None and k > f.max_args):
                want = str(f.min_args) if f.min_args == f.max_args else f"{f.min_args} or more"
                raise ExpressionError(f"{fname}() takes {want} argument(s), got {k}", col)
            args = tuple(self.build(a, d) for a in n.args)
            site = 0
            if f.random:
                site = self.draws
                self.draws += 1
            return Call(fname, args, site, col)
        kind = type(n).__name__
        friendly = {
            "Lambda": "lambdas",
            "ListComp": "comprehensions",
            "GeneratorExp": "comprehensions",
            "SetComp": "comprehensions",
            "DictComp": "comprehensions",
            "Subscript": "subscripts",
            "JoinedStr": "f-strings",
            "NamedExpr": "assignments",
            "List": "lists",
            "Tuple": "tuples",
            "Dict": "dicts",
            "Set": "sets",
            "Await": "await",
            "Yield": "yield",
            "Starred": "* unpacking",
        }.get(kind, kind)
        raise ExpressionError(f"{friendly} are not part of the expression language", col)

    def _check_name(self, ident: str, col: int) -> str:
        if ident.startswith("_"):
            raise ExpressionError(f"names cannot start with an underscore: {ident!r}", col)
        return ident

    def _dotted(self, n: ast.AST) -> str:
        parts: list[str] = []
        while isinstance(n, ast.Attribute):
            parts.append(self._check_name(n.attr, n.col_offset))
            n = n.value
        if not isinstance(n, ast.Name):
            raise ExpressionError("attribute access is only allowed on names (like kyiv.manpower)", getattr(n, "col_offset", 0))
        parts.append(self._check_name(n.id, n.col_offset))
        return ".".join(reversed(parts))


# --- names and types ------------------------------------------------------------------------------


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else ""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint for ``word`` among ``candidates``, or an empty string."""
    return _did_you_mean(word, candidates)


def walk(node: Node) -> Iterable[Node]:
    """Every node of a tree, parents before children."""
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Bin):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, BoolOp):
        for v in node.values:
            yield from walk(v)
    elif isinstance(node, Compare):
        yield from walk(node.left)
        for r in node.rights:
            yield from walk(r)
    elif isinstance(node, IfExp):
        yield from walk(node.test)
        yield from walk(node.body)
        yield from walk(node.orelse)
    elif isinstance(node, Call):
        for a in node.args:
            yield from walk(a)


def names(node: Node) -> list[str]:
    """The names an expression reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for n in walk(node):
        if isinstance(n, Name):
            seen.setdefault(n.name)
    return list(seen)


def infer(node: Node, type_of: Callable[[Name], Type]) -> Type:
    """Check types bottom-up and return the expression's type.

    Args:
        node: the parsed tree.
        type_of: the type of a name (raises ExpressionError for unknown names).
    """

    def expect(n: Node, want: Type, what: str) -> None:
        got = infer(n, type_of)
        if got != want:
            word = "a number" if want == NUM else "true or false"
            raise ExpressionError(f"{what} needs {word}, got {'a number' if got == NUM else 'true/false'}", n.col)

    if isinstance(node, Const):
        return BOOL if isinstance(node.value, bool) else NUM
    if isinstance(node, Name):
        return type_of(node)
    if isinstance(node, Unary):
        if node.op == "not":
            expect(node.operand, BOOL, "'not'")
            return BOOL
        expect(node.operand, NUM, f"unary {node.op!r}")
        return NUM
    if isinstance(node, Bin):
        expect(node.left, NUM, f"{node.op!r}")
        expect(node.right, NUM, f"{node.op!r}")
        return NUM
    if isinstance(node, BoolOp):
        for v in node.values:
            expect(v, BOOL, f"'{node.op}'")
        return BOOL
    if isinstance(node, Compare):
        operands = (node.left, *node.rights)
        types = [infer(o, type_of) for o in operands]
        for op, a, b in zip(node.ops, types, types[1:], strict=False):
            if op in ("==", "!="):
                if a != b:
                    raise ExpressionError(f"{op!r} compares a number with true/false", node.col)
            elif a != NUM or b != NUM:
                raise ExpressionError(f"{op!r} needs numbers on both sides", node.col)
        return BOOL
    if isinstance(node, IfExp):
        expect(node.test, BOOL, "the condition of 'if'")
        a = infer(node.body, type_of)
        b = infer(node.orelse, type_of)
        if a != b:
            raise ExpressionError("both branches of 'a if c else b' must have the same type", node.col)
        return a
    if isinstance(node, Call):
        f = FUNCTIONS[node.func]
        for arg in node.args:
            expect(arg, f.arg_type, f"{node.func}()")
        return f.result
    raise ExpressionError(f"unknown node {node!r}")


def check_names(node: Node, known: Mapping[str, Type], extra_hint: Callable[[str], str] | None = None) -> Type:
    """Resolve every name against ``known`` and return the expression's type."""

    def type_of(n: Name) -> Type:
        t = known.get(n.name)
        if t is None:
            hint = extra_hint(n.name) if extra_hint else ""
            raise ExpressionError(f"unknown name {n.name!r}", n.col, hint or _did_you_mean(n.name, known))
        return t

    return infer(node, type_of)
