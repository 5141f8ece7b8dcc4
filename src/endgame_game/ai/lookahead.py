"""The lookahead agent: try each candidate order on a copy of the batch, play a few turns ahead, keep the best.

For each game the candidates are **pass** and every single legal move of the actor that fits. All candidates
of all games are simulated at once: the (estimated) state of each game is copied once per allowed
candidate (``BatchState.take``; candidates that are not legal in a game are not simulated), and ``depth`` turns
are resolved with ``engine.turn.step``: the first with the candidate as the actor's order, the rest
with a rollout policy for the actor too. Every other actor plays its rollout policy throughout
(by default its first doctrine, or random if it has none; the built-in ``lookahead`` spec gives the
actor its tuned policy and every other role one of its known policies per game:
``loading.planning_policies``). Each candidate is rolled out ``samples`` times
(different futures); the candidate with the highest mean score for the actor (``state.scores``) at
the end of its rollouts wins; ties go to the earlier candidate, pass first.

It plans on what it observes: the rollout starts from ``obs.state`` (its own values exact, others'
as estimates). Its randomness is keyed like everything else, but with a seed derived from the
game's seed, the actor and the turn: so it is deterministic and game ``i`` plans the same alone or
in a batch, yet the rollout does not peek at the real game's future draws. All candidates of a game
share the same draws (common random numbers), so they differ only by the order tried.

Cost: about ``K * depth * samples`` game-turns per real game-turn and round, where ``K`` is one plus the
number of the actor's legal moves (see ``bench/bench_batch.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from endgame_game.ai.base import Agent, orders_only
from endgame_game.engine import rng
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.negotiation import no_terms
from endgame_game.engine.observe import Observation
from endgame_game.engine.orders import Budget, legal_mask
from endgame_game.engine.state import BatchState
from endgame_game.engine.turn import step
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import site_key

DEFAULT_DEPTH = 4
DEFAULT_SAMPLES = 8
"""``lookahead`` alone: 4 turns ahead, 8 rollouts per candidate. One rollout is a noisy judge (a single
draw of the future); with 8, the default beats every role's doctrine on endgame-2024 (docs/agents.md)."""


def rollout_agents(model: CompiledModel) -> dict[int, Agent]:
    """The policy every actor with moves follows inside a rollout: its first doctrine, or random."""
    from endgame_game.ai.doctrine import DoctrineAgent
    from endgame_game.ai.random_agent import RandomAgent

    out: dict[int, Agent] = {}
    for a, name in enumerate(model.actors):
        if not model.moves_of[a]:
            continue
        out[a] = DoctrineAgent(model, name) if model.doctrines.get(name) else RandomAgent(model, name)
    return out


def _plain_observation(model: CompiledModel, state: BatchState, actor: int) -> Observation:
    """An exact observation of a simulated state (rollout opponents skip the intelligence noise:
    the state is already the planner's estimate, and the noise draws would cost more than the turn)."""
    n = state.values.shape[1]
    return Observation(model.actors[actor], state.values, np.zeros_like(state.values), np.ones(n, dtype=bool),
                       legal_mask(model, state, actor), state)


def play_out(model: CompiledModel, sim: BatchState, agents: Mapping[int, Agent], me: int, depth: int,
             first: np.ndarray, opening: Callable[[np.ndarray, np.ndarray], None],
             first_terms: np.ndarray | None = None) -> None:
    """Play ``sim`` ``depth`` turns on: every role on its rollout agent, except the planner's first turn,
    where ``opening(orders, first)`` puts the candidate orders in (after the others have chosen).

    The rollout agents' offers keep the terms their bargainers give them (a tuned policy bargains), and
    ``first_terms`` ([B, J, T], NaN: not given) are the terms of the planner's own first offers: a
    rollout plays the bargaining the real game would, not every offer on its default terms.
    """
    for d in range(depth):
        if sim.ended.all():
            break
        orders = np.zeros_like(first)
        terms = no_terms(model, sim.batch) if model.offer_slot else None
        for a, agent in agents.items():
            if d == 0 and a == me:
                continue
            cols = model.moves_of[a]
            given = agent.act(_plain_observation(model, sim, a))
            orders[:, cols] = orders_only(given)[:, cols]
            if terms is not None and isinstance(given, tuple):
                for j in model.offer_rows_of[a]:
                    terms[:, j] = given[1][:, j]
        if d == 0:
            opening(orders, first)
            if terms is not None and first_terms is not None:
                for j in model.offer_rows_of[me]:
                    terms[:, j] = first_terms[:, j]
        step(model, sim, orders, terms=terms, intel=False)


def _or_in(orders: np.ndarray, first: np.ndarray) -> None:
    orders |= first


