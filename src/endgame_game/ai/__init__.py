"""AI agents: the protocol, random, doctrine, mixed and lookahead agents, and loading by name."""

from endgame_game.ai.base import Agent, draw, weighted_picks
from endgame_game.ai.doctrine import DoctrineAgent, MixedDoctrineAgent
from endgame_game.ai.loading import describe_agents, make_agent, make_agents, parse_agent_specs
from endgame_game.ai.play import play_turn, run_games
from endgame_game.ai.random_agent import RandomAgent

__all__ = [
    "Agent", "DoctrineAgent", "MixedDoctrineAgent", "RandomAgent", "describe_agents", "draw", "make_agent",
    "make_agents", "parse_agent_specs",
    "play_turn", "run_games", "weighted_picks",
]
