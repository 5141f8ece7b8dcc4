"""``endgame coverage RULESET --games N``: what never happens in N AI games, and how often each ending does."""

from __future__ import annotations

import argparse

from endgame_game.cli.common import add_ruleset_args, overrides


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "coverage", help="play many AI games and report moves never legal, events never fired, endings never reached",
        description="Play N seeded AI games (mixed doctrines per role, plus some random play) and report moves never "
                    "legal or taken, events never fired, thresholds never crossed, endings never reached, and each "
                    "ending's frequency with a 95%% interval: the tool a scenario designer balances with.")
    add_ruleset_args(p)
    p.add_argument("--games", type=int, default=500, help="number of games (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--agents", default=None, metavar="SPEC",
                   help="default: mixed doctrines; 'random' for all roles; or ROLE=AGENT,... (other roles stay mixed)")
    p.add_argument("--detail", action="store_true", help="also list in how many games each move, event and threshold happened")
    p.add_argument("--max-share", type=float, default=None, metavar="P",
                   help="exit 1 if any ending is more frequent than P (0-1), or a move is never legal, or an ending never reached")
    return p


def run(args: argparse.Namespace) -> int:
    from endgame_game.batch.coverage import coverage, format_report

    if args.games < 1:
        print("endgame coverage: --games must be 1 or more")
        return 2
    report = coverage(args.ruleset, args.games, seed=args.seed, agents=args.agents, overrides=overrides(args))
    print(format_report(report, detail=args.detail))
    if args.max_share is not None:
        top = report.max_share
        if not report.ok or top.share > args.max_share:
            print(f"FAIL: gaps or {top.id} above {args.max_share:.0%}")
            return 1
    return 0
