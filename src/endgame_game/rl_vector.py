"""Gymnasium environments for one role against AI opponents, on the batch engine.

Needs the ``rl`` extra (``pip install 'endgame-game[rl]'``).

    >>> from endgame_game.rl_vector import EndgameVectorEnv
    >>> env = EndgameVectorEnv("endgame-2024", role="kyiv", num_envs=4096)   # doctest: +SKIP
    >>> obs, infos = env.reset(seed=1)                                        # doctest: +SKIP
    >>> obs, rewards, terms, truncs, infos = env.step(env.action_space.sample())  # doctest: +SKIP

``EndgameVectorEnv`` is a ``gymnasium.vector.VectorEnv``: its ``N`` games are one engine batch, so one
``step`` plays one turn of all ``N`` games at once (opponents included). ``EndgameEnv`` is the same
for one game, a plain ``gymnasium.Env`` (it passes ``gymnasium.utils.env_checker.check_env``).

==================  =============================================================================
Actions             a role's full set of orders for a turn: ``MultiDiscrete([2] * K)`` over its
                    ``K`` moves (``env.move_ids``), 1 = take the move. Orders are applied in move
                    order while they are legal and fit the action points and resources together;
                    the rest are dropped (``infos["dropped"]`` counts them per game)
Action mask         ``infos["action_mask"]``: ``[N, 2K]`` int8 (for each move ``[1, legal]``, the
                    layout MaskablePPO uses for MultiDiscrete); ``EndgameEnv.action_masks()`` too
Observations        ``Box(float32)``: every value slot as the role observes it (others' through the
                    ruleset's intelligence noise), the turn, the turns left, and 1.0 once the game
                    has ended
Rewards             the change of the role's score in the turn
Episodes            the games of a batch advance in lockstep (the engine's turn is shared). A game
                    that reaches its ending first becomes absorbing: reward 0, only "take nothing"
                    legal, the ended feature 1; every game terminates together when the last one
                    ends (the returns are those of the real episodes). The next ``step`` after that
                    starts the next ``N`` games (``AutoresetMode.NEXT_STEP``)
Seeding             ``reset(seed=s)`` starts games ``0..N-1`` of seed ``s``; each later batch the next
                    ``N`` indices: game ``i`` is game ``i`` of ``endgame batch`` with the same agents
==================  =============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
    from gymnasium.vector import AutoresetMode, VectorEnv
    from gymnasium.vector.utils import batch_space
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("endgame_game.rl_vector needs the rl extra: pip install 'endgame-game[rl]'") from e

from endgame_game.ai.base import Agent
from endgame_game.ai.loading import make_agent
from endgame_game.ai.play import play_turn
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.orders import Budget
from endgame_game.errors import EndgameError


class _Orders:
    """Fixed orders as an agent (so one ``play_turn`` resolves the role and its opponents together)."""

    reads = np.zeros(0, dtype=np.int64)  # reads no estimates: no intelligence noise drawn for it

    def __init__(self, orders: np.ndarray):
        self.orders = orders

    def act(self, obs: Any) -> np.ndarray:
        return self.orders


class _Batch:
    """N games of one role against AI opponents: the shared core of the environments."""

    def __init__(self, ruleset: str | Path | CompiledModel, role: str, n: int,
                 opponents: str | Mapping[str, str] = "doctrine", overrides: Mapping[str, Any] | None = None):
        self.model = m = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
        if role not in m.actor_index:
            raise EndgameError(f"no actor {role!r} in {m.id}")
        self.role = role
        self.actor = m.actor_index[role]
        self.slots = list(m.moves_of[self.actor])
        if not self.slots:
            raise EndgameError(f"{role} has no moves in {m.id}: it cannot be trained")
        if n < 1:
            raise EndgameError("num_envs must be 1 or more")
        self.n = int(n)
        self.opponents: dict[str, Agent] = {}
        for i, a in enumerate(m.actors):
            if a == role or not m.moves_of[i]:
                continue
            spec = opponents.get(a, "doctrine") if isinstance(opponents, Mapping) else opponents
            if spec in ("doctrine", "mixed") and not m.doctrines.get(a):
                spec = "random"
            self.opponents[a] = make_agent(spec, m, a)
        self.obs_dim = len(m.symbols.values) + 3
        self.seed = 0
        self.next_game = 0
        self.game: Game | None = None
        self.last_score = np.zeros(self.n)

    def reset(self, seed: int | None) -> None:
        if seed is not None:
            self.seed, self.next_game = int(seed), 0
        games = np.arange(self.next_game, self.next_game + self.n, dtype=np.uint64)
        self.next_game += self.n
        self.game = Game(self.model, seed=self.seed, games=games, log=False, history=False)
        self.last_score = self.game.state.scores[:, self.actor].astype(np.float64).copy()

    def observe(self) -> tuple[np.ndarray, np.ndarray]:
        g = self.game
        assert g is not None
        ob = g.observe(self.role)
        ended = g.state.ended
        turn = float(g.turn)
        obs = np.empty((self.n, self.obs_dim), dtype=np.float32)
        obs[:, :-3] = ob.values
        obs[:, -3] = turn
        obs[:, -2] = float(self.model.max_turns) - turn + 1
        obs[:, -1] = ended
        legal = ob.legal[:, self.slots] & ~ended[:, None]
        mask = np.ones((self.n, len(self.slots), 2), dtype=np.int8)
        mask[:, :, 1] = legal
        return obs, mask.reshape(self.n, -1)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Play one turn with ``actions`` [N, K] (0/1); returns (rewards, dropped orders, ended)."""
        g = self.game
        assert g is not None
        want = np.asarray(actions).reshape(self.n, len(self.slots)).astype(bool)
        budget = Budget(self.model, g.state, self.actor)
        legal = g.legal_mask(self.role)
        running = ~g.state.ended
        dropped = np.zeros(self.n, dtype=np.int64)
        for k, s in enumerate(self.slots):
            w = want[:, k] & running
            ok = budget.fits(s, legal[:, s]) & w
            budget.take(s, ok)
            dropped += w & ~ok
        # The role's orders fit by construction (Budget) and built-in opponents only pick orders that
        # fit: one turn for everyone without re-validating them (as batch runs do).
        play_turn(g, {self.role: _Orders(budget.chosen), **self.opponents}, validate=False)
        score = g.state.scores[:, self.actor].astype(np.float64)
        rewards = score - self.last_score
        self.last_score = score.copy()
        return rewards.astype(np.float32), dropped, g.state.ended.copy()

    def move_ids(self) -> list[str]:
        return [self.model.moves[s].id for s in self.slots]

    def render(self, game: int = 0) -> str:
        g = self.game
        if g is None:
            return "(no game: call reset())"
        m = self.model
        head = f"{m.meta.title} — turn {g.turn}, game {int(g.state.games[game])} of seed {self.seed}"
        if g.state.ended[game]:
            head += f" — ended: {m.endings[int(g.state.ending[game])].label}"
        vals = ", ".join(f"{name} {g.state.values[game, j]:.4g}" for j, name in enumerate(m.symbols.values))
        scores = ", ".join(f"{m.actors[a]} {g.state.scores[game, a]:.3g}" for a in sorted(m.scores))
        return f"{head}\n  {vals}\n  scores: {scores}"


