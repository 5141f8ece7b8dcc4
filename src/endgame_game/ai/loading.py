"""Agents by name: ``random``, ``doctrine[:name]``, ``mixed``, ``lookahead[:k]``, or ``package.module:Class``."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from endgame_game.ai.base import Agent
from endgame_game.ai.doctrine import DoctrineAgent, MixedDoctrineAgent
from endgame_game.ai.random_agent import RandomAgent
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError
from endgame_game.rules.expr import did_you_mean

BUILTIN = ("random", "doctrine", "mixed", "lookahead")
USAGE = "use random, doctrine[:name], mixed, lookahead[:depth[:samples]] or package.module:Class"


def make_agent(spec: str, model: CompiledModel, actor: str) -> Agent:
    """Build the agent ``spec`` for ``actor``.

    Raises:
        EndgameError: unknown agent, doctrine or module, with what is known.
    """
    if actor not in model.actor_index:
        raise EndgameError(f"no actor {actor!r} in {model.id}" + _hint(actor, model.actors))
    kind, _, arg = spec.partition(":")
    if kind == "random":
        return RandomAgent(model, actor)
    if kind == "doctrine":
        return DoctrineAgent(model, actor, arg or None)
    if kind == "mixed" and not arg:
        return MixedDoctrineAgent(model, actor)
    if kind == "lookahead":
        from endgame_game.ai.lookahead import DEFAULT_DEPTH, DEFAULT_SAMPLES, LookaheadAgent

        depth, _, samples = arg.partition(":")
        if (depth and not depth.isdigit()) or (samples and not samples.isdigit()):
            raise EndgameError(f"bad agent {spec!r}: the lookahead depth is a whole number, e.g. lookahead:3, "
                               "optionally with samples per candidate, e.g. lookahead:3:4")
        return LookaheadAgent(model, actor, depth=int(depth) if depth else DEFAULT_DEPTH,
                             samples=int(samples) if samples else DEFAULT_SAMPLES)
    if "." in kind and arg:
        try:
            module = importlib.import_module(kind)
        except ImportError as e:
            raise EndgameError(f"cannot import agent module {kind!r}: {e}") from None
        cls = getattr(module, arg, None)
        if cls is None:
            raise EndgameError(f"module {kind!r} has no {arg!r}")
        try:
            agent = cls(model, actor)
        except TypeError:
            agent = cls()
        if not callable(getattr(agent, "act", None)):
            raise EndgameError(f"{spec} has no act(observation) method")
        return agent  # type: ignore[no-any-return]
    raise EndgameError(f"unknown agent {spec!r}: {USAGE}" + _hint(kind, BUILTIN))


def parse_agent_specs(text: str | list[str] | None) -> dict[str, str]:
    """``"moscow=doctrine:hawk,kyiv=random"`` (or a list of such) → ``{"moscow": "doctrine:hawk", ...}``."""
    out: dict[str, str] = {}
    items: list[str] = []
    for chunk in [text] if isinstance(text, str) else (text or []):
        items += [x for x in chunk.split(",") if x.strip()]
    for item in items:
        role, sep, spec = item.partition("=")
        if not sep or not role.strip() or not spec.strip():
            raise EndgameError(f"bad agent assignment {item!r}: expected ROLE=AGENT, e.g. kyiv=doctrine:dove")
        out[role.strip()] = spec.strip()
    return out


def make_agents(model: CompiledModel, specs: Mapping[str, str], default: str = "doctrine",
                humans: tuple[str, ...] = ()) -> dict[str, Agent]:
    """Agents for every actor with moves that is not human: ``specs`` first, else ``default``
    (``doctrine`` and ``mixed`` fall back to ``random`` for an actor without doctrines)."""
    for role in specs:
        if role not in model.actor_index:
            raise EndgameError(f"no actor {role!r} in {model.id}" + _hint(role, model.actors))
    agents: dict[str, Agent] = {}
    for a, name in enumerate(model.actors):
        if name in humans or not model.moves_of[a]:
            continue
        spec = specs.get(name, default)
        if spec in ("doctrine", "mixed") and not model.doctrines.get(name):
            spec = "random"
        agents[name] = make_agent(spec, model, name)
    return agents


def _hint(word: str, known: object) -> str:
    h = did_you_mean(word, known)  # type: ignore[arg-type]
    return f" ({h})" if h else ""


def describe_agents(agents: Mapping[str, Agent], state: BatchState | None = None) -> str:
    """``moscow=mixed (hawk), kyiv=lookahead:4:8``: each role's agent spec, and for ``mixed`` the
    doctrine the first game of ``state`` drew."""
    parts = []
    for role, agent in agents.items():
        text = f"{role}={getattr(agent, 'spec', type(agent).__name__)}"
        doctrine_of = getattr(agent, "doctrine_of", None)
        if doctrine_of is not None and state is not None and state.batch:
            text += f" ({doctrine_of(state)[0]})"
        parts.append(text)
    return ", ".join(parts)

