"""``endgame tournament RULESET --agents random,doctrine:*,tuned,lookahead --games N``: the AI ladder's cross-table."""

from __future__ import annotations

import argparse
import sys

from endgame_game.cli.common import add_ruleset_args, overrides

DEFAULT_AGENTS = "random,mixed,doctrine:*,tuned,rollout"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "tournament", help="rate AI agents against each other for every role, on paired seeded games",
        description="Play every agent for every role on the same seeded games (the other roles on --opponents) "
                    "and print the cross-table: the share of paired games in which one agent's role scores higher "
                    "than another's (ties half), with 95% Wilson intervals, and a Bradley-Terry rating on the Elo "
                    "scale (the first agent at 0). doctrine:* stands for each of the role's doctrines.")
    add_ruleset_args(p)
    p.add_argument("--agents", default=DEFAULT_AGENTS, metavar="A,B,...",
                   help=f"the tiers, weakest first (default {DEFAULT_AGENTS})")
    p.add_argument("--games", type=int, default=2000, help="paired games per agent and role (default 2000)")
    p.add_argument("--games-of", action="append", default=[], metavar="AGENT=N",
                   help="fewer games for a slow agent, e.g. lookahead=500 (its pairs use the games both played)")
    p.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    p.add_argument("--roles", default=None, metavar="R,S,...", help="the roles to rate (default: every scored role)")
    p.add_argument("--opponents", default="mixed", help="the agent of the other roles (default mixed)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    p.add_argument("--csv", metavar="FILE", help="also write every pair as CSV")
    p.add_argument("--record", action="store_true",
                   help="write the ladder's steps beside the ruleset (tuned/RULESET.ladder.toml): the app's "
                        "difficulty levels quote them")
    p.add_argument("--quiet", action="store_true", help="no progress line per agent")
    return p


def run(args: argparse.Namespace) -> int:
    from endgame_game.batch.tournament import tournament
    from endgame_game.errors import EndgameError

    tiers = [a.strip() for a in args.agents.split(",") if a.strip()]
    games_of: dict[str, int] = {}
    for item in args.games_of:
        spec, sep, n = item.rpartition("=")
        if not sep or not n.isdigit():
            raise EndgameError(f"bad --games-of {item!r}: expected AGENT=N, e.g. lookahead=500")
        games_of[spec] = int(n)
    if not 0 <= args.seed < 2**63:
        raise EndgameError("the seed must be between 0 and 2**63 - 1")
    roles = [r.strip() for r in args.roles.split(",") if r.strip()] if args.roles else None

    def progress(e: object) -> None:
        if not args.quiet:
            print(f"  {e.role} {e.agent}: {e.scores.size:,} games, mean score {e.mean:.1f}, {e.seconds:.1f} s",  # type: ignore[attr-defined]
                  file=sys.stderr, flush=True)

    res = tournament(args.ruleset, tiers, args.games, args.seed, roles=roles, opponents=args.opponents,
                     games_of=games_of, overrides=overrides(args), workers=args.workers, on_entry=progress)
    print(res.format())
    if args.csv:
        print(f"wrote {res.write_csv(args.csv)}")
    if args.record:
        from endgame_game.ai.ladder import ladder_path
        from endgame_game.batch.tournament import record
        from endgame_game.engine.model import CompiledModel

        print(f"wrote {record(res, ladder_path(CompiledModel.load(args.ruleset)))}")
    return 0
