"""The random agent: answers proposals at random and takes random legal moves that fit."""

from __future__ import annotations

import numpy as np

from endgame_game.ai.base import weighted_picks
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation


class RandomAgent:
    """Uniform among legal moves that fit, with a chance to stop early (``pass_weight``)."""

    def __init__(self, model: CompiledModel, actor: str, pass_weight: float = 0.5):
        self.model = model
        self.actor = model.actor_index[actor]
        self.name = actor
        self.spec = "random"
        self.pass_weight = pass_weight

    def act(self, obs: Observation) -> np.ndarray:
        cands = [(s, np.ones(obs.legal.shape[0], dtype=bool), 1.0) for s in self.model.moves_of[self.actor]]
        return weighted_picks(self.model, obs, self.actor, cands, f"random/{self.name}", self.pass_weight)
