"""TOML → raw dict → ``extends`` merge → ``--set`` overrides. Structuring into the schema is in
``rules.structure``; finding the line of a key path in ``rules.lines``.

Every problem is collected as an ``Issue`` with the file, the key path and (where it can be found)
the line; nothing here raises anything but ``RulesetError``.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from endgame_game.errors import Issue, RulesetError
from endgame_game.files import FileRefused, read_limited
from endgame_game.rules.expr import did_you_mean
from endgame_game.rules.lines import find_line

MAX_FILE_BYTES = 2_000_000
MAX_NESTING = 32
"""Tables and arrays nested deeper than this are refused (no ruleset needs more than a few levels)."""
MAX_TURNS = 1000
MAX_REF_CHARS = 1024
"""An ``extends`` (or a ruleset named on the command line) longer than this is refused before any look-up."""
ARRAY_TABLES = ("moves", "flows", "thresholds", "events", "endings")


@attrs.frozen
class RawRuleset:
    """A ruleset's merged raw data and the text of every file it came from (child first)."""

    data: dict[str, Any]
    files: tuple[tuple[str, str], ...]  # (path, text)
    issues: tuple[Issue, ...] = ()  # problems found while reading (a bad `extends`), kept to report with the rest

    @property
    def file(self) -> str:
        return self.files[0][0] if self.files else ""


