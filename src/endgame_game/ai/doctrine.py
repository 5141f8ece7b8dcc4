"""The doctrine agent: the ruleset's ordered ``when → move`` rules, vectorised over the batch.

Each turn it takes the rules whose ``when`` holds (on what the actor observes, estimates included)
and whose move is legal and fits, and picks among them in proportion to ``weight`` until its action
points are spent or nothing fits.
"""

from __future__ import annotations

import numpy as np

from endgame_game.ai.base import weighted_picks
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.errors import EndgameError
from endgame_game.rules.expr import did_you_mean


class DoctrineAgent:
    def __init__(self, model: CompiledModel, actor: str, doctrine: str | None = None):
        docs = model.doctrines.get(actor, {})
        if not docs:
            raise EndgameError(f"{actor} has no doctrines in ruleset {model.id!r}")
        if doctrine is None:
            doctrine = next(iter(docs))
        if doctrine not in docs:
            hint = did_you_mean(doctrine, docs)
            raise EndgameError(f"{actor} has no doctrine {doctrine!r}; it has: {', '.join(docs)}" + (f" ({hint})" if hint else ""))
        self.model = model
        self.actor = model.actor_index[actor]
        self.name = f"{actor}/{doctrine}"
        self.spec = f"doctrine:{doctrine}"
        self.doctrine = doctrine
        self.rules = docs[doctrine]
        # The value slots its rules and its moves' costs read: only those are estimated for it.
        own = {m.id for m in model.moves if m.actor == self.actor}
        paths = [k for k in model.checked.trees if k.startswith(f"doctrines.{actor}.{doctrine}.rules[")]
        paths += [k for i, m in enumerate(model.ruleset.moves) if m.id in own
                  for k in model.checked.trees if k.startswith(f"moves[{i}].cost.")]
        self.reads = model.reads(paths)

    def act(self, obs: Observation) -> np.ndarray:
        B = obs.legal.shape[0]
        cands = []
        with np.errstate(all="ignore"):
            for r in self.rules:
                ok = np.ones(B, dtype=bool) if r.when is None else np.broadcast_to(
                    np.asarray(r.when(obs.state), dtype=bool), (B,))
                cands.append((r.move, ok, r.weight))
        return weighted_picks(self.model, obs, self.actor, cands, f"doctrine/{self.name}")
