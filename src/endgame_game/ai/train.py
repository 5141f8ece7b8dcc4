"""Training a tuned policy by simulation: the cross-entropy method over doctrine-rule weights.

The search space for a role is every rule of every one of its doctrines (move and condition, as the
ruleset's author wrote them), plus each of its moves unconditionally, plus the weight of passing.
A candidate policy is a vector of log-weights, one per rule; a rule below ``CUT`` is left out, so
the search can also drop rules (and a tuned policy costs about what a doctrine costs).

Each generation plays ``population`` candidates (and the current mean) and every one of the role's
doctrines on the same ``games`` fresh game keys, all in one batch (common random numbers: every
candidate meets the same dice and the same opponents' draws), with the other roles on ``mixed``.
A candidate's fitness is its worst paired win share over the doctrines: for each doctrine, the share of
those games in which its role scores higher than that doctrine's (ties count half), and the lowest of
these. A policy tuned against the best doctrine by mean score alone could lose most paired games to
another (Washington's did: 70 % against ``steady``, 46 % against ``disengage``, whose mean is lower but
which wins more games). ``against="best"`` trains against the best doctrine only, as before. The search
starts from the rules of the doctrine that does best by that fitness (``Trainer.best_doctrine``: the
highest worst pairing against the other doctrines; with ``against="best"``, the best mean). The elite
quarter sets the next mean and spread. With ``starts="every"`` (the default) the search runs once from
each of the role's doctrines, on the same games, and keeps the result that does best on fresh selection
games (before the evaluation's): the best start by the doctrines' own pairings is not always the best end
(Brussels' search from ``steadfast`` ended at 61 % against ``cautious``; from ``cautious``, at 67.5 % against
either).

A role that takes part in negotiations with terms bargains as its doctrines do (``ai.bargain``): the
policy's ``[bargain]`` table takes that doctrine's style (``firm``, ``prefer``, ``avoid``) and one
more dimension of the search, how much it ``concede``s (0 to ``CONCEDE_MAX`` score points).

Everything is keyed by ``seed``: the same command makes the same file, bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from endgame_game.ai.base import Agent, orders_only
from endgame_game.ai.doctrine import DoctrineAgent
from endgame_game.ai.loading import make_agents
from endgame_game.ai.play import run_games
from endgame_game.ai.tuned import (
    Bargain,
    CompiledPolicy,
    Policy,
    TunedAgent,
    TunedRule,
    check_policy,
    ruleset_digest,
)
from endgame_game.engine import rng
from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import site_key
from endgame_game.rules.expr import did_you_mean

CUT = -3.0
"""Log-weight below which a rule is left out of the policy (weight under 0.05)."""
OFF = -4.0
"""Where the search starts a rule the starting doctrine does not have."""
THETA_MIN, THETA_MAX = -6.0, 4.0
CONCEDE_MAX = 12.0
"""The most a tuned policy concedes for a deal (score points; the default scenario's doctrines: 2 to 8)."""
CONCEDE_SIGMA = 2.0
"""The search's first spread for ``concede``."""


@dataclass
class TrainConfig:
    """How to train. The defaults take a few minutes per role on one core for endgame-2024."""

    generations: int = 20
    population: int = 32
    games: int = 600
    elite: float = 0.25
    sigma: float = 1.5
    sigma_min: float = 0.15
    smoothing: float = 0.7
    eval_games: int = 2000
    opponents: str = "mixed"
    against: str = "every"  # "every" doctrine (fitness: the worst pairing) or only the "best" by mean score
    starts: str = "every"  # search from "every" doctrine and keep the best, or only from the "best" one


@dataclass
class Generation:
    """What one generation measured."""

    index: int
    mean_share: float  # the current mean's fitness (its worst win share over the doctrines trained against)
    best_share: float  # the best candidate's
    elite_share: float  # the elite's average
    rules: int  # rules in the mean policy
    seconds: float
    start: str = ""  # the doctrine this search started from


@dataclass
class TrainResult:
    policy: Policy
    baseline: str
    doctrine_scores: dict[str, float]
    history: list[Generation] = field(default_factory=list)
    win_share: float = 0.0  # the worst of win_shares
    eval_games: int = 0
    win_shares: dict[str, float] = field(default_factory=dict)  # fresh paired games against each doctrine


def search_space(model: CompiledModel, role: str) -> list[TunedRule]:
    """Every distinct (move, condition) of the role's doctrines, then every move of the role unconditionally."""
    out: dict[tuple[str, str | None], None] = {}
    for d in model.ruleset.doctrines.get(role, {}).values():
        for r in d.rules:
            out.setdefault((r.move, r.when), None)
    for s in model.moves_of[model.actor_index[role]]:
        out.setdefault((model.moves[s].id, None), None)
    return [TunedRule(m, w, 1.0) for m, w in out]


class _Blocks:
    """One agent per block of ``n`` consecutive rows: many policies in one batch (each block a sub-batch)."""

    def __init__(self, agents: list[Agent], n: int, reads: np.ndarray | None):
        self.agents, self.n, self.reads = agents, n, reads

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        orders = np.zeros_like(obs.legal)
        terms: np.ndarray | None = None
        for b, agent in enumerate(self.agents):
            sl = slice(b * self.n, (b + 1) * self.n)
            sub = Observation(obs.actor, obs.values[sl], obs.spread[sl], obs.exact, obs.legal[sl], obs.state.take(sl))
            got = agent.act(sub)
            if isinstance(got, tuple):  # a bargaining agent's terms go with its orders
                if terms is None:
                    terms = np.full((obs.legal.shape[0], *got[1].shape[1:]), np.nan)
                terms[sl] = got[1]
            orders[sl] = orders_only(got)
        return orders if terms is None else (orders, terms)


class Trainer:
    """The cross-entropy method for one role (see the module docstring)."""

    def __init__(self, model: CompiledModel, role: str, seed: int = 1, config: TrainConfig | None = None):
        if role not in model.actor_index:
            raise EndgameError(f"no role {role!r} in {model.id}" + _hint(role, model.actors))
        if not model.doctrines.get(role):
            raise EndgameError(f"{role} has no doctrines in {model.id!r}: training starts from its doctrines' rules")
        if model.actor_index[role] not in model.scores:
            raise EndgameError(f"{role} has no score in {model.id!r}: there is nothing to train for")
        self.model, self.role, self.seed = model, role, int(seed)
        self.config = config or TrainConfig()
        c = self.config
        if c.generations < 1 or c.population < 2 or c.games < 1 or c.eval_games < 0:
            raise EndgameError("training needs generations >= 1, population >= 2 and games >= 1")
        if c.against not in ("every", "best"):
            raise EndgameError(f"--against must be 'every' or 'best', not {c.against!r}")
        if c.starts not in ("every", "best"):
            raise EndgameError(f"--starts must be 'every' or 'best', not {c.starts!r}")
        self.space = search_space(model, role)
        self.n = len(self.space)  # theta: a log-weight per rule, the pass weight's, then concede if it bargains
        self.bargains = any(model.actor_index[role] in n.answerers for n in model.negotiation)
        self.style = Bargain()
        full = Policy(model.id, role, tuple(self.space))
        self.compiled = check_policy(full, model)  # compiles every condition once
        self.opponents = {k: v for k, v in make_agents(model, {}, default=c.opponents).items() if k != role}
        self._seed = rng.derive_seed(self.seed, site_key(f"train/{role}"))

    # -- policies from log-weights --
    def policy(self, theta: np.ndarray, trained: Mapping[str, object] | None = None) -> Policy:
        n = self.n
        rules = tuple(TunedRule(r.move, r.when, float(np.round(np.exp(t), 4)))
                      for r, t in zip(self.space, theta[:n], strict=True) if t >= CUT)
        pw = float(np.round(np.exp(theta[n]), 4)) if theta[n] >= CUT else 0.0
        bargain = None
        if self.bargains:
            s = self.style
            bargain = Bargain(float(np.round(np.clip(theta[n + 1], 0.0, CONCEDE_MAX), 4)), s.firm, s.prefer, s.avoid)
        return Policy(self.model.id, self.role, rules, pw, "Tuned",
                      f"Tuned by simulation against {self.role}'s doctrines.", dict(trained or {}), bargain=bargain)

    def agent(self, theta: np.ndarray) -> TunedAgent:
        rules = tuple((slot, fn, float(np.round(np.exp(t), 4)))
                      for (slot, fn, _), t in zip(self.compiled.rules, theta[:self.n], strict=True) if t >= CUT)
        if not rules:  # a policy that never moves: one rule it can never pick
            rules = ((self.compiled.rules[0][0], lambda env: False, 1.0),)
        cp = CompiledPolicy(self.policy(theta), rules, self.compiled.reads)
        return TunedAgent(self.model, self.role, cp)

    def start(self, baseline: str) -> np.ndarray:
        """The starting doctrine as log-weights (what the search starts from)."""
        d = self.model.ruleset.doctrines[self.role][baseline]
        theta = np.full(self.n + 1 + self.bargains, OFF)
        index = {(r.move, r.when): i for i, r in enumerate(self.space)}
        w = np.zeros(self.n)
        for r in d.rules:
            w[index[(r.move, r.when)]] += r.weight
        on = w > 0
        theta[:self.n][on] = np.clip(np.log(w[on]), CUT, THETA_MAX)
        if self.bargains:  # its style is the starting doctrine's; how much it concedes is searched
            self.style = self.style_of(baseline)
            theta[self.n + 1] = min(d.concede, CONCEDE_MAX)
        return theta

    def style_of(self, doctrine: str) -> Bargain:
        """How a policy started from ``doctrine`` bargains (its ``concede`` is the search's)."""
        d = self.model.ruleset.doctrines[self.role][doctrine]
        return Bargain(d.concede, tuple(d.firm), tuple(d.prefer), tuple(d.avoid))

    def _clip(self, theta: np.ndarray) -> np.ndarray:
        out = np.clip(theta, THETA_MIN, THETA_MAX)
        if self.bargains:
            out[..., self.n + 1] = np.clip(theta[..., self.n + 1], 0.0, CONCEDE_MAX)
        return out

    # -- playing --
    def scores(self, agents: list[Agent], seed: int, games: np.ndarray) -> np.ndarray:
        """[len(agents), len(games)] the role's score, each agent playing the same games."""
        n = games.size
        me = _Blocks(agents, n, None)
        game = Game(self.model, seed=seed, games=np.tile(games, len(agents)), log=False, history=False)
        run_games(game, {**self.opponents, self.role: me}, validate=False)
        return game.results()[f"score.{self.role}"].reshape(len(agents), n)

    def best_doctrine(self, games: int | None = None) -> tuple[str, dict[str, float]]:
        """The doctrine the search starts from, and every doctrine's mean score (others on the
        opponents' agents). Against every doctrine: the one whose worst paired win share over the
        others is highest (the fitness the search climbs); against the best: the highest mean score."""
        names = list(self.model.doctrines[self.role])
        keys = np.arange(games or self.config.games, dtype=np.uint64)
        s = self.scores([DoctrineAgent(self.model, self.role, d) for d in names],
                        rng.derive_seed(self._seed, site_key("baseline")), keys)
        means = {d: float(m) for d, m in zip(names, s.mean(axis=1), strict=True)}
        if self.config.against == "every" and len(names) > 1:
            worst = {d: float(_worst_share(s[k:k + 1], np.delete(s, k, axis=0))[0]) for k, d in enumerate(names)}
            return max(names, key=lambda d: (worst[d], means[d])), means
        return max(names, key=lambda d: means[d]), means

    def run(self, on_generation: Callable[[Generation], None] | None = None) -> TrainResult:
        c = self.config
        baseline, doctrine_scores = self.best_doctrine()
        every: list[Agent] = [DoctrineAgent(self.model, self.role, d) for d in doctrine_scores]
        bases = every if c.against == "every" else [every[list(doctrine_scores).index(baseline)]]
        starts = [baseline] + ([d for d in doctrine_scores if d != baseline] if c.starts == "every" else [])
        found = [self._search(start, bases, on_generation, f"cem/{start}" if k else "cem")
                 for k, start in enumerate(starts)]
        pick = 0
        if len(found) > 1:  # the best end on fresh selection games (not the evaluation's)
            keys = np.arange(c.games, dtype=np.uint64)
            ends: list[Agent] = []
            for start, (m, _) in zip(starts, found, strict=True):
                self.style = self.style_of(start)
                ends.append(self.agent(m))
            s = self.scores([*bases, *ends], rng.derive_seed(self._seed, site_key("select")), keys)
            share = _worst_share(s[len(bases):], s[:len(bases)])
            pick = int(np.argmax(share))  # the first of equals: the best start by the doctrines' pairings
        mean = found[pick][0]
        history = [g for _, h in found for g in h]  # every search's generations, in the order run
        baseline = starts[pick]
        self.style = self.style_of(baseline)
        win, shares = 0.0, {}
        if c.eval_games:  # measured against every doctrine, whatever it was trained against
            keys = np.arange(c.eval_games, dtype=np.uint64)
            s = self.scores([*every, self.agent(mean)], rng.derive_seed(self._seed, site_key("eval")), keys)
            shares = {d: round(float(_win_share(s[-1:], s[k])[0]), 4) for k, d in enumerate(doctrine_scores)}
            win = min(shares.values())
        trained = {
            "command": f"endgame train {self.model.ref} --role {self.role} --seed {self.seed}" + _flags(c),
            "seed": self.seed, "generations": c.generations, "population": c.population, "games": c.games,
            "opponents": c.opponents, "baseline": f"doctrine:{baseline}", "against": c.against,
            "starts": c.starts, "win_share": round(win, 4), "win_shares": shares, "eval_games": c.eval_games,
            "ruleset_version": self.model.meta.version, "ruleset_digest": ruleset_digest(self.model),
        }
        return TrainResult(self.policy(mean, trained), baseline, doctrine_scores, history, win, c.eval_games, shares)

    def _search(self, start: str, bases: list[Agent], on_generation: Callable[[Generation], None] | None,
                site: str) -> tuple[np.ndarray, list[Generation]]:
        """The cross-entropy method from doctrine ``start`` (its draws keyed by ``site``): the final mean,
        and each generation."""
        c = self.config
        nb = len(bases)
        mean = self.start(start)
        sigma = np.full(mean.size, c.sigma)
        if self.bargains:
            sigma[self.n + 1] = CONCEDE_SIGMA
        rand = np.random.default_rng(rng.derive_seed(self._seed, site_key(site)))
        n_elite = max(1, int(round(c.elite * c.population)))
        history: list[Generation] = []
        for g in range(c.generations):
            t0 = time.perf_counter()
            pop = self._clip(mean + sigma * rand.standard_normal((c.population, mean.size)))
            keys = np.arange(g * c.games, (g + 1) * c.games, dtype=np.uint64)
            agents: list[Agent] = [*bases, self.agent(mean), *(self.agent(t) for t in pop)]
            s = self.scores(agents, self._seed, keys)
            share = _worst_share(s[nb:], s[:nb])
            fit = share[1:]
            elite = np.argsort(-fit, kind="stable")[:n_elite]
            e = pop[elite]
            mean = c.smoothing * e.mean(axis=0) + (1 - c.smoothing) * mean
            sigma = c.smoothing * e.std(axis=0) + (1 - c.smoothing) * sigma
            sigma = np.maximum(sigma, c.sigma_min)
            gen = Generation(g, float(share[0]), float(fit.max()), float(fit[elite].mean()),
                             int((mean[:self.n] >= CUT).sum()), time.perf_counter() - t0, start)
            history.append(gen)
            if on_generation is not None:
                on_generation(gen)
        return mean, history


def _flags(c: TrainConfig) -> str:
    d = TrainConfig()
    out = ""
    for name, flag in (("generations", "--generations"), ("population", "--population"), ("games", "--games"),
                       ("eval_games", "--eval-games"), ("opponents", "--opponents"), ("against", "--against"),
                       ("starts", "--starts")):
        if getattr(c, name) != getattr(d, name):
            out += f" {flag} {getattr(c, name)}"
    return out


def _win_share(scores: np.ndarray, base: np.ndarray) -> np.ndarray:
    """[K] the share of games each row beats ``base`` in (ties half)."""
    return ((scores > base).sum(axis=1) + 0.5 * (scores == base).sum(axis=1)) / base.size


def _worst_share(scores: np.ndarray, bases: np.ndarray) -> np.ndarray:
    """[K] each row's lowest win share against the rows of ``bases`` ([N, games])."""
    return np.min([_win_share(scores, b) for b in bases], axis=0)


def _hint(word: str, known: object) -> str:
    h = did_you_mean(word, known)  # type: ignore[arg-type]
    return f" ({h})" if h else ""


def train(model: CompiledModel, role: str, seed: int = 1, config: TrainConfig | None = None,
          on_generation: Callable[[Generation], None] | None = None) -> TrainResult:
    """Train a tuned policy for ``role`` (see the module docstring); deterministic for a seed."""
    return Trainer(model, role, seed, config).run(on_generation)