class EndgameVectorEnv(VectorEnv):  # type: ignore[misc]
    """``num_envs`` games of one role against AI opponents, stepped together by the batch engine."""

    metadata = {"render_modes": ["ansi", "human"], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, ruleset: str | Path | CompiledModel = "endgame-2024", *, role: str, num_envs: int = 64,
                 opponents: str | Mapping[str, str] = "doctrine", overrides: Mapping[str, Any] | None = None,
                 render_mode: str | None = None):
        if render_mode not in (None, "ansi", "human"):
            raise EndgameError(f"render_mode must be None, 'ansi' or 'human', got {render_mode!r}")
        self._b = _Batch(ruleset, role, num_envs, opponents, overrides)
        self.num_envs = self._b.n
        self.render_mode = render_mode
        self.single_observation_space = spaces.Box(-np.inf, np.inf, shape=(self._b.obs_dim,), dtype=np.float32)
        self.single_action_space = spaces.MultiDiscrete([2] * len(self._b.slots))
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._needs_reset = True

    @property
    def model(self) -> CompiledModel:
        return self._b.model

    @property
    def move_ids(self) -> list[str]:
        """Action dimension ``k`` orders move ``move_ids[k]``."""
        return self._b.move_ids()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        self._b.reset(seed)
        self._needs_reset = False
        obs, mask = self._b.observe()
        return obs, {"action_mask": mask, "game": self._b.game.state.games.astype(np.int64)}  # type: ignore[union-attr]

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._needs_reset:  # the batch ended last step: this step starts the next N games
            obs, infos = self.reset()
            zeros = np.zeros(self.num_envs, dtype=bool)
            return obs, np.zeros(self.num_envs, dtype=np.float32), zeros, zeros.copy(), infos
        rewards, dropped, ended = self._b.step(actions)
        done = bool(ended.all())
        self._needs_reset = done
        obs, mask = self._b.observe()
        terms = np.full(self.num_envs, done)
        g = self._b.game
        assert g is not None
        infos = {"action_mask": mask, "dropped": dropped, "ended": ended,
                 "game": g.state.games.astype(np.int64)}
        if self.render_mode == "human":
            print(self.render())
        return obs, rewards, terms, np.zeros(self.num_envs, dtype=bool), infos

    def render(self) -> str | None:  # type: ignore[override]
        if self.render_mode is None:
            return None
        return self._b.render(0)

    def close_extras(self, **kwargs: Any) -> None:
        self._b.game = None


