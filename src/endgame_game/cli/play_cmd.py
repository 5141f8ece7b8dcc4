"""``endgame play``: the Textual app (``--demo``: AI plays every role and the narration is printed)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from endgame_game.errors import EndgameError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "play", help="play in the terminal (the default command)",
        description="Play a scenario in the terminal: one role against the AI, several roles hot-seat, "
                    "with or without umpire controls. With no arguments, a title screen lets you choose.")
    p.add_argument("ruleset", nargs="?", default=None, help="ruleset id or file (default: choose on the title screen)")
    p.add_argument("--as", dest="role", metavar="ROLE", help="play this role against the AI (e.g. kyiv)")
    p.add_argument("--ai", action="append", default=[], metavar="ROLE=AGENT",
                   help="agent for an AI role, e.g. moscow=doctrine:hawk (repeatable; default: doctrine)")
    p.add_argument("--trust-agents", action="store_true",
                   help="with --load or Continue: run agent code a save names (a save is data: by default only "
                        "built-in agents, or those you pass with --ai, are run)")
    p.add_argument("--seed", type=int, default=None, help="the game's seed (default: random)")
    p.add_argument("--load", metavar="SAVE", help="resume a saved game")
    p.add_argument("--turn", type=int, default=None, metavar="N", help="with --load: rewind to the start of turn N")
    p.add_argument("--hotseat", metavar="ROLES", help="several humans on this terminal, e.g. moscow,kyiv")
    p.add_argument("--umpire", action="store_true", help="umpire controls: true values, inject, adjust, pause, rewind")
    add_class_options(p)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set params.ua_recruits=30")
    p.add_argument("--saves", default="saves", metavar="DIR", help="folder for autosaves and saves (default: saves)")
    p.add_argument("--guided", action="store_true",
                   help="a guided first game: the first turns point at the breaking points, the endings, the inbox and the report")
    p.add_argument("--demo", action="store_true",
                   help="AI plays every role to an ending and prints the narration (works without a terminal)")
    return p


def add_class_options(p: argparse.ArgumentParser) -> None:
    """The class format (``play`` and ``host``): a shorter game, the umpire's passphrase, timers."""
    p.add_argument("--turns", type=int, default=None, metavar="N",
                   help="play N turns (a shorter class; same as --set ruleset.max_turns=N)")
    p.add_argument("--turn-timer", type=float, default=0.0, metavar="SECONDS",
                   help="each team's time per turn; at zero its queued orders go (default: no timer)")
    p.add_argument("--briefing-timer", type=float, default=0.0, metavar="SECONDS",
                   help="time for each role's first briefing (default: no timer)")
    p.add_argument("--umpire-pass", metavar="PASSPHRASE", default=None,
                   help="with --umpire: the passphrase that unlocks the umpire console (ctrl+u); in hot-seat "
                        "it is asked for when not given. Saves keep only a salted hash")


