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
