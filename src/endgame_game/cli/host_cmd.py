"""``endgame host``: run the authoritative game for seats on other terminals or browsers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from endgame_game.errors import EndgameError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    from endgame_game.cli.play_cmd import add_class_options

    p = sub.add_parser(
        "host", help="host a game for teams on their own laptops (endgame join) or browsers (--web)",
        description="Run the authoritative game and print one join code per team role, one for the umpire "
                    "and one for observers. Seats join with `endgame join HOST CODE`. Listens on this machine "
                    "only (loopback) unless --lan.")
    p.add_argument("ruleset", nargs="?", default="endgame-2024", help="ruleset id or file (default: endgame-2024)")
    p.add_argument("--lan", action="store_true", help="listen on every network interface, not only loopback")
    p.add_argument("--port", type=int, default=8765, help="the port seats join on (default: 8765; 0: any free one)")
    p.add_argument("--roles", metavar="ROLES", help="the roles played by teams, e.g. moscow,kyiv (default: every "
                                                    "playable role); the AI plays the others")
    p.add_argument("--ai", action="append", default=[], metavar="ROLE=AGENT",
                   help="agent for an AI role, e.g. moscow=doctrine:hawk (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="the game's seed (default: random)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set params.ua_recruits=30")
    p.add_argument("--saves", default="saves", metavar="DIR", help="folder for autosaves and saves (default: saves)")
    p.add_argument("--codes-file", metavar="FILE",
                   help="also write the address and join codes to FILE as JSON (readable only by you)")
    p.add_argument("--web", action="store_true",
                   help="also serve the seat app to browsers (textual-serve): each tab asks for its join code")
    p.add_argument("--web-port", type=int, default=8000, help="with --web: the browsers' port (default: 8000)")
    add_class_options(p)
    return p


def lan_address() -> str:
    """This machine's address on its network (no packet is sent: a UDP socket only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def run(args: argparse.Namespace) -> int:
    from endgame_game.ai import parse_agent_specs
    from endgame_game.cli.play_cmd import _random_seed, class_overrides
    from endgame_game.engine.api import Game
    from endgame_game.engine.model import CompiledModel
    from endgame_game.net import host as host_mod
    from endgame_game.rules import parse_assignments
    from endgame_game.tui.session import Session

    if args.umpire_pass is not None:
        raise EndgameError("--umpire-pass is for hot-seat play: a hosted game's umpire joins with the umpire code")
    if not 0 <= args.port <= 65535:
        raise EndgameError(f"--port {args.port}: a port is 0..65535")
    seed = args.seed if args.seed is not None else _random_seed()
    overrides = class_overrides(args, dict(parse_assignments(args.overrides or [])))
    model = CompiledModel.load(args.ruleset, overrides)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()] if args.roles else list(model.playable)
    session = Session(Game(model, seed=seed), roles, parse_agent_specs(args.ai), umpire=True, saves_dir=args.saves,
                      ruleset_ref=args.ruleset)
    host = host_mod.Host(session, turn_timer=args.turn_timer, briefing_timer=args.briefing_timer)
    bind = "0.0.0.0" if args.lan else "127.0.0.1"
    shown = lan_address() if args.lan else "127.0.0.1"
    web: list[subprocess.Popen[bytes]] = []

    def started(port: int) -> None:
        where = f"{shown}:{port}"
        print(f"{model.meta.title} (seed {seed}) — hosting on ws://{where}{host_mod.protocol.PATH}"
              + ("" if args.lan else " (this machine only; --lan lets other machines join)"))
        print("Join codes (give each seat only its own):")
        for code, (kind, role) in host.codes.items():
            print(f"  {host_mod.seat_label(model, kind, role):<24} endgame join {where} {code}")
        if args.codes_file:
            data = {"address": where, "port": port, "seed": seed,
                    "codes": {(role or kind): code for code, (kind, role) in host.codes.items()}}
            path = Path(args.codes_file)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=2)
        if args.web:
            web.append(subprocess.Popen([sys.executable, "-m", "endgame_game.net.web", where, bind, str(args.web_port)]))
            print(f"Browsers: http://{shown}:{args.web_port} (each tab asks for its join code)")
        print(f"Autosaves go to {args.saves}/. Ctrl-C stops the host and saves the game.", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await host_mod.serve(host, bind, args.port, started=started, stop=stop)

    try:
        asyncio.run(main())
    except OSError as e:
        raise EndgameError(f"cannot listen on {bind}:{args.port}: {e.strerror or e}") from None
    finally:
        for p in web:
            p.terminate()
            p.wait(10)
    saved = host.final_save or host.save_final()
    refused = ", ".join(f"{k} {v}" for k, v in sorted(host.refused.items())) or "none"
    print(f"Host stopped at turn {session.game.turn}{' (game over)' if session.done else ''}; "
          f"saved to {saved}; refused messages: {refused}", flush=True)
    for err in host.errors:
        print(f"  error: {err}", file=sys.stderr)
    return 0
