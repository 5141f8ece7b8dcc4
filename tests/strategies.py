"""Hypothesis strategies shared by the tests: well-typed expressions over a few names."""

from __future__ import annotations

from hypothesis import strategies as st

NUM_NAMES = ("a.x", "a.y", "b.x", "track", "params.p")
BOOL_NAMES = ("flags.f", "flags.g")

numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))


def _num_leaf(extra: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    return st.one_of(numbers.map(lambda v: repr(abs(v)) if v >= 0 else f"({v!r})"), st.sampled_from(NUM_NAMES + extra))


def _bool_leaf(extra: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(BOOL_NAMES + extra), st.sampled_from(("true", "false")))


def expressions(depth: int = 4, extra_num: tuple[str, ...] = (), extra_bool: tuple[str, ...] = (),
                draws: bool = False) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    """(numeric expressions, boolean expressions) as source text, well-typed by construction.

    Args:
        extra_num, extra_bool: more names to read (e.g. derived formulas).
        draws: also ``uniform``, ``normal`` and ``chance``.
    """

    def extend_num(num: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        random = [st.tuples(st.sampled_from(["uniform", "normal"]), num, num).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})")] if draws else []
        return st.one_of(*random,
            st.tuples(num, st.sampled_from(["+", "-", "*", "/", "//", "%"]), num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            num.map(lambda x: f"-({x})"),
            st.tuples(num, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]}) ** {t[1]}"),
            st.tuples(st.sampled_from(["abs", "floor", "ceil", "round", "sqrt", "exp", "log"]), num).map(
                lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["min", "max"]), st.lists(num, min_size=1, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(num, num, num).map(lambda t: f"clip({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(num, _cmp(num), num).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        )

    def _cmp(num: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(num, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), num).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")

    num = st.recursive(_num_leaf(extra_num), extend_num, max_leaves=8)

    def extend_bool(b: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        random = [num.map(lambda x: f"chance({x})")] if draws else []
        return st.one_of(*random,
            st.tuples(b, st.sampled_from(["and", "or"]), b).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            b.map(lambda x: f"(not {x})"),
            _cmp(num),
            st.tuples(num, num, num).map(lambda t: f"({t[0]} < {t[1]} <= {t[2]})"),
        )

    boolean = st.recursive(_bool_leaf(extra_bool), extend_bool, max_leaves=6)
    return num, boolean
