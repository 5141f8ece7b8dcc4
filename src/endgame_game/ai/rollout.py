"""The rollout agent: policy improvement over the tuned policy by simulation (the ladder's top tier).

Each turn it draws ``candidates`` whole orders from the role's fast policy (its tuned policy, else its
first doctrine): the first is the order the policy itself would give, the others are the policy's
other draws. To those it adds the orders next to the policy's own: passing, that order with one of
its moves left out, and that order with one more move that still fits (each where it applies; the
policy's draws alone are too alike for the rollouts to tell apart). Each candidate is tried on copies
of the (estimated) state and played ``depth`` turns ahead ``samples`` times: its own later turns on its
fast policy, every other role on one of its known policies (its tuned policy or a doctrine) drawn per
rollout, bargaining as they do (offers keep their terms); the best
candidate is ordered only where its paired gain over the policy's own order is ``MARGIN`` standard
errors clear, else the policy's order stands. All candidates of a game meet the same rollout dice
(common random numbers), drawn from a stream derived from the game's seed, the role and the turn, so
the plan is deterministic and does not peek at the real game's future draws.

Because the policy's own order is always a candidate, the search can only depart from it where the
rollouts say another order does better: a one-step policy improvement (rollout algorithm).
Cost: about ``(candidates + variations) * samples * depth`` game-turns per real game-turn, where the
variations are one plus the moves in the policy's order plus the moves that still fit.
"""

from __future__ import annotations

import numpy as np

from endgame_game.ai.base import Agent, orders_only
from endgame_game.ai.doctrine import DoctrineAgent
from endgame_game.ai.lookahead import play_out
from endgame_game.ai.tuned import TunedAgent, has_policy
from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.negotiation import no_terms
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import Budget
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import site_key

