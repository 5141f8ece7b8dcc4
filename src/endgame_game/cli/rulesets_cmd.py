"""``endgame rulesets``: the rulesets found, built in and in ./rulesets."""

from __future__ import annotations

import argparse

from endgame_game.rules import list_rulesets


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    return sub.add_parser("rulesets", help="list the rulesets found (built in and in ./rulesets)")


def run(args: argparse.Namespace) -> int:
    found = list_rulesets()
    if not found:
        print("no rulesets found")
        return 0
    w = max(len(r.id) for r in found)
    for r in found:
        where = "built in" if r.builtin else str(r.path)
        ext = f" (extends {r.extends})" if r.extends else ""
        print(f"{r.id:<{w}}  {r.version:<8} {r.title}{ext}  [{where}]")
    return 0
