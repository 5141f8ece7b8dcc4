"""``endgame replay SAVE``: re-run a save from its ruleset, seed and orders and check every turn."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="re-run a save and check every turn's checksum (exit 1 if it diverges)",
                       description="Re-run a saved game from its embedded ruleset, seed and order log, compare "
                                   "each turn's state checksum with the one saved, and report the first turn "
                                   "that diverges.")
    p.add_argument("saves", nargs="+", metavar="SAVE", help="save files")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures")
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    from endgame_game.ai.loading import is_builtin
    from endgame_game.errors import SaveError
    from endgame_game.saves import read_save, replay_save
    from endgame_game.saves.format import environment

    failed = 0
    for path in args.saves:
        try:
            data = read_save(path)
            res = replay_save(path, data=data)
        except SaveError as e:
            print(f"{path}: {e}", file=sys.stderr)
            failed += 1
            continue
        n = res.turns
        code = {role: spec for role, spec in data.agents.items() if not is_builtin(spec)}
        if code and not args.quiet:
            print(f"{path}: note: names agent code it would run ({', '.join(f'{r}={s}' for r, s in code.items())}); "
                  "replay does not run agents, and `endgame play --load` refuses them unless you pass "
                  "the same --ai or --trust-agents")
        if res.ok:
            if not args.quiet:
                print(f"{path}: all {n} turns match ({data.header['ruleset_id']}, seed {data.record.seed})")
            continue
        failed += 1
        if res.diverged is not None:
            print(f"{path}: turn {res.diverged} of {n} diverges: its state checksum differs from the one saved")
        if res.difference:
            print(f"{path}: the final state differs from the saved one at {res.difference}")
        if not res.same_environment:
            env = environment()
            diffs = [f"{k} {data.header.get(k)} (here {v})" for k, v in env.items() if str(data.header.get(k)) != v]
            print(f"{path}: note: saved with {', '.join(diffs)}; bit-identical replays are promised only on "
                  "the same platform and build")
    return 1 if failed else 0
