"""``endgame train RULESET --role ROLE --seed S``: tune a role's policy by simulation and write it beside the ruleset."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    from endgame_game.ai.train import TrainConfig

    d = TrainConfig()
    p = sub.add_parser(
        "train", help="tune a role's AI policy by simulation (the 'tuned' agent)",
        description="Tune a policy for a role by the cross-entropy method over the weights of its doctrines' rules, "
                    "playing thousands of seeded games against each of its doctrines (other roles mixed; fitness: the worst pairing), and write it "
                    "as TOML beside the ruleset (tuned/RULESET.ROLE.toml), where the 'tuned' agent finds it. "
                    "The same seed makes the same file. --check only validates existing policy files.")
    p.add_argument("ruleset", help="ruleset id (e.g. endgame-2024) or TOML file")
    p.add_argument("--role", action="append", default=[], metavar="ROLE",
                   help="the role to train (repeatable; default: every role with doctrines and a score)")
    p.add_argument("--seed", type=int, default=1, help="the training seed (default 1)")
    p.add_argument("--generations", type=int, default=d.generations, help=f"default {d.generations}")
    p.add_argument("--population", type=int, default=d.population, help=f"candidates per generation (default {d.population})")
    p.add_argument("--games", type=int, default=d.games, help=f"paired games per candidate and generation (default {d.games})")
    p.add_argument("--eval-games", type=int, default=d.eval_games,
                   help=f"fresh paired games to measure the result against each doctrine (default {d.eval_games})")
    p.add_argument("--opponents", default=d.opponents, help=f"agent of the other roles (default {d.opponents})")
    p.add_argument("--against", choices=("every", "best"), default=d.against,
                   help="train against every doctrine of the role (fitness: the worst paired win share) or only "
                        f"the best by mean score (default {d.against})")
    p.add_argument("--starts", choices=("every", "best"), default=d.starts,
                   help="search once from every doctrine of the role and keep the best on fresh games, or only "
                        f"from the doctrine with the best worst pairing (default {d.starts})")
    p.add_argument("--out", metavar="FILE", help="write here instead (only with one --role)")
    p.add_argument("--check", action="store_true", help="validate the ruleset's policy files and exit")
    p.add_argument("--quiet", action="store_true", help="no line per generation")
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from endgame_game.ai.train import TrainConfig, Trainer
    from endgame_game.ai.tuned import default_path, find_policy, is_stale, load_policy
    from endgame_game.engine.model import CompiledModel
    from endgame_game.errors import EndgameError

    model = CompiledModel.load(args.ruleset)
    roles = args.role or [model.actors[a] for a in sorted(model.scores) if model.doctrines.get(model.actors[a])]
    if args.check:
        found = 0
        for role in args.role or [model.actors[a] for a in sorted(model.scores)]:
            path = find_policy(model, role)
            if path is None:
                print(f"{role}: no tuned policy")
                continue
            cp = load_policy(model, role)  # raises with key paths and lines
            found += 1
            stale = " (trained on another version of the ruleset: re-train)" if is_stale(cp.policy, model) else ""
            print(f"{role}: {path}: ok, {len(cp.rules)} rules{stale}")
        return 0 if found else 1
    if args.out and len(roles) != 1:
        raise EndgameError("--out needs exactly one --role")
    if not 0 <= args.seed < 2**63:
        raise EndgameError("the seed must be between 0 and 2**63 - 1")
    config = TrainConfig(generations=args.generations, population=args.population, games=args.games,
                         eval_games=args.eval_games, opponents=args.opponents, against=args.against,
                         starts=args.starts)
    for role in roles:
        trainer = Trainer(model, role, args.seed, config)
        starts = "every doctrine" if config.starts == "every" else "the best doctrine"
        print(f"{role}: {len(trainer.space)} rules to weigh; {config.generations} generations of {config.population} "
              f"candidates x {config.games} paired games, from {starts}")
        sys.stdout.flush()

        rival = "its worst-matched doctrine" if config.against == "every" else "the best doctrine"

        def show(g: object, role: str = role, rival: str = rival) -> None:
            if not args.quiet:
                print(f"  {role} from {g.start} gen {g.index + 1:>3}: mean policy wins {g.mean_share:.1%} of games against {rival}, "  # type: ignore[attr-defined]
                      f"best candidate {g.best_share:.1%}, {g.rules} rules, {g.seconds:.1f} s",  # type: ignore[attr-defined]
                      flush=True)

        res = trainer.run(show)
        path = Path(args.out) if args.out else default_path(model, role)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(res.policy.to_toml(), "utf-8")
        scores = ", ".join(f"{d} {v:.1f}" for d, v in res.doctrine_scores.items())
        measured = ("; wins, in " + f"{res.eval_games:,} fresh paired games, "
                    + ", ".join(f"{v:.1%} against {d}" for d, v in res.win_shares.items()) if res.eval_games else "")
        print(f"{role}: kept the search from doctrine {res.baseline} (mean scores: {scores}){measured}")
        print(f"wrote {path} ({len(res.policy.rules)} rules)")
    return 0
