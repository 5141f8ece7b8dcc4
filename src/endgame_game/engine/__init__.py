"""The turn engine: compiled model, batch state, keyed randomness, orders, turns, observations."""

from endgame_game.engine.api import Game, TurnEntry, apply_umpire, new_game, replay
from endgame_game.engine.log import (
    EffectApplied,
    EndingReached,
    EventFired,
    MoveTaken,
    ProposalRecord,
    Record,
    ThresholdCrossed,
    TurnLog,
    UmpireAction,
)
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import Budget, base_legal, legal_mask, validate
from endgame_game.engine.state import BatchState
from endgame_game.engine.turn import step

__all__ = [
    "BatchState", "Budget", "CompiledModel", "EffectApplied", "EndingReached", "EventFired", "Game", "MoveTaken",
    "Observation", "ProposalRecord", "Record", "ThresholdCrossed", "TurnEntry", "TurnLog", "UmpireAction",
    "apply_umpire", "base_legal", "legal_mask", "new_game", "replay", "step", "validate",
]
