"""``endgame coverage RULESET --games N``: what never happens in N AI games, and how often each ending does."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from endgame_game.cli.batch_cmd import add_agent_args
from endgame_game.cli.common import add_ruleset_args, overrides
from endgame_game.errors import EndgameError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "coverage", help="play many AI games and report moves never legal, events never fired, endings never reached",
        description="Play N seeded AI games (mixed doctrines per role, plus some random play) and report moves never "
                    "legal or taken, events never fired, thresholds never crossed, endings never reached, and each "
                    "ending's frequency with a 95% interval: the tool a scenario designer balances with.")
    add_ruleset_args(p)
    p.add_argument("--games", type=int, default=500, help="number of games (default 500)")
    p.add_argument("--seed", type=int, default=0)
    add_agent_args(p, default="mixed", default_text="mixed: each game draws one of the role's doctrines, "
                                                    "with some random play")
    p.add_argument("--detail", action="store_true", help="also list in how many games each move, event and threshold happened")
    p.add_argument("--max-share", type=float, default=None, metavar="P",
                   help="exit 1 if any ending is more frequent than P (0-1), or a move is never legal, or an ending never reached")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    return p


def agent_specs(model: object, ai: list[str], default: str) -> dict[str, str]:
    """Role → spec from ``--ai`` and ``--agents`` (``mixed``, the default, is coverage's own mix)."""
    from endgame_game.ai.loading import parse_agent_specs

    specs: dict[str, str] = {}
    if "=" in default:  # the old form, --agents ROLE=AGENT,...: the same as --ai
        print("note: --agents ROLE=AGENT is now --ai ROLE=AGENT (--agents names the agent of the other roles)",
              file=sys.stderr)
        ai = [*ai, default]
        default = "mixed"
    if default != "mixed":
        specs = {a: default for i, a in enumerate(model.actors) if model.moves_of[i]}  # type: ignore[attr-defined]
    specs.update(parse_agent_specs(ai))
    return specs


def run(args: argparse.Namespace) -> int:
    from endgame_game.batch.coverage import coverage, format_report
    from endgame_game.engine import CompiledModel

    if args.games < 1:
        raise EndgameError("--games must be 1 or more")
    model = CompiledModel.load(args.ruleset, overrides(args))
    report = coverage(model, args.games, seed=args.seed, agents=agent_specs(model, args.ai, args.agents))
    failed = args.max_share is not None and (not report.ok or report.max_share.share > args.max_share)
    if args.json:
        from endgame_game.cli import print_json

        print_json({
            "ruleset": report.ruleset, "games": report.games, "seed": report.seed, "agents": report.agents,
            "never_legal": report.never_legal, "never_taken": report.never_taken,
            "never_fired": report.never_fired, "never_crossed": report.never_crossed,
            "never_reached": report.never_reached, "ok": report.ok,
            "outcomes": [dataclasses.asdict(o) for o in report.outcomes],
            "legal": report.legal, "taken": report.taken, "events": report.events, "thresholds": report.thresholds,
            "max_share_failed": failed,
        })
    else:
        print(format_report(report, detail=args.detail))
        if failed:
            print(f"FAIL: gaps or {report.max_share.id} above {args.max_share:.0%}")
    return 1 if failed else 0
