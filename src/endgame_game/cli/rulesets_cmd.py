"""``endgame rulesets``: the rulesets found, built in and in ./rulesets."""

from __future__ import annotations

import argparse

from endgame_game.rules import list_rulesets


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("rulesets", help="list the rulesets found (built in and in ./rulesets)",
                       description="List the rulesets found: built in, and in ./rulesets (which shadows a "
                                   "built-in ruleset of the same id).")
    p.add_argument("--json", action="store_true", help="print the list as JSON on stdout")
    return p


def run(args: argparse.Namespace) -> int:
    found = list_rulesets()
    if getattr(args, "json", False):
        from endgame_game.cli import print_json

        print_json([{"id": r.id, "title": r.title, "version": r.version, "path": str(r.path), "builtin": r.builtin,
                     "extends": r.extends, "description": r.description} for r in found])
        return 0
    if not found:
        print("no rulesets found")
        return 0
    w = max(len(r.id) for r in found)
    for r in found:
        where = "built in" if r.builtin else str(r.path)
        ext = f" (extends {r.extends})" if r.extends else ""
        print(f"{r.id:<{w}}  {r.version:<8} {r.title}{ext}  [{where}]")
    return 0
