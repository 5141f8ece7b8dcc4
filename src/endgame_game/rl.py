"""A PettingZoo Parallel API adapter, so RL users can train on any ruleset.

Needs the ``rl`` extra (``pip install 'endgame-game[rl]'``: pettingzoo and gymnasium).

    >>> from endgame_game.rl import parallel_env
    >>> env = parallel_env("endgame-2024", roles=["kyiv"], opponents="doctrine")   # doctest: +SKIP
    >>> obs, infos = env.reset(seed=42)                                             # doctest: +SKIP
    >>> obs, rewards, terms, truncs, infos = env.step({"kyiv": 0})                  # doctest: +SKIP

==================  =============================================================================
Agents              the ``roles`` you train (default: every actor with moves and a score); every
                    other actor is played by ``opponents`` (an agent spec: ``doctrine``,
                    ``random``, ``lookahead``, ``pkg.mod:Class``; or a mapping role → spec)
Actions             ``action_mode="single"`` (default): ``Discrete(1 + moves)``: 0 = pass, ``i`` = the
                    actor's ``i``-th move (``env.move_ids(agent)``), one move per turn; an action
                    that is not legal is ignored (the agent passes), ``infos[agent]["illegal"]``.
                    ``action_mode="multi"``: the role's full set of orders, ``MultiDiscrete([2] *
                    moves)`` (1 = take it), applied in move order while legal and within the action
                    points and resources; ``infos[agent]["dropped"]`` counts the orders dropped
Observations        ``{"observation": Box(float32), "action_mask": Box(int8)}``: what the actor
                    observes (every value slot, others' through the ruleset's intelligence noise),
                    then the turn and the turns left; the mask marks the legal actions (pass always).
                    In "multi" mode the observation's second key is ``"legal"`` ([moves] int8) and
                    ``infos[agent]["action_mask"]`` is the mask as ``MultiDiscrete.sample(mask)``
                    takes it (one ``[1, legal]`` pair per move)
State               ``env.state()`` / ``env.state_space``: every value slot, exact (centralised critics)
Rendering           ``render_mode="ansi"`` returns the last turn's narration, ``"human"`` prints it
Rewards             the change of the actor's score this turn (they add up to the final score minus
                    the score at the start)
Termination         when the game reaches an ending (the ruleset's last turn included); never truncated
Seeding             ``reset(seed=s)`` starts game 0 of seed ``s``; each later ``reset()`` starts the
                    next game index. A (seed, game index) pair is the same game as in
                    ``endgame batch`` with the same agents: episodes are reproducible
==================  =============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

try:
    from gymnasium import spaces
    from pettingzoo.utils.env import ParallelEnv
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("endgame_game.rl needs the rl extra: pip install 'endgame-game[rl]' "
                      "(pettingzoo and gymnasium)") from e

from endgame_game.ai.base import Agent
from endgame_game.ai.loading import make_agent
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.orders import Budget
from endgame_game.errors import EndgameError


class EndgameParallelEnv(ParallelEnv):  # type: ignore[misc]
    """One game of a ruleset as a PettingZoo ``ParallelEnv`` (simultaneous moves, like the engine)."""

    metadata = {"name": "endgame_v0", "render_modes": ["ansi", "human"], "is_parallelizable": True}

    def __init__(self, ruleset: str | Path | CompiledModel = "endgame-2024", *, roles: Sequence[str] | None = None,
                 opponents: str | Mapping[str, str] = "doctrine", overrides: Mapping[str, Any] | None = None,
                 seed: int = 0, render_mode: str | None = None, action_mode: str = "single"):
        self.model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
        m = self.model
        if roles is None:
            roles = [a for i, a in enumerate(m.actors) if m.moves_of[i] and i in m.scores]
        for r in roles:
            if r not in m.actor_index:
                raise EndgameError(f"no actor {r!r} in {m.id}")
            if not m.moves_of[m.actor_index[r]]:
                raise EndgameError(f"{r} has no moves in {m.id}: it cannot be trained")
        if render_mode not in (None, "ansi", "human"):
            raise EndgameError(f"render_mode must be None, 'ansi' or 'human', got {render_mode!r}")
        if action_mode not in ("single", "multi"):
            raise EndgameError(f"action_mode must be 'single' or 'multi', got {action_mode!r}")
        self.render_mode = render_mode
        self.action_mode = action_mode
        self.possible_agents: list[str] = list(roles)
        self.agents: list[str] = []
        self._slots = {r: list(m.moves_of[m.actor_index[r]]) for r in roles}
        self._opponents: dict[str, Agent] = {}
        for i, a in enumerate(m.actors):
            if a in roles or not m.moves_of[i]:
                continue
            spec = opponents.get(a, "doctrine") if isinstance(opponents, Mapping) else opponents
            if spec == "doctrine" and not m.doctrines.get(a):
                spec = "random"
            self._opponents[a] = make_agent(spec, m, a)
        n_obs = len(m.symbols.values) + 2
        multi = action_mode == "multi"
        self._obs_spaces = {
            r: spaces.Dict({
                "observation": spaces.Box(-np.inf, np.inf, shape=(n_obs,), dtype=np.float32),
                ("legal" if multi else "action_mask"): spaces.Box(0, 1, shape=(len(self._slots[r]) + (not multi),),
                                                                  dtype=np.int8),
            })
            for r in roles
        }
        self._act_spaces = {r: spaces.MultiDiscrete([2] * len(self._slots[r])) if multi
                            else spaces.Discrete(1 + len(self._slots[r])) for r in roles}
        self.state_space = spaces.Box(-np.inf, np.inf, shape=(len(m.symbols.values),), dtype=np.float32)
        self._seed = int(seed)
        self._episode = -1
        self.game: Game | None = None
        self._last_score: dict[str, float] = {}

    # -- spaces (the same object every call, as PettingZoo requires) --
    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_spaces[agent]

    def move_ids(self, agent: str) -> list[str]:
        """Action ``i`` (1-based) is ``move_ids(agent)[i - 1]``; action 0 is pass."""
        return [self.model.moves[s].id for s in self._slots[agent]]

    # -- episodes --
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        if seed is not None:
            self._seed = int(seed)
            self._episode = -1
        self._episode += 1
        self.game = Game(self.model, seed=self._seed, games=np.array([self._episode], dtype=np.uint64),
                         log=self.render_mode is not None, history=False)
        self.agents = list(self.possible_agents)
        self._last_score = {a: self._score(a) for a in self.agents}
        obs = {a: self._observe(a) for a in self.agents}
        return obs, {a: {"game": self._episode, "seed": self._seed, "turn": self.game.turn,
                         **({"action_mask": self._mask_tuple(obs[a])} if self.action_mode == "multi" else {})}
                     for a in self.agents}

    def step(self, actions: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float], dict[str, bool],
                                                         dict[str, bool], dict[str, Any]]:
        g = self.game
        if g is None or not self.agents:
            raise EndgameError("call reset() first: the episode is over")
        m = self.model
        illegal: dict[str, bool] = {}
        dropped: dict[str, int] = {}
        for a in (self.agents if self.action_mode == "multi" else []):
            want = np.asarray(actions.get(a, np.zeros(len(self._slots[a]))), dtype=np.int64).reshape(-1)
            budget = Budget(m, g.state, a)
            legal = g.legal_mask(a)
            n_drop = 0
            for k, s in enumerate(self._slots[a]):
                if k < want.size and want[k]:
                    ok = budget.fits(s, legal[:, s])
                    budget.take(s, ok)
                    n_drop += int(not ok[0])
            g.set_orders(a, budget.chosen)
            dropped[a] = n_drop
            illegal[a] = n_drop > 0
        for a in (self.agents if self.action_mode == "single" else []):
            act = int(actions.get(a, 0))
            orders = np.zeros((1, len(m.moves)), dtype=bool)
            if 0 < act <= len(self._slots[a]):
                s = self._slots[a][act - 1]
                legal_now = bool(g.legal_mask(a)[0, s])
                orders[0, s] = legal_now
                illegal[a] = not legal_now
            else:
                illegal[a] = act != 0
            g.set_orders(a, orders, validate=False)
        g.play(self._opponents, turns=1, validate=False)
        done = g.done
        rewards: dict[str, float] = {}
        for a in self.agents:
            score = self._score(a)
            rewards[a] = score - self._last_score[a]
            self._last_score[a] = score
        obs = {a: self._observe(a) for a in self.agents}
        terms = dict.fromkeys(self.agents, done)
        truncs = dict.fromkeys(self.agents, False)
        ending = m.endings[int(g.state.ending[0])].id if done else None
        infos = {a: {"illegal": illegal.get(a, False), "turn": g.turn, "ending": ending,
                     **({"dropped": dropped.get(a, 0), "action_mask": self._mask_tuple(obs[a])}
                        if self.action_mode == "multi" else {})} for a in self.agents}
        if done:
            self.agents = []
        return obs, rewards, terms, truncs, infos

    @staticmethod
    def _mask_tuple(ob: Mapping[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """The "multi" mask as ``MultiDiscrete.sample(mask)`` takes it: one [2] int8 array per move."""
        return tuple(np.array([1, x], dtype=np.int8) for x in ob["legal"])

    def _score(self, agent: str) -> float:
        assert self.game is not None
        return float(self.game.state.scores[0, self.model.actor_index[agent]])

    def _observe(self, agent: str) -> dict[str, np.ndarray]:
        g = self.game
        assert g is not None
        ob = g.observe(agent)
        turn = float(g.turn)
        vec = np.concatenate([ob.values[0], [turn, float(self.model.max_turns) - turn + 1]]).astype(np.float32)
        legal = ob.legal[0, self._slots[agent]]
        if self.action_mode == "multi":
            return {"observation": vec, "legal": legal.astype(np.int8)}
        mask = np.ones(1 + len(legal), dtype=np.int8)
        mask[1:] = legal
        return {"observation": vec, "action_mask": mask}

    def state(self) -> np.ndarray:
        """The true global state (every value slot, exact), for centralised critics."""
        assert self.game is not None
        return self.game.state.values[0].astype(np.float32)

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        if self.game is None:
            text = "(no game: call reset())"
        else:
            from endgame_game.report.text import narrate

            lines = [f"turn {self.game.turn}"]
            if self.game.logs:
                lines += list(narrate(self.model, self.game.logs[-1].for_game(0), turn=self.game.turn - 1))
            text = "\n".join(lines)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        self.game = None


def parallel_env(ruleset: str | Path | CompiledModel = "endgame-2024", **kwargs: Any) -> EndgameParallelEnv:
    """``EndgameParallelEnv(ruleset, **kwargs)``, PettingZoo's usual factory name."""
    return EndgameParallelEnv(ruleset, **kwargs)
