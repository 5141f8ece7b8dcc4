"""The strict cattrs converter shared by rulesets (``rules.structure``) and saves (``saves.format``).

Strict means TOML data is taken as it is, never coerced: text stays text (``"5"`` is not a number),
``true`` is not 1, a table is not a list, and an unknown key is an error. Lists structure into tuples,
tables into dicts, and ``errors(exc)`` turns cattrs' grouped exceptions into (key path, problem) pairs,
``turns[2].umpire[0].value`` style, with a "did you mean" for unknown keys.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import typing
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError, IterableValidationError, IterableValidationNote

from endgame_game.rules.expr import did_you_mean


def describe_value(v: Any) -> str:
    """How a TOML value reads in an error message: "the text 'x'", "a list", "true/false"."""
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v!r}" if len(v) < 40 else "text"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, dt.date):
        return "a date"
    return type(v).__name__


def strict_converter() -> cattrs.Converter:
    """A fresh strict converter (callers may register hooks for their own types on it)."""
    c = cattrs.Converter(forbid_extra_keys=True)

    def s_str(v: Any, _: Any) -> str:
        if type(v) is not str:
            raise TypeError(f"expected text, got {describe_value(v)}")
        return v

    def s_int(v: Any, _: Any) -> int:
        if type(v) is not int:
            raise TypeError(f"expected a whole number, got {describe_value(v)}")
        return v

    def s_float(v: Any, _: Any) -> float:
        if type(v) not in (int, float):
            raise TypeError(f"expected a number, got {describe_value(v)}")
        if not math.isfinite(v):
            raise TypeError(f"expected a finite number, got {v!r}")
        return float(v)

    def s_bool(v: Any, _: Any) -> bool:
        if type(v) is not bool:
            raise TypeError(f"expected true or false, got {describe_value(v)}")
        return v

    def s_date(v: Any, _: Any) -> dt.date:
        if type(v) is not dt.date:
            raise TypeError(f"expected a date like 2024-12-01, got {describe_value(v)}")
        return v

    c.register_structure_hook(str, s_str)
    c.register_structure_hook(int, s_int)
    c.register_structure_hook(float, s_float)
    c.register_structure_hook(bool, s_bool)
    c.register_structure_hook(dt.date, s_date)

    def is_tuple(t: Any) -> bool:
        return typing.get_origin(t) is tuple

    def tuple_hook_factory(t: Any) -> Any:
        (inner, _ellipsis) = typing.get_args(t)

        def hook(v: Any, _: Any) -> tuple[Any, ...]:
            if not isinstance(v, list):
                raise TypeError(f"expected a list, got {describe_value(v)}")
            out, errors = [], []
            for i, x in enumerate(v):
                try:
                    out.append(c.structure(x, inner))
                except Exception as e:  # noqa: BLE001 - regrouped with its index below
                    e.__notes__ = [*getattr(e, "__notes__", []), IterableValidationNote(f"@ index {i}", i, inner)]
                    errors.append(e)
            if errors:
                raise IterableValidationError("while structuring a list", errors, tuple)
            return tuple(out)

        return hook

    c.register_structure_hook_factory(is_tuple, tuple_hook_factory)
    # TOML has no tuples: they unstructure as lists.
    c.register_unstructure_hook_factory(is_tuple, lambda t: lambda v: [c.unstructure(x) for x in v])

    def is_dict(t: Any) -> bool:
        return typing.get_origin(t) is dict

    def dict_hook_factory(t: Any) -> Any:
        _k, inner = typing.get_args(t)

        def hook(v: Any, _: Any) -> dict[str, Any]:
            if not isinstance(v, dict):
                raise TypeError(f"expected a table, got {describe_value(v)}")
            out = {}
            errors: list[Exception] = []
            for k, x in v.items():
                try:
                    out[k] = c.structure(x, inner)
                except Exception as e:  # noqa: BLE001 - regrouped with its key below
                    e.__notes__ = [*getattr(e, "__notes__", []), IterableValidationNote(f"@ key {k!r}", k, inner)]
                    errors.append(e)
            if errors:
                raise IterableValidationError("while structuring a table", errors, dict)
            return out

        return hook

    c.register_structure_hook_factory(is_dict, dict_hook_factory)
    return c


def format_error(e: BaseException, _type: Any) -> str:
    """One structuring problem in words (cattrs' ``format_exception``)."""
    if isinstance(e, ForbiddenExtraKeysError):
        fields = [a.name for a in attrs.fields(e.cl)] if attrs.has(e.cl) else []
        words = []
        for k in sorted(e.extra_fields):
            hint = did_you_mean(k, fields)
            words.append(f"unknown key {k!r}" + (f" ({hint})" if hint else ""))
        return "; ".join(words)
    if isinstance(e, KeyError):
        return f"required key {e.args[0]!r} is missing" if e.args else "a required key is missing"
    return str(e)


def errors(exc: BaseException) -> list[tuple[str, str]]:
    """(key path, problem) for every problem in a structuring exception, e.g.
    ``("turns[0].umpire[1].value", "expected a number, got the text 'x'")``."""
    out = []
    for line in cattrs.transform_error(exc, path="$", format_exception=format_error):
        msg, _, path = line.rpartition(" @ ")
        path = path.removeprefix("$").lstrip(".")
        out.append((re.sub(r"\['([^']*)'\]", r".\1", path), msg))
    return out


__all__ = ["describe_value", "errors", "format_error", "strict_converter"]
