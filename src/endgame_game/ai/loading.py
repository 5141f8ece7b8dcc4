"""Agents by name: ``random``, ``doctrine[:name]``, ``mixed``, ``tuned[:role]``, ``rollout[:k[:s[:d]]]``,
``lookahead[:k]``, or ``package.module:Class``."""

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

BUILTIN = ("random", "doctrine", "mixed", "tuned", "rollout", "lookahead")
USAGE = ("use random, doctrine[:name], mixed, tuned, rollout[:candidates[:samples[:depth]]], "
         "lookahead[:depth[:samples]] or module:Class")
MAX_LOOKAHEAD_DEPTH = 24
MAX_LOOKAHEAD_SAMPLES = 64
"""Bounds on ``lookahead:DEPTH:SAMPLES`` wherever the spec comes from: one turn of ``lookahead:1:100000``
would copy the batch a hundred thousand times per candidate (gigabytes). 24 turns is longer than any
shipped scenario; 64 samples is eight times the default."""


def is_builtin(spec: str) -> bool:
    """True for the agents that ship with the engine; anything else names code to import and run."""
    return spec.partition(":")[0] in BUILTIN


def refuse_code_from_file(specs: Mapping[str, str], origin: str, *, trusted: Mapping[str, str] | None = None,
                          trust_all: bool = False) -> None:
    """A file (a save) is data: its agent specs may name only built-in agents, unless the user passed
    the same spec on the command line (``trusted``: role → spec) or ``--trust-agents`` (``trust_all``).

    Raises:
        EndgameError: naming every role whose agent would import code, and how to allow it.
    """
    if trust_all:
        return
    trusted = trusted or {}
    bad = [(role, spec) for role, spec in specs.items() if not is_builtin(spec) and trusted.get(role) != spec]
    if bad:
        names = ", ".join(f"{role}={spec}" for role, spec in bad)
        raise EndgameError(
            f"{origin} names agent code to import and run ({names}); a save is data and never runs code. "
            f"If you trust it, pass the same agent on the command line (--ai {bad[0][0]}={bad[0][1]}) "
            "or --trust-agents")


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
    if kind == "tuned":
        return _tuned_agent(spec, arg, model, actor)
    if kind == "rollout":
        from endgame_game.ai.rollout import DEFAULT_CANDIDATES, DEFAULT_DEPTH, DEFAULT_SAMPLES, RolloutAgent

        parts = arg.split(":") if arg else []
        if len(parts) > 3 or not all(_whole(x) for x in parts):
            raise EndgameError(f"bad agent {spec!r}: rollout[:CANDIDATES[:SAMPLES[:DEPTH]]] takes whole numbers, "
                               "e.g. rollout:8:4:4")
        k, n, d = ([int(x) for x in parts] + [DEFAULT_CANDIDATES, DEFAULT_SAMPLES, DEFAULT_DEPTH][len(parts):])
        return RolloutAgent(model, actor, candidates=k, samples=n, depth=d)  # plans with planning_policies
    if kind == "lookahead":
        from endgame_game.ai.lookahead import DEFAULT_DEPTH, DEFAULT_SAMPLES, LookaheadAgent

        depth, _, samples = arg.partition(":")
        if (depth and not _whole(depth)) or (samples and not _whole(samples)) or samples.count(":"):
            raise EndgameError(f"bad agent {spec!r}: the lookahead depth is a whole number, e.g. lookahead:3, "
                               "optionally with samples per candidate, e.g. lookahead:3:4")
        d = int(depth) if depth else DEFAULT_DEPTH
        n = int(samples) if samples else DEFAULT_SAMPLES
        if not (1 <= d <= MAX_LOOKAHEAD_DEPTH and 1 <= n <= MAX_LOOKAHEAD_SAMPLES):
            raise EndgameError(f"bad agent {spec!r}: the lookahead plays 1 to {MAX_LOOKAHEAD_DEPTH} turns ahead "
                               f"with 1 to {MAX_LOOKAHEAD_SAMPLES} samples per candidate")
        return LookaheadAgent(model, actor, depth=d, samples=n, rollout=planning_policies(model, model.actor_index[actor]))
    if kind and arg and kind not in BUILTIN:
        return _user_agent(spec, kind, arg, model, actor)
    raise EndgameError(f"unknown agent {spec!r}: {USAGE}" + _hint(kind, BUILTIN))


def _tuned_agent(spec: str, arg: str, model: CompiledModel, actor: str) -> Agent:
    """``tuned`` or ``tuned:ROLE``: the role's tuned policy file beside the ruleset (``ai.tuned``). The
    argument may only name the role itself (a policy orders that role's moves), so a save naming it
    stays bounded to the policy files of its ruleset."""
    from endgame_game.ai.tuned import TunedAgent

    if arg and arg != actor:
        raise EndgameError(f"bad agent {spec!r} for {actor}: a tuned policy plays the role it was trained for; "
                           f"use tuned or tuned:{actor}" + (_hint(arg, model.actors) if arg not in model.actors else ""))
    return TunedAgent(model, actor, spec=spec)


