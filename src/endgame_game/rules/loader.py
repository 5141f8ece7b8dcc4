"""TOML → raw dict → ``extends`` merge → ``--set`` overrides → strict cattrs structuring.

Every problem is collected as an ``Issue`` with the file, the key path and (where it can be found)
the line; nothing here raises anything but ``RulesetError``.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError, IterableValidationError, IterableValidationNote

from endgame_game.errors import Issue, RulesetError
from endgame_game.rules import schema
from endgame_game.rules.expr import did_you_mean

MAX_FILE_BYTES = 2_000_000
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
        raw = path.read_bytes()
    except OSError as e:
        raise RulesetError([Issue("", f"cannot read the file: {e.strerror or e}", file=str(path))]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise RulesetError([Issue("", f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", file=str(path))])
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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise RulesetError([Issue("", f"not valid TOML: {msg}", file=file, line=line)]) from None
    except (RecursionError, MemoryError) as e:
        raise RulesetError([Issue("", f"not valid TOML: {type(e).__name__}", file=file)]) from None


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
            index = {x.get("id"): i for i, x in enumerate(items) if isinstance(x, dict) and x.get("id")}
            for entry in _by_id(value, key, file):
                eid = entry.get("id") if isinstance(entry, dict) else None
                if eid and eid in index:
                    items[index[eid]] = _merge_tables(items[index[eid]], entry)
                else:
                    items.append(copy.deepcopy(entry))
            out[key] = items
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
            present = {x.get("id") for x in out.get(key, []) if isinstance(x, dict)}
            for rid in ids:
                if rid not in present:
                    issues.append(Issue(f"remove.{key}", f"the base has no {key[:-1]} {rid!r}", file=file,
                                        hint=did_you_mean(str(rid), [p for p in present if p])))
            out[key] = [x for x in out.get(key, []) if not (isinstance(x, dict) and x.get("id") in ids)]
        if issues:
            raise RulesetError(issues)
    return out


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
            num = _number(value)
            if num is None:
                issues.append(Issue(key, f"needs a number, got {value!r}"))
                continue
            params[parts[1]]["value"] = num
        elif key == "ruleset.max_turns":
            num = _number(value)
            if num is None or num != int(num) or num < 1:
                issues.append(Issue(key, f"needs a whole number of turns, got {value!r}"))
                continue
            data.setdefault("ruleset", {})["max_turns"] = int(num)
        else:
            issues.append(Issue(key, "can only set params.<id> or ruleset.max_turns"))
    if issues:
        raise RulesetError(issues)
    return RawRuleset(data, raw.files, raw.issues)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
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


# --- structuring ----------------------------------------------------------------------------------


def _strict_converter() -> cattrs.Converter:
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


_CONVERTER = _strict_converter()


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
        fix(sc, "value")
    for m in items("moves"):
        fix(m, "requires", "accept_requires")
        fix_values(m, "cost")
        fix_effects(m, "effects", "on_accept", "on_reject", "on_lapse")
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
                if issue not in issues:
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
    hints = typing.get_type_hints(cls)
    return hints.get(f.name, f.type)


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

    def fmt(e: BaseException, _type: Any) -> str:
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

    for line in cattrs.transform_error(exc, path="$", format_exception=fmt):
        msg, _, path = line.rpartition(" @ ")
        path = path.removeprefix("$").lstrip(".")
        path = re.sub(r"\['([^']*)'\]", r".\1", path)
        if msg.startswith("required key"):
            m = re.match(r"required key '([^']*)'", msg)
            key = m.group(1) if m else ""
            full = path if not key or path == key or path.endswith("." + key) else (f"{path}.{key}" if path else key)
            path = full.rpartition(".")[0] if key and full.endswith(key) else path
            file, lineno = locate(raw, path)
            issues.append(Issue(full, msg, file=file, line=lineno))
            continue
        for part in msg.split("; "):
            m = re.match(r"unknown key '([^']*)'(?: \((.*)\))?", part)
            if m:
                full = f"{path}.{m.group(1)}" if path else m.group(1)
                file, lineno = locate(raw, full)
                issues.append(Issue(full, "unknown key", file=file, line=lineno, hint=m.group(2) or ""))
            else:
                file, lineno = locate(raw, path)
                issues.append(Issue(path, part, file=file, line=lineno))
    return issues


# --- finding lines ----------------------------------------------------------------------------------


_SEG = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``moves[3].effects[0].target`` → ``["moves", 3, "effects", 0, "target"]``."""
    out: list[str | int] = []
    for name, idx in _SEG.findall(path):
        out.append(int(idx) if idx else name)
    return out


def locate(raw: RawRuleset, path: str) -> tuple[str, int | None]:
    """The file and line where a key path is written, searching the variant before its bases."""
    for file, text in raw.files:
        line = find_line(text, path)
        if line is not None:
            return file, line
    return raw.file, None


def find_line(text: str, path: str) -> int | None:
    """Best-effort line number of a key path in TOML text (None when it cannot be found)."""
    segs = split_path(path)
    if not segs:
        return None
    lines = text.splitlines()
    start, end = 0, len(lines)
    rest: list[str | int] = segs
    # Array of tables: [[moves]] number k.
    if len(segs) >= 2 and isinstance(segs[0], str) and isinstance(segs[1], int):
        header = re.compile(r"^\s*\[\[\s*" + re.escape(segs[0]) + r"\s*\]\]")
        hits = [i for i, ln in enumerate(lines) if header.match(ln)]
        if segs[1] >= len(hits):
            return None
        start = hits[segs[1]]
        nxt = [i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)]
        end = nxt[0] if nxt else len(lines)
        rest = segs[2:]
        if not rest:
            return start + 1
    else:
        # Longest table header that matches a prefix of the path.
        names: list[str] = [s for s in segs if isinstance(s, str)]
        for k in range(len(names), 0, -1):
            dotted = r"\s*\.\s*".join(re.escape(n) for n in names[:k])
            header = re.compile(r"^\s*\[\s*" + dotted + r"\s*\]")
            hits = [i for i, ln in enumerate(lines) if header.match(ln)]
            if hits:
                start = hits[0]
                nxt = [i for i, ln in enumerate(lines) if i > start and re.match(r"^\s*\[", ln)]
                end = nxt[0] if nxt else len(lines)
                rest = [*names[k:]]
                if not rest:
                    return start + 1
                break
    keys = [s for s in rest if isinstance(s, str)]
    pos = start
    found = None
    for key in keys:
        pat = re.compile(r"(^|[\s{,])\"?" + re.escape(key) + r"\"?\s*=")
        for i in range(pos, end):
            if pat.search(lines[i]):
                found = pos = i
                break
    return None if found is None else found + 1
