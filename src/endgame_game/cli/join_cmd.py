"""``endgame join``: take a seat in a hosted game (a team, the umpire or an observer)."""

from __future__ import annotations

import argparse

from endgame_game.errors import EndgameError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "join", help="join a hosted game with a code (endgame host prints the codes)",
        description="Open the seat app for a game hosted with `endgame host`: a team's dashboard and orders, the "
                    "umpire console, or the observers' public view, depending on the code.")
    p.add_argument("host", metavar="HOST", help="the host's address, e.g. 192.168.1.20:8765")
    p.add_argument("code", metavar="CODE", nargs="?", default=None,
                   help="the seat's join code (default: the app asks for it)")
    return p


def run(args: argparse.Namespace) -> int:
    from endgame_game.cli.play_cmd import interactive
    from endgame_game.net.client import seat_url

    url = seat_url(args.host)
    if not interactive():
        raise EndgameError("endgame join needs an interactive terminal (or a browser: endgame host --web)")
    from endgame_game.net.seat_app import SeatApp

    return int(SeatApp(url, args.code).run() or 0)
