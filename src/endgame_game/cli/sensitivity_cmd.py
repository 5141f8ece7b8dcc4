"""``endgame sensitivity RULESET``: a tornado table of every parameter's effect over its documented range.

Also ``--stakes``: each role's win/draw/loss shares and score by doctrine, and on paired games each
doctrine against random play and the spread best − worst doctrine.
"""

from __future__ import annotations

import argparse

from endgame_game.cli.common import add_ruleset_args, overrides


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sensitivity", help="tornado table: each parameter's effect on every ending and score over its range",
        description="Play the same N seeded games (mixed doctrines, common random numbers) with each parameter at "
                    "its documented min and at its max, one at a time, and print the effect (high - low) on every "
                    "ending's share and every role's score with 95% intervals, largest first. --stakes prints each "
                    "role's win/draw/loss shares and score by doctrine instead.")
    add_ruleset_args(p)
    p.add_argument("--games", type=int, default=400, help="games per end of each sweep (default 400)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--params", default=None, metavar="ID,...",
                   help="only these parameters (default: every parameter with a min and a max)")
    p.add_argument("--png", default=None, metavar="FILE", help="also draw the tornado chart to this PNG (matplotlib)")
    p.add_argument("--top", type=int, default=40, help="parameters in the chart (default 40)")
    p.add_argument("--fail-below", type=float, default=None, metavar="POINTS",
                   help="exit 1 if a parameter's largest effect is below POINTS")
    p.add_argument("--stakes", action="store_true",
                   help="per role: win/draw/loss shares, score by doctrine, and each doctrine against random play")
    return p


def run(args: argparse.Namespace) -> int:
    if args.games < 2:
        print("endgame sensitivity: --games must be 2 or more")
        return 2
    if args.stakes:
        from endgame_game.batch.stakes import doctrine_pairs, format_stakes, stakes

        st = stakes(args.ruleset, args.games, seed=args.seed, overrides=overrides(args))
        paired = doctrine_pairs(args.ruleset, args.games, seed=args.seed, overrides=overrides(args))
        print(format_stakes(st, paired))
        return 0
    from endgame_game.batch.sensitivity import format_tornado, plot_tornado, sensitivity

    names = [s.strip() for s in args.params.split(",") if s.strip()] if args.params else None
    rep = sensitivity(args.ruleset, args.games, seed=args.seed, params=names, overrides=overrides(args))
    print(format_tornado(rep))
    if args.png:
        print(f"chart: {plot_tornado(rep, args.png, top=args.top)}")
    if args.fail_below is not None and any(abs(p.largest[1]) < args.fail_below for p in rep.params):
        return 1
    return 0