def rollout_policies(model: CompiledModel) -> dict[int, Agent]:
    """The policy each role follows inside a lookahead's rollouts: its tuned policy where the ruleset
    has one (the strongest fast policy), else its first doctrine, else random."""
    from endgame_game.ai.lookahead import rollout_agents
    from endgame_game.ai.tuned import TunedAgent, has_policy

    out = rollout_agents(model)
    for a in out:
        if has_policy(model, model.actors[a]):
            out[a] = TunedAgent(model, model.actors[a])
    return out


def planning_policies(model: CompiledModel, me: int) -> dict[int, Agent]:
    """Who plays what in a search agent's rollouts (the lookahead's and the rollout agent's): the
    planner's own later turns its rollout policy (``rollout_policies``); every other role with
    doctrines a population, one of its known policies (its tuned policy or one of its doctrines) drawn
    per rollout game, since the planner does not know which it faces.

    Planning against the tuned policies alone assumed the strongest opponent every time. Measured on
    endgame-2024 against the tournament's opponents (the doctrines, one drawn per game; seed 2): Kyiv's
    rollout agent beat its tuned policy in 60 % of 1,000 paired games with the tuned opponents, 69 %
    with the populations (Moscow 69 → 70 %, Washington 72 → 72 %, Brussels 75 → 78 %); Kyiv's lookahead
    49 → 59 % and Moscow's 51 → 52 % of 500."""
    from endgame_game.ai.tuned import TunedAgent, has_policy

    out = rollout_policies(model)
    for a in out:
        role = model.actors[a]
        if a != me and model.doctrines.get(role):
            policy = TunedAgent(model, role) if has_policy(model, role) else None
            out[a] = MixedDoctrineAgent(model, role, policy=policy)
    return out


def _user_agent(spec: str, module_name: str, attr: str, model: CompiledModel, actor: str) -> Agent:
    """``module:Class`` (``pkg.mod:Class``): import the module and build the class. Only for specs the
    user gave (command line, code); a save's specs pass ``refuse_code_from_file`` first."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise EndgameError(f"cannot import agent module {module_name!r} for {spec!r}: {e} ({USAGE})"
                           + _hint(module_name, BUILTIN)) from None
    cls = getattr(module, attr, None)
    if cls is None:
        raise EndgameError(f"module {module_name!r} has no {attr!r}")
    return agent_from_class(cls, model, actor, spec)


def agent_from_class(cls: object, model: CompiledModel, actor: str, spec: str) -> Agent:
    """Build a user agent ``cls(model, actor)`` (or ``cls()``); anything that fails is an EndgameError
    naming ``spec`` (``os.path:join`` is not an agent)."""
    if not isinstance(cls, type):
        raise EndgameError(f"{spec} is not an agent class: {USAGE}")
    try:
        try:
            agent = cls(model, actor)
        except TypeError:
            agent = cls()
    except Exception as e:
        raise EndgameError(f"cannot build agent {spec} for {actor}: {type(e).__name__}: {e}") from None
    if not callable(getattr(agent, "act", None)):
        raise EndgameError(f"{spec} has no act(observation) method")
    if not getattr(agent, "spec", None):
        try:  # so a save records the spec that made it, not the class name
            agent.spec = spec
        except (AttributeError, TypeError):
            pass
    return agent  # type: ignore[no-any-return]


def _whole(text: str) -> bool:
    """Plain ASCII digits, at most 6 of them (``str.isdigit`` takes '²' and '١')."""
    return len(text) <= 6 and text.isascii() and text.isdigit()


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
    (``doctrine`` and ``mixed`` fall back to ``random`` for an actor without doctrines, ``tuned`` to
    ``doctrine`` for an actor without a tuned policy)."""
    for role in specs:
        if role not in model.actor_index:
            raise EndgameError(f"no actor {role!r} in {model.id}" + _hint(role, model.actors))
    agents: dict[str, Agent] = {}
    for a, name in enumerate(model.actors):
        if name in humans or not model.moves_of[a]:
            continue
        spec = specs.get(name, default)
        if spec == "tuned" and name not in specs and not _has_tuned(model, name):
            spec = "doctrine"
        if spec in ("doctrine", "mixed") and not model.doctrines.get(name):
            spec = "random"
        agents[name] = make_agent(spec, model, name)
    return agents


def _has_tuned(model: CompiledModel, actor: str) -> bool:
    from endgame_game.ai.tuned import has_policy

    return has_policy(model, actor)


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