class LookaheadAgent:
    """Scores each candidate order by simulating ``depth`` turns ahead; vectorised over candidates.

    Args:
        model: the compiled ruleset.
        actor: the actor this agent plays.
        depth: turns simulated per decision, the candidate's own turn included (1 = greedy).
        rounds: how many moves it may order per turn (default: the actor's action points). Each round
            adds the best single move to those already chosen, or stops when passing scores best.
        rollout: the policy of each actor (by index) inside the rollouts (default ``rollout_agents``;
            ``make_agent`` passes the ruleset's tuned policies where it has them).
    """

    def __init__(self, model: CompiledModel, actor: str, depth: int = DEFAULT_DEPTH, rounds: int | None = None,
                 samples: int = DEFAULT_SAMPLES, rollout: Mapping[int, Agent] | None = None):
        if actor not in model.actor_index:
            raise EndgameError(f"no actor {actor!r} in {model.id}")
        if depth < 1:
            raise EndgameError(f"lookahead depth must be 1 or more, got {depth}")
        if samples < 1:
            raise EndgameError(f"lookahead samples must be 1 or more, got {samples}")
        self.model = model
        self.actor = model.actor_index[actor]
        if self.actor not in model.scores:
            raise EndgameError(f"lookahead needs a score for {actor}; the ruleset {model.id!r} has none")
        self.name = actor
        self.depth = int(depth)
        self.samples = int(samples)
        self.spec = f"lookahead:{self.depth}" + (f":{self.samples}" if self.samples > 1 else "")
        self.slots = list(model.moves_of[self.actor])
        self._rollout = dict(rollout) if rollout is not None else rollout_agents(model)
        self._site = site_key(f"lookahead/{actor}")
        self.rounds = int(model.action_points[self.actor]) if rounds is None else int(rounds)

    @property
    def candidates(self) -> int:
        """K: pass plus one per move of the actor."""
        return 1 + len(self.slots)

    def act(self, obs: Observation) -> np.ndarray:
        B, M = obs.legal.shape
        orders = np.zeros((B, M), dtype=bool)
        st = obs.state
        if not self.slots:
            return orders
        rows = np.nonzero(~st.ended & obs.legal[:, self.slots].any(axis=1))[0]
        if rows.size == 0:
            return orders
        sub = st.take(rows)
        budget = Budget(self.model, sub, self.actor)
        chosen = np.zeros((rows.size, M), dtype=bool)
        live = np.ones(rows.size, dtype=bool)
        for _ in range(self.rounds):
            # Candidates this round: each legal move that still fits with what was chosen, or stop.
            fits = np.stack([budget.fits(s, obs.legal[rows, s]) for s in self.slots], axis=1) & live[:, None]
            todo = np.nonzero(fits.any(axis=1))[0]
            if todo.size == 0:
                break
            best = self.evaluate(sub.take(todo), fits[todo], chosen[todo]).argmax(axis=1)  # pass wins ties
            live[:] = False
            picked = best > 0
            live[todo[picked]] = True
            for j, s in enumerate(self.slots, start=1):
                where = np.zeros(rows.size, dtype=bool)
                where[todo[best == j]] = True
                if where.any():
                    budget.take(s, where)
            chosen = budget.chosen
        orders[rows] = chosen
        return orders

    def evaluate(self, state: BatchState, legal: np.ndarray, chosen: np.ndarray | None = None) -> np.ndarray:
        """[B, K] score of each candidate (pass, then each move) after the rollout; -inf if not allowed.

        Args:
            state: the games to plan for (the planner's view).
            legal: [B, len(slots)] bool, the candidate moves allowed in each game.
            chosen: [B, M] bool, orders already fixed this turn (added to every candidate).
        """
        model, me, K = self.model, self.actor, self.candidates
        B = state.batch
        valid = np.ones((B, K), dtype=bool)
        valid[:, 1:] = legal
        # Only the (game, candidate) pairs that are allowed are simulated: most of a role's moves
        # (proposal answers above all) are not legal in most games.
        flat = np.nonzero(valid.reshape(-1))[0]
        S = self.samples
        flat_rows = np.repeat(flat, S)  # each allowed (game, candidate) pair, once per sample
        sim = state.fork(flat_rows // K)
        # The planner's own stream: keyed by the real seed, the actor and the turn (not the real future).
        # Sample j of game g plays as game g * S + j of that stream: every candidate of a game meets
        # the same S futures (common random numbers).
        sim.seed = rng.derive_seed(state.seed, self._site, state.turn)
        if S > 1:
            sim.games = sim.games * np.uint64(S) + np.tile(np.arange(S, dtype=np.uint64), flat.size)
        first = np.zeros((flat_rows.size, len(model.moves)), dtype=bool)
        cand = flat_rows % K
        for c, s in enumerate(self.slots, start=1):
            first[cand == c, s] = True
        if chosen is not None:
            first |= chosen[flat_rows // K]
        play_out(model, sim, self._rollout, me, self.depth, first, _or_in)
        score = np.full(B * K, -np.inf)
        score[flat] = sim.scores[:, me].reshape(flat.size, S).mean(axis=1)
        return score.reshape(B, K)
