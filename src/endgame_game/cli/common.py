"""Arguments several commands share."""

from __future__ import annotations

import argparse
from typing import Any

from endgame_game.rules import parse_assignments


def add_ruleset_args(p: argparse.ArgumentParser, optional: bool = False) -> None:
    if optional:
        p.add_argument("ruleset", nargs="?", default="endgame-2024", help="ruleset id or file (default: endgame-2024)")
    else:
        p.add_argument("ruleset", help="ruleset id (e.g. endgame-2024) or TOML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set params.ua_recruits=30 (repeatable)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return parse_assignments(getattr(args, "overrides", []) or [])


def outcome_lines(model: Any, results: dict[str, Any], game: int = 0) -> list[str]:
    """The end-of-game lines the headless commands print: scores, then each role's outcome by the
    scenario's stakes (``[scores.<role>]`` win/lose), where the ruleset declares them."""
    from endgame_game.report.text import fmt_num

    lines = ["Scores: " + ", ".join(f"{k[6:]} {fmt_num(float(v[game]))}" for k, v in results.items()
                                    if k.startswith("score."))]
    outcomes = outcomes_of(results, game)
    if outcomes:
        names = {a: model.ruleset.actors[a].name for a in model.ruleset.actors}
        lines.append("Outcomes: " + ", ".join(f"{names.get(role, role)} {o}" for role, o in outcomes.items()))
    return lines


def outcomes_of(results: dict[str, Any], game: int = 0) -> dict[str, str]:
    """``{role: "win" | "draw" | "loss"}`` from ``Game.results()`` (empty while the game runs)."""
    return {k[8:]: str(v[game]) for k, v in results.items() if k.startswith("outcome.") and str(v[game])}
