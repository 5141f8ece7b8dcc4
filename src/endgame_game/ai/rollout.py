"""The rollout agent: policy improvement over the tuned policy by simulation (the ladder's top tier).

Each turn it draws ``candidates`` whole orders from the role's fast policy (its tuned policy, else its
first doctrine): the first is the order the policy itself would give, the others are the policy's
other draws. Each candidate is tried on copies of the (estimated) state and played ``depth`` turns
ahead ``samples`` times, every role on its rollout policy (tuned where the ruleset has one); the
candidate with the best mean score for the role is ordered, ties going to the policy's own order.
All candidates of a game meet the same rollout dice (common random numbers), drawn from a stream
derived from the game's seed, the role and the turn, so the plan is deterministic and does not peek
at the real game's future draws.

Because the policy's own order is always a candidate, the search can only depart from it where the
rollouts say another of its orders does better: a one-step policy improvement (rollout algorithm).
Cost: about ``candidates * samples * depth`` game-turns per real game-turn.
"""

from __future__ import annotations

import numpy as np

from endgame_game.ai.base import Agent, orders_only
from endgame_game.ai.doctrine import DoctrineAgent
from endgame_game.ai.lookahead import play_out
from endgame_game.ai.tuned import TunedAgent, has_policy
from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import site_key

DEFAULT_CANDIDATES = 8
DEFAULT_SAMPLES = 4
DEFAULT_DEPTH = 24
"""To the ending on every shipped scenario: a shorter horizon misjudges what pays off late (the endings)."""
MAX_CANDIDATES = 32
MAX_SAMPLES = 32
MAX_DEPTH = 24


def _base_policy(model: CompiledModel, actor: str, label: str | None = None) -> Agent:
    """The role's fast policy: its tuned policy (drawing with ``label``), else its first doctrine."""
    if has_policy(model, actor):
        return TunedAgent(model, actor, label=label)
    if model.doctrines.get(actor):
        return DoctrineAgent(model, actor)
    raise EndgameError(f"the rollout agent needs a tuned policy or doctrines for {actor} in {model.id!r}")


class RolloutAgent:
    """Draws ``candidates`` orders from the role's fast policy and keeps the one whose rollouts score best."""

    def __init__(self, model: CompiledModel, actor: str, candidates: int = DEFAULT_CANDIDATES,
                 samples: int = DEFAULT_SAMPLES, depth: int = DEFAULT_DEPTH,
                 rollout: dict[int, Agent] | None = None):
        if actor not in model.actor_index:
            raise EndgameError(f"no actor {actor!r} in {model.id}")
        self.model = model
        self.actor = model.actor_index[actor]
        if self.actor not in model.scores:
            raise EndgameError(f"the rollout agent needs a score for {actor}; the ruleset {model.id!r} has none")
        if not (1 <= candidates <= MAX_CANDIDATES and 1 <= samples <= MAX_SAMPLES and 1 <= depth <= MAX_DEPTH):
            raise EndgameError(f"the rollout agent takes 1 to {MAX_CANDIDATES} candidates, 1 to {MAX_SAMPLES} samples "
                               f"and 1 to {MAX_DEPTH} turns ahead")
        self.name = actor
        self.candidates, self.samples, self.depth = int(candidates), int(samples), int(depth)
        self.spec = f"rollout:{self.candidates}:{self.samples}:{self.depth}"
        self.base = _base_policy(model, actor)
        # Candidate k > 0 draws with its own label: another sample of the same policy.
        self.draws = [self.base] + [_base_policy(model, actor, f"rollout/{actor}/{k}") for k in range(1, candidates)] \
            if isinstance(self.base, TunedAgent) else [self.base]
        if rollout is None:
            from endgame_game.ai.loading import rollout_policies

            rollout = rollout_policies(model)
        self._rollout = rollout
        self._site = site_key(f"rollout/{actor}")
        self.reads = None  # it simulates from what it observes: every value slot is estimated

    def act(self, obs: Observation) -> np.ndarray:
        model, me = self.model, self.actor
        B, M = obs.legal.shape
        orders = np.zeros((B, M), dtype=bool)
        st = obs.state
        slots = model.moves_of[me]
        rows = np.nonzero(~st.ended & obs.legal[:, slots].any(axis=1))[0]
        if rows.size == 0:
            return orders
        sub = st.take(rows)
        sub_obs = Observation(obs.actor, obs.values[rows], obs.spread[rows], obs.exact, obs.legal[rows], sub)
        cands = np.stack([orders_only(d.act(sub_obs)) for d in self.draws])  # [K, b, M]
        K, b, S = cands.shape[0], rows.size, self.samples
        if K == 1:
            orders[rows] = cands[0]
            return orders
        # Rows game-major: game g, candidate k, sample s at g*K*S + k*S + s.
        g_of = np.repeat(np.arange(b), K * S)
        k_of = np.tile(np.repeat(np.arange(K), S), b)
        s_of = np.tile(np.arange(S), b * K)
        sim = sub.fork(g_of)
        sim.seed = rng.derive_seed(st.seed, self._site, st.turn)
        sim.games = sub.games[g_of] * np.uint64(S) + s_of.astype(np.uint64)
        first = cands[k_of, g_of]
        def opening(orders: np.ndarray, first: np.ndarray) -> None:
            orders[:, slots] = first[:, slots]

        play_out(model, sim, self._rollout, me, self.depth, first, opening)
        score = sim.scores[:, me].reshape(b, K, S).mean(axis=2)
        best = score.argmax(axis=1)  # ties: the policy's own order (k = 0)
        orders[rows] = cands[best, np.arange(b)]
        return orders
