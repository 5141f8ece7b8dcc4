"""Shorthands for ``engine.api.Game.play``, the one agent loop (every agent orders, then the turn resolves)."""

from __future__ import annotations

from collections.abc import Mapping

from endgame_game.ai.base import Agent
from endgame_game.engine.api import Game
from endgame_game.engine.log import TurnLog
from endgame_game.errors import EndgameError


def play_turn(game: Game, agents: Mapping[str, Agent], validate: bool = True) -> TurnLog:
    """One turn of ``game.play(agents)``; ``validate`` as in ``Game.set_orders``."""
    logs = game.play(agents, turns=1, validate=validate)
    if not logs:
        raise EndgameError("every game of this batch has ended")
    return logs[0]


def run_games(game: Game, agents: Mapping[str, Agent], validate: bool = True) -> Game:
    """Play every game of the batch to its ending (``game.play(agents)``)."""
    game.play(agents, validate=validate)
    return game
