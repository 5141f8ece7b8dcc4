"""The turn engine: compiled model, batch state, keyed randomness, orders, turns, observations."""

from endgame_game.engine.api import Game, ReplayError, apply_umpire, new_game
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
from endgame_game.engine.record import (
    Adjust,
    Branch,
    GameRecord,
    Inject,
    Note,
    Pause,
    Rewind,
    TurnRecord,
    UmpireAct,
)
from endgame_game.engine.state import BatchState
from endgame_game.engine.turn import step

__all__ = [
    "Adjust", "BatchState", "Branch", "Budget", "CompiledModel", "EffectApplied", "EndingReached", "EventFired",
    "Game", "GameRecord", "Inject", "MoveTaken", "Note", "Observation", "Pause", "ProposalRecord", "Record",
    "ReplayError", "Rewind", "ThresholdCrossed", "TurnLog", "TurnRecord", "UmpireAct", "UmpireAction",
    "apply_umpire", "base_legal", "legal_mask", "new_game", "step", "validate",
]
