"""Strict cattrs structuring of raw ruleset data into the schema, with repair-and-continue so one run
reports every problem of a file."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import typing
from typing import TYPE_CHECKING, Any

import attrs

from endgame_game.errors import Issue, RulesetError
from endgame_game.rules import schema
from endgame_game.rules.convert import describe_value, errors, strict_converter  # noqa: F401 - describe_value re-exported
from endgame_game.rules.lines import locate, split_path

if TYPE_CHECKING:
    from endgame_game.rules.loader import RawRuleset


_CONVERTER = strict_converter()


def _normalise_exprs(data: dict[str, Any]) -> None:
    """Numbers and booleans where an expression is expected become expression text (in place)."""

    def fix(table: Any, *keys: str) -> None:
        if isinstance(table, dict):
            for k in keys:
                if k in table and not isinstance(table[k], dict | list):
                    table[k] = _expr_text(table[k])

    def fix_values(table: Any, key: str) -> None:
        if isinstance(table, dict) and isinstance(table.get(key), dict):
            table[key] = {k: _expr_text(v) for k, v in table[key].items()}

    def items(key: str) -> list[Any]:
        v = data.get(key)
        return v if isinstance(v, list) else []

    def values(key: str) -> list[Any]:
        v = data.get(key)
        return list(v.values()) if isinstance(v, dict) else []

    def fix_effects(table: Any, *keys: str) -> None:
        for k in keys:
            effects = table.get(k) if isinstance(table, dict) else None
            for e in effects if isinstance(effects, list) else []:
                fix(e, "add", "set", "when")

    for r in values("resources"):
        fix_values(r, "initial")
    for t in values("tracks"):
        fix(t, "initial")
    for d in values("derived"):
        fix(d, "value")
    for sc in values("scores"):
        fix(sc, "value", "win", "lose", "outlook")
    for m in items("moves"):
        fix(m, "requires", "accept_requires")
        fix_values(m, "cost")
        fix_effects(m, "effects", "on_accept", "on_reject", "on_lapse")
        for t in m.get("terms", []) if isinstance(m, dict) and isinstance(m.get("terms"), list) else []:
            fix_values(t, "appeal")
            fix(t, "default")
            for o in t.get("options", []) if isinstance(t, dict) and isinstance(t.get("options"), list) else []:
                fix(o, "requires", "accept_requires")
                fix_values(o, "appeal")
                fix_effects(o, "effects")
    for f in items("flows"):
        fix(f, "add", "set", "when")
    for t in items("thresholds"):
        fix(t, "when")
        fix_effects(t, "effects")
    for e in items("events"):
        fix(e, "when", "chance")
        fix_effects(e, "effects")
    for e in items("endings"):
        fix(e, "when")
    for per_actor in values("doctrines"):
        for doc in per_actor.values() if isinstance(per_actor, dict) else []:
            for rule in doc.get("rules", []) if isinstance(doc, dict) and isinstance(doc.get("rules"), list) else []:
                fix(rule, "when")


def _expr_text(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    return v


def _normalise_flags(data: dict[str, Any]) -> None:
    flags = data.get("flags")
    if isinstance(flags, dict):
        for k, v in list(flags.items()):
            if isinstance(v, bool):
                flags[k] = {"initial": v}


@attrs.frozen
class Structured:
    """A structured ruleset, the issues found on the way, and the key paths that had to be repaired
    (replaced by a placeholder) so that the rest of the file could still be checked."""

    ruleset: schema.Ruleset
    issues: tuple[Issue, ...]
    repaired: tuple[str, ...]


MAX_REPAIRS = 8


def structure(raw: RawRuleset) -> Structured:
    """Structure raw data into a ``Ruleset``; every type and key problem is one Issue.

    A wrong or missing key is reported, then replaced by a placeholder (or dropped, when it has a
    default) and structuring is tried again, so one run reports the problems of the whole file.

    Raises:
        RulesetError: when the data cannot be repaired enough to check the rest.
    """
    data = copy.deepcopy(raw.data)
    _normalise_flags(data)
    _normalise_exprs(data)
    issues: list[Issue] = list(raw.issues)
    seen = set(issues)
    repaired: list[str] = []
    for _ in range(MAX_REPAIRS):
        try:
            rs = _CONVERTER.structure(data, schema.Ruleset)
            return Structured(rs, tuple(issues), tuple(repaired))
        except Exception as e:  # noqa: BLE001 - turned into issues
            found = _issues_from(e, raw)
            if not found:
                issues.append(Issue("", f"could not read the ruleset: {e}", file=raw.file))
                raise RulesetError(issues) from None
            progress = False
            for issue in found:
                if issue not in seen:
                    seen.add(issue)
                    issues.append(issue)
                if _repair(data, issue.path):
                    repaired.append(issue.path)
                    progress = True
            if not progress:
                raise RulesetError(issues) from None
    raise RulesetError(issues)


def _repair(data: dict[str, Any], path: str) -> bool:
    """Drop or replace the value at ``path`` so structuring can go on. True if something changed."""
    segs = split_path(path)
    if not segs:
        return False
    typ: Any = schema.Ruleset
    node: Any = data
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        field_type, has_default = _child_type(typ, seg)
        if field_type is None:
            # Not a schema key: an unknown key. Drop it.
            if last and isinstance(node, dict) and seg in node:
                del node[seg]
                return True
            return False
        if last:
            if isinstance(node, dict):
                if has_default and seg in node:
                    del node[seg]
                    return True
                node[seg] = _placeholder(field_type)
                return True
            if isinstance(node, list) and isinstance(seg, int) and seg < len(node):
                node[seg] = _placeholder(field_type)
                return True
            return False
        try:
            child = node[seg]
        except (KeyError, IndexError, TypeError):
            return False
        if not isinstance(child, dict | list):
            node[seg] = _placeholder(field_type)
            return True
        node, typ = child, field_type
    return False


def _child_type(typ: Any, seg: str | int) -> tuple[Any, bool]:
    """The declared type of ``typ[seg]`` and whether it has a default."""
    origin = typing.get_origin(typ)
    if attrs.has(typ) and isinstance(seg, str):
        for f in attrs.fields(typ):
            if f.name == seg:
                return _resolve(typ, f), f.default is not attrs.NOTHING
        return None, False
    if origin is tuple and isinstance(seg, int):
        return typing.get_args(typ)[0], False
    if origin is dict and isinstance(seg, str):
        return typing.get_args(typ)[1], False
    return None, False


def _resolve(cls: Any, f: Any) -> Any:
    return _hints(cls).get(f.name, f.type)


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _placeholder(typ: Any) -> Any:
    args = typing.get_args(typ)
    if typing.get_origin(typ) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        non_none = [a for a in args if a is not type(None)]
        return _placeholder(non_none[0]) if non_none else None
    if typ is str:
        return "?"
    if typ is int:
        return 1
    if typ is float:
        return 0.0
    if typ is bool:
        return False
    if typ is dt.date:
        return dt.date(2000, 1, 1)
    if typing.get_origin(typ) is tuple:
        return []
    if typing.get_origin(typ) is dict:
        return {}
    if attrs.has(typ):
        out = {}
        for f in attrs.fields(typ):
            if f.default is attrs.NOTHING:
                out[f.name] = _placeholder(_resolve(typ, f))
        return out
    return None


def _issues_from(exc: BaseException, raw: RawRuleset) -> list[Issue]:
    issues = []
    for path, msg in errors(exc):
        if msg.startswith("required key"):
            m = re.match(r"required key '([^']*)'", msg)
            key = m.group(1) if m else ""
            full = path if not key or path == key or path.endswith("." + key) else (f"{path}.{key}" if path else key)
            path = full.rpartition(".")[0] if key and full.endswith(key) else path
            file, lineno = locate(raw.files, path)
            issues.append(Issue(full, msg, file=file, line=lineno))
            continue
        for part in msg.split("; "):
            m = re.match(r"unknown key '([^']*)'(?: \((.*)\))?", part)
            if m:
                full = f"{path}.{m.group(1)}" if path else m.group(1)
                file, lineno = locate(raw.files, full)
                issues.append(Issue(full, "unknown key", file=file, line=lineno, hint=m.group(2) or ""))
            else:
                file, lineno = locate(raw.files, path)
                issues.append(Issue(path, part, file=file, line=lineno))
    return issues