DEFAULT_CANDIDATES = 8
DEFAULT_SAMPLES = 4
DEFAULT_DEPTH = 24
"""To the ending on every shipped scenario: a shorter horizon misjudges what pays off late (the endings)."""
MARGIN = 2.0
"""How sure the rollouts must be before the agent departs from its policy's own order: another
candidate is ordered only where its mean gain over the policy's order, paired sample by sample (the
same dice), exceeds ``MARGIN`` standard errors of that gain. Without it the agent takes the luckiest of
candidates whose true values are close (the policy's own draws are): a winner's curse. Measured on
endgame-2024 (400 paired games, seed 1, before the variations): Kyiv's rollout beat its tuned policy in
49 % of games with no margin, 54 % with 1, 58 % with 2 and 58 % with 3; Moscow's in 61, 68, 72 and 71 %.
With the variations (1,000 games, seed 2, before the search planned against populations): a margin of
1.5 gave Kyiv 55 % against 60 % with 2, and adding every swap of one of the policy's moves for another
that fits gave 57 % (more candidates, more luck to be fooled by), so neither is here."""
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
    """Draws ``candidates`` orders from the role's fast policy, adds the orders next to its own (``vary``),
    and orders the one whose rollouts score best where they are sure of it (``margin``, see ``MARGIN``)."""

    def __init__(self, model: CompiledModel, actor: str, candidates: int = DEFAULT_CANDIDATES,
                 samples: int = DEFAULT_SAMPLES, depth: int = DEFAULT_DEPTH,
                 rollout: dict[int, Agent] | None = None, margin: float = MARGIN, vary: bool = True):
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
            from endgame_game.ai.loading import planning_policies

            rollout = planning_policies(model, self.actor)
        self._rollout = rollout
        self._site = site_key(f"rollout/{actor}")
        self.margin, self.vary = float(margin), bool(vary)
        self.reads = None  # it simulates from what it observes: every value slot is estimated

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
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
        given = [d.act(sub_obs) for d in self.draws]
        b, S = rows.size, self.samples
        cands = [orders_only(g) for g in given]  # each [b, M]
        # The terms of each candidate's offers (a bargaining policy gives them), NaN: not given.
        bargains = bool(model.offer_slot) and any(isinstance(g, tuple) for g in given)
        cterms = [g[1] if isinstance(g, tuple) else no_terms(model, b) for g in given] if bargains else []
        valid = [np.ones(b, dtype=bool) for _ in given]
        if self.vary:
            self._variations(sub, sub_obs.legal, cands, cterms, valid)
        _drop_repeats(cands, cterms, valid, slots)
        K = len(cands)
        ok = np.stack(valid, axis=1)  # [b, K]
        ok[:, 0] = ok[:, 1:].any(axis=1)  # the policy's own order is simulated where it has a rival
        if not ok[:, 0].any():
            orders[rows] = cands[0]
            return orders if not bargains else (orders, self._terms_out(B, rows, cterms[0]))
        pairs = np.nonzero(ok.reshape(-1))[0]  # (game, candidate) pairs simulated, game-major
        g_of = np.repeat(pairs // K, S)
        k_of = np.repeat(pairs % K, S)
        s_of = np.tile(np.arange(S), pairs.size)
        sim = sub.fork(g_of)
        sim.seed = rng.derive_seed(st.seed, self._site, st.turn)
        sim.games = sub.games[g_of] * np.uint64(S) + s_of.astype(np.uint64)
        stacked = np.stack(cands)  # [K, b, M]
        first = stacked[k_of, g_of]
        def opening(orders: np.ndarray, first: np.ndarray) -> None:
            orders[:, slots] = first[:, slots]

        tstack = np.stack(cterms) if bargains else None
        play_out(model, sim, self._rollout, me, self.depth, first, opening,
                 None if tstack is None else tstack[k_of, g_of])
        score = np.full((b * K, S), np.nan)
        score[pairs] = sim.scores[:, me].reshape(pairs.size, S)
        best = _improving(score.reshape(b, K, S), self.margin)
        orders[rows] = stacked[best, np.arange(b)]
        return orders if tstack is None else (orders, self._terms_out(B, rows, tstack[best, np.arange(b)]))

    def _variations(self, sub: BatchState, legal: np.ndarray, cands: list[np.ndarray], cterms: list[np.ndarray],
                    valid: list[np.ndarray]) -> None:
        """Append the orders next to the policy's own (candidate 0): passing, and that order with one of
        its moves left out or one more move that still fits; each where it applies (``valid``)."""
        model, me = self.model, self.actor
        base = cands[0]
        slots = model.moves_of[me]
        bterms = cterms[0] if cterms else None
        blank = no_terms(model, sub.batch) if cterms else None

        def add(order: np.ndarray, where: np.ndarray, terms: np.ndarray | None) -> None:
            if where.any():
                cands.append(order)
                valid.append(where)
                if terms is not None:
                    cterms.append(terms)

        add(np.zeros_like(base), np.asarray(base[:, slots].any(axis=1)), blank)
        for s in slots:
            without = base.copy()
            without[:, s] = False
            add(without, base[:, s], bterms)
        budget = Budget(model, sub, me)
        for s in slots:
            budget.take(s, base[:, s])
        for s in slots:
            fits = budget.fits(s, legal[:, s])
            more = base.copy()
            more[:, s] |= fits
            add(more, fits, bterms)

    def _terms_out(self, B: int, rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """[B, J, T] terms of the whole batch: the chosen candidates' on ``rows``, NaN elsewhere."""
        out = no_terms(self.model, B)
        out[rows] = chosen
        return out


def _drop_repeats(cands: list[np.ndarray], cterms: list[np.ndarray], valid: list[np.ndarray], slots: list[int]) -> None:
    """Leave out, game by game, a candidate that repeats an earlier one (the same moves on the same
    terms): it would meet the same dice and score the same, so simulating it again only costs time.
    Candidate 0 (the policy's own order) is never left out; the first of equal candidates stays."""
    for k in range(1, len(cands)):
        for j in range(k):
            same = valid[j] & valid[k] & (cands[j][:, slots] == cands[k][:, slots]).all(axis=1)
            if cterms and same.any():
                a, b = cterms[j], cterms[k]
                same &= ((a == b) | (np.isnan(a) & np.isnan(b))).reshape(len(a), -1).all(axis=1)
            valid[k] = valid[k] & ~same


def _improving(score: np.ndarray, margin: float) -> np.ndarray:
    """[b] the candidate to order per game from ``score`` [b, K, S] (candidate 0: the policy's own order;
    NaN: a candidate not tried in that game): the best mean among those whose paired gain over candidate
    0 is above ``margin`` standard errors, else candidate 0."""
    gain = score - score[:, :1]  # paired: sample s of every candidate met the same dice
    S = score.shape[2]
    mean = gain.mean(axis=2)
    if S > 1 and margin > 0:
        se = gain.std(axis=2, ddof=1) / np.sqrt(S)
        sure = mean > margin * se
    else:
        sure = mean > 0
    sure &= ~np.isnan(mean)
    sure[:, 0] = True
    mean = np.where(sure, mean, -np.inf)
    mean[:, 0] = 0.0
    return mean.argmax(axis=1)  # ties: the policy's own order