class EndgameEnv(gym.Env):  # type: ignore[misc]
    """One game of one role against AI opponents: a plain ``gymnasium.Env`` (the vector env with N = 1)."""

    metadata = {"render_modes": ["ansi", "human"]}

    def __init__(self, ruleset: str | Path | CompiledModel = "endgame-2024", *, role: str,
                 opponents: str | Mapping[str, str] = "doctrine", overrides: Mapping[str, Any] | None = None,
                 render_mode: str | None = None):
        if render_mode not in (None, "ansi", "human"):
            raise EndgameError(f"render_mode must be None, 'ansi' or 'human', got {render_mode!r}")
        self._b = _Batch(ruleset, role, 1, opponents, overrides)
        self.render_mode = render_mode
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(self._b.obs_dim,), dtype=np.float32)
        self.action_space = spaces.MultiDiscrete([2] * len(self._b.slots))
        self._mask = np.ones(2 * len(self._b.slots), dtype=np.int8)

    @property
    def move_ids(self) -> list[str]:
        return self._b.move_ids()

    def action_masks(self) -> np.ndarray:
        """[2K] int8: for each move, [1, legal now] (MaskablePPO's MultiDiscrete layout)."""
        return self._mask.astype(bool)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._b.reset(seed)
        obs, mask = self._b.observe()
        self._mask = mask[0]
        return obs[0], {"action_mask": mask[0], "game": int(self._b.game.state.games[0])}  # type: ignore[union-attr]

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._b.game is None or self._b.game.done:
            raise EndgameError("call reset() first: the episode is over")
        rewards, dropped, ended = self._b.step(np.asarray(action)[None, :])
        obs, mask = self._b.observe()
        self._mask = mask[0]
        if self.render_mode == "human":
            print(self.render())
        return obs[0], float(rewards[0]), bool(ended[0]), False, {"action_mask": mask[0], "dropped": int(dropped[0])}

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        return self._b.render(0)