def class_overrides(args: argparse.Namespace, overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` with ``--turns`` applied (checked: a positive number of turns)."""
    if args.turns is not None:
        if args.turns < 1:
            raise EndgameError(f"--turns {args.turns}: give a number of turns of 1 or more")
        overrides = {**overrides, "ruleset.max_turns": args.turns}
    for flag, v in (("--turn-timer", args.turn_timer), ("--briefing-timer", args.briefing_timer)):
        if v < 0:
            raise EndgameError(f"{flag} {v:g}: give a number of seconds (0: no timer)")
    return overrides


def run(args: argparse.Namespace) -> int:
    from endgame_game.ai import parse_agent_specs
    from endgame_game.engine.model import CompiledModel
    from endgame_game.rules import parse_assignments

    seed = args.seed if args.seed is not None else _random_seed()
    agents = parse_agent_specs(args.ai)
    overrides = class_overrides(args, dict(parse_assignments(args.overrides or [])))
    if args.turns is not None and args.load:
        raise EndgameError("--turns sets a new game's length; a loaded game keeps the length it was started with")
    if args.turn is not None and not args.load:
        raise EndgameError("--turn N rewinds a loaded game: use it with --load SAVE")
    if args.demo:
        app_only = [f for f, v in (("--as", args.role), ("--hotseat", args.hotseat), ("--load", args.load),
                                   ("--umpire", args.umpire)) if v]
        if app_only:
            raise EndgameError(f"--demo lets the AI play every role; {', '.join(app_only)} is for the app "
                               "(drop --demo to play)")
        return demo(args.ruleset or "endgame-2024", seed, agents, overrides)
    # Everything that can be wrong in the arguments is reported before the app (or the terminal check).
    roles: list[str] = []
    if args.hotseat:
        roles = [r.strip() for r in args.hotseat.split(",") if r.strip()]
    if args.role:
        roles = [args.role, *[r for r in roles if r != args.role]]
    ruleset = args.ruleset
    if roles and not ruleset and not args.load:
        ruleset = "endgame-2024"
    session = None
    if args.load:
        from endgame_game.tui.session import load_session

        session = load_session(args.load, upto=args.turn, humans=roles or None, umpire=args.umpire or None,
                               saves_dir=args.saves, agents=agents, trust_agents=args.trust_agents)
    elif ruleset and roles:
        from endgame_game.engine.api import Game
        from endgame_game.tui.session import Session

        model = CompiledModel.load(ruleset, overrides)  # a bad ruleset is reported by the CLI, before the app
        session = Session(Game(model, seed=seed), roles, agents, umpire=args.umpire, saves_dir=args.saves,
                          ruleset_ref=ruleset)
        session.guided = args.guided
        if args.guided:
            from endgame_game.tui.guide import load_guide

            load_guide(model)  # a bad guide file is reported by the CLI too, with its lines
    elif ruleset:
        CompiledModel.load(ruleset, overrides)
    if not interactive():
        print("endgame play needs an interactive terminal; use --demo to watch the AI play, "
              "or `endgame simulate` for a headless game.", file=sys.stderr)
        return 2
    passphrase = args.umpire_pass
    if passphrase is not None and len(passphrase) < 4:
        raise EndgameError("--umpire-pass: at least 4 characters")

    from endgame_game.tui.app import EndgameApp

    app = EndgameApp(ruleset=ruleset, seed=seed, umpire=args.umpire, saves_dir=args.saves, session=session,
                     agents=agents, trust_agents=args.trust_agents, umpire_pass=passphrase, turns=args.turns,
                     turn_timer=args.turn_timer, briefing_timer=args.briefing_timer, guided=args.guided)
    return int(app.run() or 0)


def interactive() -> bool:
    """A terminal to draw on: a real one, or a browser tab when textual-serve runs the command
    (it sets ``TEXTUAL_DRIVER`` to its web driver and talks to the app over pipes)."""
    import os

    if "web_driver" in os.environ.get("TEXTUAL_DRIVER", ""):
        return True
    return sys.stdout.isatty() and sys.stdin.isatty()


def _random_seed() -> int:
    import secrets

    return secrets.randbelow(2**31)


def demo(ruleset: str, seed: int, agents: Mapping[str, str], overrides: Mapping[str, Any]) -> int:
    """AI plays every role to an ending; print the narration (no terminal needed)."""
    from endgame_game.ai import describe_agents, make_agents
    from endgame_game.engine import Game, TurnLog, new_game
    from endgame_game.report.text import narrate

    game = new_game(ruleset, seed=seed, overrides=overrides)
    model = game.model
    ais = make_agents(model, agents)
    print(f"{model.meta.title} — demo, seed {seed}; agents: {describe_agents(ais, game.state)}")

    def show(_game: Game, tl: TurnLog) -> None:
        for line in narrate(model, tl.for_game(0), turn=tl.turn):
            print(line)

    game.play(ais, after_turn=show)
    ending = model.endings[int(game.state.ending[0])]
    print(f"\nEnding after turn {int(game.state.end_turn[0])}: {ending.label}")
    if ending.text:
        print(ending.text.strip())
    res = game.results()
    from endgame_game.cli.common import outcome_lines

    print("\n".join(outcome_lines(model, res)))
    return 0
