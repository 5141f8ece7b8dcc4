"""The shared AI play loop: every agent orders, then the turn resolves (``engine.api.Game.step``)."""

from __future__ import annotations

from collections.abc import Mapping

from endgame_game.ai.base import Agent
from endgame_game.engine.api import Game
from endgame_game.engine.log import TurnLog


def play_turn(game: Game, agents: Mapping[str, Agent], validate: bool = True) -> TurnLog:
    """Let every agent order for its actor (on its own observation), then resolve the turn.

    Args:
        validate: check agents' orders (on for anything a user wrote; built-in agents only pick
            legal moves that fit, so a batch run may switch it off for speed).
    """
    for actor, agent in agents.items():
        # An agent may declare the value slots it reads (``reads``): the others' noise is not drawn.
        orders = agent.act(game.observe(actor, getattr(agent, "reads", None)))
        if validate:
            game.submit(actor, orders)
        else:
            cols = game.model.moves_of[game.model.actor_index[actor]]
            game._orders[:, cols] = orders[:, cols]
    return game.step()


def run_games(game: Game, agents: Mapping[str, Agent], validate: bool = True) -> Game:
    """Play every game of the batch to its ending."""
    while not game.done:
        play_turn(game, agents, validate)
    return game
