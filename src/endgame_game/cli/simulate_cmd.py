"""``endgame simulate RULESET``: headless games with AI or random orders, as a readable text log."""

from __future__ import annotations

import argparse

from endgame_game.cli.common import add_ruleset_args, overrides


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="play one game headless and print a turn-by-turn log",
                       description="Play one game with AI agents (or random orders) and print what happened.")
    add_ruleset_args(p)
    p.add_argument("--turns", type=int, default=None, help="stop after N turns (default: to the ending)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--game", type=int, default=0, metavar="INDEX",
                   help="the game's index: game INDEX of a batch run with the same seed, agents and --set values "
                        "is this very game (default 0)")
    p.add_argument("--ai", action="append", default=[], metavar="ROLE=AGENT",
                   help="agents per role, e.g. moscow=doctrine:hawk,kyiv=random (default: --agents for all)")
    p.add_argument("--agents", default="doctrine", help="agent for roles not named in --ai: doctrine, mixed, lookahead, random, none")
    p.add_argument("--save", metavar="FILE", help="save the game at the end (a replayable save file)")
    p.add_argument("--quiet", action="store_true", help="print only the ending and scores")
    p.add_argument("--json", action="store_true", help="print the game (turns narrated, ending, scores) as JSON on stdout")
    return p


def _json_run(args: argparse.Namespace) -> int:
    """``--json``: the same game as one JSON document (turns with orders and narration, ending, scores)."""
    import numpy as np

    from endgame_game.ai import describe_agents, make_agents, parse_agent_specs, play_turn
    from endgame_game.cli import print_json
    from endgame_game.cli.common import outcomes_of
    from endgame_game.engine import CompiledModel, Game
    from endgame_game.errors import EndgameError
    from endgame_game.report.text import narrate

    if args.game < 0:
        raise EndgameError("--game must be 0 or more")
    model = CompiledModel.load(args.ruleset, overrides(args))
    game = Game(model, seed=args.seed, games=np.array([args.game], dtype=np.uint64))
    agents = {} if args.agents == "none" else make_agents(model, parse_agent_specs(args.ai), default=args.agents)
    limit = args.turns if args.turns is not None else model.max_turns
    turns = []
    while not game.done and game.turn <= limit:
        t = game.turn
        tl = play_turn(game, agents)
        done = game.turn_records
        orders = {a: list(ids[0]) for a, ids in done[-1].orders.items()} if done else {}
        turns.append({"turn": t, "orders": orders,
                      "log": [] if args.quiet else list(narrate(model, tl.for_game(0), turn=t))})
    res = game.results()
    ending = model.endings[int(game.state.ending[0])] if game.done else None
    print_json({"ruleset": model.id, "seed": args.seed, "game": args.game,
                "agents": describe_agents(agents, game.state), "done": game.done,
                "ending": ending.id if ending else None, "ending_label": ending.label if ending else None,
                "end_turn": int(res["end_turn"][0]) if ending else None,
                "scores": {k[6:]: float(v[0]) for k, v in res.items() if k.startswith("score.")},
                "outcomes": outcomes_of(res), "turns": turns})
    return 0


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from endgame_game.ai import describe_agents, make_agents, parse_agent_specs
    from endgame_game.engine import CompiledModel, Game, TurnLog
    from endgame_game.errors import EndgameError
    from endgame_game.report.text import narrate

    if getattr(args, "json", False):
        return _json_run(args)
    if args.game < 0:
        raise EndgameError("--game must be 0 or more")
    model = CompiledModel.load(args.ruleset, overrides(args))
    game = Game(model, seed=args.seed, games=np.array([args.game], dtype=np.uint64))
    agents = {} if args.agents == "none" else make_agents(model, parse_agent_specs(args.ai), default=args.agents)
    print(f"{model.meta.title} — seed {args.seed}, game {args.game}; agents: {describe_agents(agents, game.state)}")

    def show(_game: Game, tl: TurnLog) -> None:
        for line in narrate(model, tl.for_game(0), turn=tl.turn):
            print(line)

    game.play(agents, turns=args.turns, after_turn=None if args.quiet else show)
    res = game.results()
    if game.done:
        e = model.endings[int(game.state.ending[0])]
        print(f"\nEnding after turn {int(res['end_turn'][0])}: {e.label}")
        if e.text and not args.quiet:
            print(e.text.strip())
    else:
        print(f"\nStopped before turn {game.turn}; no ending yet.")
    from endgame_game.cli.common import outcome_lines

    print("\n".join(outcome_lines(model, res)))
    if args.save:
        from endgame_game.saves import save_game

        path = save_game(game, args.save, agents={a: getattr(ag, "spec", type(ag).__name__) for a, ag in agents.items()})
        print(f"saved to {path}")
    return 0