# --- reading and merging -------------------------------------------------------------------------


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused as e:
        raise RulesetError([Issue("", e.reason, file=str(path))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RulesetError([Issue("", f"file is not UTF-8 text (byte {e.start})", file=str(path))]) from None
    return parse_toml(text, str(path)), text


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error is a RulesetError with the file and line."""
    if len(text) > MAX_FILE_BYTES:
        raise RulesetError([Issue("", f"file is {len(text)} characters; the limit is {MAX_FILE_BYTES}", file=file)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise RulesetError([Issue("", f"not valid TOML: {msg}", file=file, line=line)]) from None
    except (RecursionError, MemoryError) as e:
        raise RulesetError([Issue("", f"not valid TOML: {type(e).__name__}", file=file)]) from None
    deep = _too_deep(data, MAX_NESTING)
    if deep is not None:
        raise RulesetError([Issue(deep, f"tables and arrays are nested deeper than {MAX_NESTING} levels", file=file,
                                  line=find_line(text, deep))])
    return data


def _too_deep(data: Any, limit: int) -> str | None:
    """The key path of the first value nested deeper than ``limit`` levels, or None (iterative: a deep
    document cannot exhaust the stack here)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > limit:
            return path or "<top>"
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    return None


def raw_from_texts(files: Sequence[tuple[str, str]]) -> RawRuleset:
    """A ruleset from texts in memory (child first, each file followed by the base it extends), as
    ``CompiledModel.files`` keeps them: nothing is read from disk."""
    if not files:
        raise RulesetError([Issue("", "no ruleset text given")])
    datas = []
    for i, (name, text) in enumerate(files):
        d = parse_toml(text, name)
        if i < len(files) - 1 and not isinstance(d.get("extends"), str):
            raise RulesetError([Issue("extends", "is followed by a base file but extends nothing", file=name)])
        datas.append(d)
    merged = datas[-1]
    for i in range(len(datas) - 2, -1, -1):
        merged = merge(merged, datas[i], files[i][0])
        merged["extends"] = datas[i]["extends"]
    return RawRuleset(merged, tuple((n, t) for n, t in files))


def _by_id(items: Any, key: str, file: str) -> list[Any]:
    if not isinstance(items, list):
        raise RulesetError([Issue(key, "must be an array of tables ([[" + key + "]])", file=file)])
    return items


def merge(base: dict[str, Any], child: dict[str, Any], file: str = "") -> dict[str, Any]:
    """Merge a variant over its base: tables key by key, arrays of tables by ``id``."""
    out = copy.deepcopy(base)
    removals = child.get("remove", {})
    for key, value in child.items():
        if key in ("extends", "remove"):
            continue
        if key in ARRAY_TABLES:
            items = [copy.deepcopy(x) for x in _by_id(out.get(key, []), key, file)]
            index = {x.get("id"): i for i, x in enumerate(items) if isinstance(x, dict) and _is_id(x.get("id"))}
            for entry in _by_id(value, key, file):
                eid = entry.get("id") if isinstance(entry, dict) else None
                if _is_id(eid) and eid in index:
                    items[index[eid]] = _merge_tables(items[index[eid]], entry)
                else:
                    items.append(copy.deepcopy(entry))
            out[key] = items
        elif key == "intel" and isinstance(value, dict) and isinstance(out.get(key), dict):
            # A variant's [[intel.rules]] come after its base's (later rules win), not instead of them.
            rules = out[key].get("rules")
            out[key] = _merge_tables(out[key], value)
            if isinstance(rules, list) and isinstance(value.get("rules"), list):
                out[key]["rules"] = [*copy.deepcopy(rules), *copy.deepcopy(value["rules"])]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    if isinstance(removals, dict):
        issues = []
        for key, ids in removals.items():
            if key not in ARRAY_TABLES or not isinstance(ids, list):
                issues.append(Issue(f"remove.{key}", "can only remove ids from " + ", ".join(ARRAY_TABLES), file=file))
                continue
            present = {x.get("id") for x in out.get(key, []) if isinstance(x, dict) and _is_id(x.get("id"))}
            for j, rid in enumerate(ids):
                if not _is_id(rid):
                    issues.append(Issue(f"remove.{key}[{j}]", f"expected the id of a {key[:-1]} (text), got {type(rid).__name__}",
                                        file=file))
                elif rid not in present:
                    issues.append(Issue(f"remove.{key}", f"the base has no {key[:-1]} {rid!r}", file=file,
                                        hint=did_you_mean(str(rid), [p for p in present if p])))
            drop = {rid for rid in ids if _is_id(rid)}
            out[key] = [x for x in out.get(key, []) if not (isinstance(x, dict) and _is_id(x.get("id")) and x.get("id") in drop)]
        if issues:
            raise RulesetError(issues)
    elif "remove" in child:
        raise RulesetError([Issue("remove", "must be a table like [remove] events = [\"id\"]", file=file)])
    return out


def _is_id(v: Any) -> bool:
    """An id that can key a merge: non-empty text (a list or table given as an id is reported by the checks)."""
    return isinstance(v, str) and bool(v)


def _merge_tables(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge_tables(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def resolve_path(ref: str, relative_to: Path | None = None) -> Path:
    """Find a ruleset file by path or id: the path itself, next to the referring file, ./rulesets,
    then the built-in rulesets."""
    from endgame_game.rules.registry import find_ruleset

    return find_ruleset(ref, relative_to)


def load_raw(ref: str | Path, _chain: tuple[str, ...] = ()) -> RawRuleset:
    """Read a ruleset file and everything it ``extends``, merged."""
    path = Path(ref) if isinstance(ref, Path) else resolve_path(ref)
    key = str(path.resolve())
    if key in _chain:
        cycle = " → ".join([*(Path(c).name for c in _chain), path.name])
        raise RulesetError([Issue("extends", f"cycle in extends: {cycle}", file=str(path))])
    data, text = _read_toml(path)
    base_ref = data.get("extends")
    if base_ref is None:
        return RawRuleset(data, ((str(path), text),))
    line = find_line(text, "extends")
    if not isinstance(base_ref, str) or not base_ref:
        issue = Issue("extends", "must be a ruleset id or path (a string)", file=str(path), line=line)
        return RawRuleset({k: v for k, v in data.items() if k != "extends"}, ((str(path), text),), (issue,))
    try:
        base_path = resolve_path(base_ref, path.parent)
        base = load_raw(base_path, (*_chain, key))
    except RulesetError as e:
        # Report the bad base with everything else wrong in this file: check the file on its own.
        issues = tuple(attrs.evolve(i, path=i.path or "extends", file=i.file or str(path), line=i.line or line) for i in e.issues)
        return RawRuleset({k: v for k, v in data.items() if k != "extends"}, ((str(path), text),), issues)
    merged = merge(base.data, data, str(path))
    merged["extends"] = base_ref
    return RawRuleset(merged, ((str(path), text), *base.files), base.issues)


def apply_overrides(raw: RawRuleset, overrides: Mapping[str, Any]) -> RawRuleset:
    """Apply ``--set`` overrides: ``params.<id>=<number>`` and ``ruleset.max_turns=<int>``."""
    data = copy.deepcopy(raw.data)
    issues = []
    params = data.get("params", {}) if isinstance(data.get("params"), dict) else {}
    for key, value in overrides.items():
        parts = key.split(".")
        if len(parts) == 2 and parts[0] == "params":
            if parts[1] not in params:
                issues.append(Issue(key, "no such parameter", hint=did_you_mean(parts[1], params)))
                continue
            if not isinstance(params[parts[1]], dict):
                issues.append(Issue(key, f"params.{parts[1]} is not a parameter table ([params.{parts[1]}] with a value)"))
                continue
            num = _number(value)
            if num is None or not math.isfinite(num):
                what = "a finite number" if num is not None else "a number"
                issues.append(Issue(key, f"needs {what}, got {value!r} (--set {key}={value})"))
                continue
            params[parts[1]]["value"] = num
        elif key == "ruleset.max_turns":
            num = _number(value)
            if num is None or not math.isfinite(num) or num != int(num) or not 1 <= num <= MAX_TURNS:
                issues.append(Issue(key, f"needs a whole number of turns from 1 to {MAX_TURNS}, got {value!r} "
                                         f"(--set {key}={value})"))
                continue
            if not isinstance(data.get("ruleset"), dict):
                issues.append(Issue(key, "the ruleset has no [ruleset] table to set it in"))
                continue
            data["ruleset"]["max_turns"] = int(num)
        else:
            issues.append(Issue(key, "can only set params.<id> or ruleset.max_turns"))
    if issues:
        raise RulesetError(issues)
    return RawRuleset(data, raw.files, raw.issues)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        return float(str(value))
    except (ValueError, OverflowError):
        return None


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["params.x=3", ...]`` → ``{"params.x": "3"}``; malformed items are RulesetErrors."""
    out: dict[str, str] = {}
    bad = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            bad.append(Issue(item, "expected KEY=VALUE, e.g. params.ua_recruits=30"))
            continue
        out[key.strip()] = value.strip()
    if bad:
        raise RulesetError(bad)
    return out

