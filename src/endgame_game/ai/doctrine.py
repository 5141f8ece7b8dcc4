"""The doctrine agent: the ruleset's ordered ``when → move`` rules, vectorised over the batch.

Each turn it takes the rules whose ``when`` holds (on what the actor observes, estimates included)
and whose move is legal and fits, and picks among them in proportion to ``weight`` until its action
points are spent or nothing fits.

``mixed`` (``MixedDoctrineAgent``) plays one of the role's doctrines per game, drawn once per game:
a batch then stands for a population of strategies, not one.
"""

from __future__ import annotations

import attrs
import numpy as np

from endgame_game.ai.bargain import Bargainer, allowed_answers, answer_rules
from endgame_game.ai.base import Agent, weighted_picks
from endgame_game.ai.random_agent import RandomAgent
from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.negotiation import all_nan_view, no_terms, no_terms_view
from endgame_game.engine.observe import Observation
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import batch_array, site_key
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
        # Negotiations with terms: it bargains (``ai.bargain``), conceding what its doctrine says.
        self.bargainer: Bargainer | None = None
        if any(self.actor in n.answerers for n in model.negotiation):
            d = model.ruleset.doctrines[actor][doctrine]
            self.bargainer = Bargainer(model, actor, d.concede, d.firm, d.prefer, d.avoid)
            paths += self.bargainer.reads()
        self._answer_rules = answer_rules(model, self.actor, [(r.move, r.weight) for r in self.rules])
        self.reads = model.reads(paths)

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        B = obs.legal.shape[0]
        cands = []
        with np.errstate(all="ignore"):
            for r in self.rules:
                ok = np.ones(B, dtype=bool) if r.when is None else batch_array(r.when(obs.state), B, bool)
                cands.append((r.move, ok, r.weight))
        orders = weighted_picks(self.model, obs, self.actor, cands, f"doctrine/{self.name}")
        if self.bargainer is not None:
            allowed = allowed_answers(self.model, B, self._answer_rules, [ok for _, ok, _ in cands])
            return self.bargainer.decide(obs, orders, allowed)
        return orders


class MixedDoctrineAgent:
    """Each game plays one of the role's doctrines, drawn once for the whole game.

    The draw is keyed by (seed, game, role), so game ``i`` plays the same doctrine alone or in any
    batch, chunk or worker, and every sweep point gives game ``i`` the same doctrine (common random
    numbers). ``doctrine_of(state)`` says which one each game plays (batch rows record it).

    Args:
        random_share: the share of games in which the role plays the random agent instead (coverage
            uses it for some unscripted play); those games' doctrine reads ``random``.
        policy: one more policy drawn as often as each doctrine (the rollout agent's model of another
            role adds the role's tuned policy); those games' doctrine reads ``policy.spec``.
    """

    def __init__(self, model: CompiledModel, actor: str, random_share: float = 0.0, policy: Agent | None = None):
        docs = list(model.doctrines.get(actor, {}))
        if not docs:
            raise EndgameError(f"{actor} has no doctrines in ruleset {model.id!r} to mix")
        if not 0.0 <= random_share < 1.0:
            raise EndgameError(f"random_share must be in [0, 1), got {random_share}")
        self.model = model
        self.name = f"{actor}/mixed"
        self.spec = "mixed"
        self.random_share = float(random_share)
        doctrine_agents = [DoctrineAgent(model, actor, d) for d in docs]
        self.agents: list[Agent] = list(doctrine_agents)
        if policy is not None:
            docs.append(str(getattr(policy, "spec", "policy")))
            self.agents.append(policy)
        self.doctrines = docs + (["random"] if random_share > 0 else [])
        if random_share > 0:
            self.agents.append(RandomAgent(model, actor))
        # The value slots it reads (only those are estimated), or all of them when random play or a
        # policy of unknown reads is mixed in.
        reads: list[np.ndarray | None] = [getattr(a, "reads", None) for a in self.agents]
        known = [r for r in reads if r is not None]
        self.reads = np.unique(np.concatenate(known)) if len(known) == len(reads) else None
        self._site = site_key(f"mixed/{actor}")
        self._offer_rows = model.offer_rows_of[model.actor_index[actor]]

    def pick(self, state: BatchState) -> np.ndarray:
        """[B] index into ``doctrines``: the doctrine each game plays (the same every turn)."""
        u = rng.uniform(state.seed, state.games, 0, self._site, 0)
        n = len(self.agents) - (self.random_share > 0)
        s = self.random_share
        pick = np.minimum(((u - s) / (1.0 - s) * n).astype(np.intp), n - 1)
        return np.where(u < s, n, pick) if s > 0 else pick

    def doctrine_of(self, state: BatchState) -> np.ndarray:
        """[B] the name of the doctrine each game plays."""
        return np.asarray(self.doctrines, dtype=object)[self.pick(state)]

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        pick = self.pick(obs.state)
        orders = np.zeros_like(obs.legal)
        terms: np.ndarray | None = None
        bargained = False  # a doctrine gave terms (a read-only NaN view when it made no offer)
        for i, agent in enumerate(self.agents):
            mine = pick == i
            if mine.all():
                return agent.act(obs)
            if mine.any():
                # The whole batch with the other games' moves masked out: cheaper than copying a
                # sub-batch, and each game's picks depend on its own row only.
                masked = attrs.evolve(obs, legal=obs.legal & mine[:, None])
                got = agent.act(masked)
                if isinstance(got, tuple):
                    got, t = got
                    bargained = True
                    if not all_nan_view(t):  # else no terms given (``negotiation.no_terms_view``): nothing to copy
                        if terms is None:
                            terms = no_terms(self.model, t.shape[0])  # slot-major, as the bargainer's
                        for j in self._offer_rows:  # an actor gives terms in its own offer slots only
                            np.copyto(terms[:, j], t[:, j], where=mine[:, None])
                orders |= got & mine[:, None]  # each game is one doctrine's: its orders start empty
        if terms is None and bargained:
            terms = no_terms_view(self.model, orders.shape[0])
        return orders if terms is None else (orders, terms)
