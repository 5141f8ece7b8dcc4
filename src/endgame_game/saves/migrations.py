"""Format migrations: one pure function per version step, ``MIGRATIONS[v]`` turns format v into v+1.

Each step takes and returns plain TOML data and never compiles or runs anything. A save of format v
loads through ``MIGRATIONS[v]``, ``MIGRATIONS[v+1]``, … up to ``FORMAT_VERSION``; each step has a golden
file in ``tests/data``.

Format history:

1. The development format (engine 0.1.0.dev): top-level ``version`` and ``sha256``; ``agents`` as a list
   of ``"role=spec"`` strings; ``[[ruleset_files]]`` with the full ``path``; ``state.games`` as hex text
   (``"0x1f"``); no ``[meta]`` and no ``[current]`` (it could only save between turns); a header without
   title, batch, done and ending.
2. The first release: ``format_version``/``body_sha256``; ``[agents]`` and ``[meta]`` tables; file
   basenames only (no user folders in a shared save); decimal text for integers beyond int64; the turn
   in progress in ``[current]`` (umpire actions and orders submitted before saving).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from endgame_game.rules.convert import describe_value as describe
from endgame_game.saves.format import FORMAT_VERSION, SaveDataError, check_hash

# The key holding the body hash in each format version.
HASH_KEY = {1: "sha256", 2: "body_sha256", 3: "body_sha256"}


def _basename(p: str) -> str:
    name = PureWindowsPath(p).name if "\\" in p else PurePosixPath(p).name
    return name or PurePath(p).name or p


def v1_to_v2(doc: dict[str, Any], path: Any = None) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    d.pop("sha256", None)
    d.pop("version", None)

    def fail(key: str, problem: str) -> SaveDataError:
        return SaveDataError(path, key, problem + " (format 1)")

    agents: dict[str, str] = {}
    raw_agents = d.pop("agents", [])
    if not isinstance(raw_agents, list):
        raise fail("agents", f"expected a list of \"role=spec\", got {describe(raw_agents)}")
    for i, item in enumerate(raw_agents):
        role, sep, spec = item.partition("=") if isinstance(item, str) else ("", "", "")
        if not sep or not role:
            raise fail(f"agents[{i}]", f"expected \"role=spec\", got {describe(item)}")
        agents[role] = spec
    files = d.get("ruleset_files")
    if not isinstance(files, list):
        raise fail("ruleset_files", f"expected a list of tables, got {describe(files)}")
    new_files = []
    for i, f in enumerate(files):
        if not isinstance(f, dict) or not isinstance(f.get("path"), str) or not isinstance(f.get("text"), str):
            raise fail(f"ruleset_files[{i}]", "expected a table with path and text")
        new_files.append({"name": _basename(f["path"]), "text": f["text"]})
    header = d.get("header")
    state = d.get("state")
    turns = d.get("turns")
    if not isinstance(header, dict):
        raise fail("header", "required table is missing")
    if not isinstance(state, dict):
        raise fail("state", "required table is missing")
    if not isinstance(turns, list):
        raise fail("turns", "required list is missing")
    games = state.get("games")
    if not isinstance(games, list):
        raise fail("state.games", "expected a list of hex numbers")
    dec = []
    for i, g in enumerate(games):
        try:
            n = int(g, 16) if isinstance(g, str) else None
        except ValueError:
            n = None
        if n is None:
            raise fail(f"state.games[{i}]", f"expected a hex number like \"0x1f\", got {describe(g)}")
        dec.append(n if n < 1 << 63 else str(n))
    state["games"] = dec
    # Header fields format 1 did not have: read the title from the embedded ruleset (data only).
    title = ""
    try:
        meta = tomllib.loads(new_files[0]["text"]).get("ruleset", {}) if new_files else {}
        title = str(meta.get("title", "")) if isinstance(meta, dict) else ""
        version = str(meta.get("version", "0.1.0")) if isinstance(meta, dict) else "0.1.0"
    except tomllib.TOMLDecodeError:
        version = "0.1.0"
    ending = state.get("ending")
    done = isinstance(ending, list) and bool(ending) and all(isinstance(e, int) and e >= 0 for e in ending)
    header.update({"ruleset_title": title, "ruleset_version": version, "batch": len(games), "done": done,
                   "ending": ""})
    return {
        "format": d.get("format"),
        "format_version": 2,
        "header": header,
        "game": d.get("game"),
        "agents": agents,
        "meta": {},
        "ruleset_files": new_files,
        "turns": turns,
        "current": {"turn": len(turns) + 1, "orders": {}, "umpire": []},
        "state": state,
    }


def v2_to_v3(doc: dict[str, Any], path: Any = None) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    d.pop("body_sha256", None)

    def fail(key: str, problem: str) -> SaveDataError:
        return SaveDataError(path, key, problem + " (format 2)")

    def table(name: str, within: dict[str, Any] = d, key: str = "") -> dict[str, Any]:
        t = within.get(name)
        if not isinstance(t, dict):
            raise fail(key + name, f"expected a table, got {describe(t)}" if name in within else "required table is missing")
        return t

    game, state, current = table("game"), table("state"), table("current")
    turns, files = d.get("turns"), d.get("ruleset_files")
    if not isinstance(turns, list):
        raise fail("turns", f"expected a list of tables, got {describe(turns)}")
    if not isinstance(files, list):
        raise fail("ruleset_files", f"expected a list of tables, got {describe(files)}")
    for name in ("games", "params"):
        if not isinstance(state.get(name), list):
            raise fail(f"state.{name}", f"expected a list, got {describe(state.get(name))}")

    def umpire(acts: Any, key: str) -> Any:
        if not isinstance(acts, list):
            return acts  # the record's check names it
        out = []
        for i, act in enumerate(acts):
            if not isinstance(act, dict):
                out.append(act)
                continue
            a = dict(act)
            kind = a.get("action")
            if kind == "inject":
                a["event"] = a.pop("target", "")
                a.pop("value", None)
            elif kind in ("note", "pause", "rewind"):
                target = a.pop("target", "")
                a.pop("value", None)
                if target:  # never written by format 2's own code; kept in the reason, not lost
                    a["reason"] = f"{target}: {a.get('reason', '')}"
            elif kind != "adjust":
                raise fail(f"{key}[{i}].action", f"unknown umpire action {describe(kind)}")
            out.append(a)
        return out

    def turn(t: Any, key: str) -> Any:
        if not isinstance(t, dict):
            return t
        t = dict(t)
        t.setdefault("orders", {})
        t["umpire"] = umpire(t.get("umpire", []), f"{key}.umpire")
        return t

    record = {
        "ruleset": game.get("ruleset_ref"),
        "files": files,
        "overrides": game.get("overrides", {}),
        "seed": game.get("seed"),
        "games": state["games"],
        "params": state["params"],
        "turns": [turn(t, f"turns[{i}]") for i, t in enumerate(turns)],
        "current": turn(current, "current"),
        "branches": [],
    }
    extra = sorted(set(game) - {"ruleset_ref", "seed", "overrides"})
    if extra:
        raise fail(f"game.{extra[0]}", "unknown key")
    return {"format": d.get("format"), "format_version": 3, "header": d.get("header"), "agents": d.get("agents", {}),
            "meta": d.get("meta", {}), "record": record, "state": state}


MIGRATIONS: dict[int, Callable[[dict[str, Any], Any], dict[str, Any]]] = {1: v1_to_v2, 2: v2_to_v3}


def migrate(doc: dict[str, Any], version: int, path: Any = None) -> dict[str, Any]:
    """Check the hash of a format-``version`` document, then upgrade it step by step to the current format."""
    check_hash(doc, path, HASH_KEY[version])
    while version < FORMAT_VERSION:
        doc = MIGRATIONS[version](doc, path)
        version += 1
    return doc
