"""The app's game session: who plays which role, the AI for the rest, the turn flow, saves.

No Textual here: the screens read a ``Session`` and call its methods, so the flow is testable on its
own and the widgets stay thin. One turn goes: every human role orders in turn (behind a handover
screen in hot-seat), then ``engine.api.Game.play`` lets the agents order and resolves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from endgame_game.ai import make_agents
from endgame_game.ai.base import Agent
from endgame_game.ai.loading import refuse_code_from_file
from endgame_game.engine.api import Game, new_game
from endgame_game.engine.log import TurnLog
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError
from endgame_game.rules.expr import did_you_mean
from endgame_game.saves import autosave, latest_autosave, load_game, save_game

DEFAULT_RULESET = "endgame-2024"
SAVES_DIR = Path("saves")


def agent_choices(model: CompiledModel, actor: str) -> list[tuple[str, str]]:
    """(label, spec) of the agents on offer for an AI role: its doctrines (the first is the default),
    one of them drawn for this game, the lookahead planner (when the role has a score), then random."""
    docs = list(model.doctrines.get(actor, {}))
    out = [(f"doctrine:{d}", f"doctrine:{d}") for d in docs]
    if len(docs) > 1:
        out.append(("mixed: one of its doctrines, drawn for this game", "mixed"))
    if model.actor_index[actor] in model.scores:
        from endgame_game.ai.lookahead import DEFAULT_DEPTH

        out.append((f"lookahead: tries each move {DEFAULT_DEPTH} turns ahead", "lookahead"))
    return out + [("random", "random")]


class Session:
    """One game as the app plays it.

    Args:
        game: the game (new or loaded).
        humans: the roles played at this terminal, in the order they order each turn.
        agent_specs: role → agent spec for AI roles (default: each role's first doctrine).
        umpire: the umpire controls are on.
        saves_dir: where autosaves and saves go (None: never autosave).
    """

    def __init__(self, game: Game, humans: Sequence[str] = (), agent_specs: Mapping[str, str] | None = None, *,
                 umpire: bool = False, saves_dir: Path | str | None = SAVES_DIR, ruleset_ref: str = ""):
        self.game = game
        model = game.model
        for h in humans:
            if h not in model.playable:
                hint = did_you_mean(h, model.playable)
                raise EndgameError(f"no playable role {h!r} in {model.id}; roles: {', '.join(model.playable)}"
                                   + (f" ({hint})" if hint else ""))
        self.humans: tuple[str, ...] = tuple(dict.fromkeys(humans))
        self.agent_specs = {k: v for k, v in (agent_specs or {}).items() if k not in self.humans}
        self.agents: dict[str, Agent] = make_agents(model, self.agent_specs, humans=self.humans)
        self.agent_specs = {a: getattr(ag, "spec", type(ag).__name__) for a, ag in self.agents.items()}
        self.umpire = umpire
        self.saves_dir = Path(saves_dir) if saves_dir is not None else None
        self.ruleset_ref = ruleset_ref or model.ref
        self.pending: list[str] = []
        self.last_autosave: Path | None = None
        self.autosave_error: str = ""
        self.briefed: set[str] = set()
        self.umpire_lock = ""  # the umpire passphrase's salted hash (umpire_lock.py); "" = unlocked
        self.guided = False  # a guided first game: the game screen annotates the first turns (view.guide)
        self.begin_turn()

    # -- building --
    @classmethod
    def new(cls, ruleset: str | Path | CompiledModel = DEFAULT_RULESET, humans: Sequence[str] = (),
            agent_specs: Mapping[str, str] | None = None, *, seed: int = 0, umpire: bool = False,
            saves_dir: Path | str | None = SAVES_DIR, overrides: Mapping[str, Any] | None = None) -> Session:
        """A new game of ``ruleset`` (raises ``RulesetError``/``EndgameError`` with a readable message)."""
        game = new_game(ruleset, seed=seed, overrides=overrides)
        ref = ruleset if isinstance(ruleset, str | Path) else game.model.ref
        return cls(game, humans, agent_specs, umpire=umpire, saves_dir=saves_dir, ruleset_ref=str(ref))

    @property
    def model(self) -> CompiledModel:
        return self.game.model

    @property
    def hotseat(self) -> bool:
        return len(self.humans) > 1

    @property
    def done(self) -> bool:
        return self.game.done

    def meta(self) -> dict[str, Any]:
        """What a save needs to restore this session (the ``meta`` of ``save_game``)."""
        return {"humans": list(self.humans), "hotseat": self.hotseat, "umpire": self.umpire,
                "ruleset": self.ruleset_ref, **({"umpire_lock": self.umpire_lock} if self.umpire_lock else {}),
                **({"guided": True} if self.guided else {})}

    # -- the turn flow --
    def begin_turn(self) -> None:
        self.pending = [] if self.done else list(self.humans)

    @property
    def current_role(self) -> str | None:
        """The human role whose orders are awaited now (None when the turn is ready to resolve)."""
        return self.pending[0] if self.pending else None

    def confirm(self, role: str) -> None:
        """``role`` has finished its orders for this turn."""
        if role in self.pending:
            self.pending.remove(role)

    @property
    def ready(self) -> bool:
        return not self.pending and not self.done

    def resolve(self) -> TurnLog:
        """Let the agents order, resolve the turn and autosave. Blocking: the app runs it in a worker."""
        (tl,) = self.game.play(self.agents, turns=1)
        self.autosave()
        self.begin_turn()
        return tl

    # -- umpire --
    def rewind(self, turn: int) -> None:
        """Go back to the start of ``turn`` (``Game.rewind``: the same game, its abandoned line kept as a
        branch, the rewind logged)."""
        self.game.rewind(turn)
        self.begin_turn()

    # -- saves --
    def autosave(self) -> Path | None:
        if self.saves_dir is None:
            return None
        try:
            self.last_autosave = autosave(self.game, self.saves_dir, agents=self.agent_specs, meta=self.meta())
            self.autosave_error = ""
        except Exception as e:  # noqa: BLE001 - an autosave must never stop the game
            self.autosave_error = f"autosave failed: {e}"
        return self.last_autosave

    def save(self, path: Path | str) -> Path:
        """Save to ``path`` (raises ``EndgameError`` with a readable message)."""
        return Path(save_game(self.game, path, agents=self.agent_specs, meta=self.meta()))

    @classmethod
    def from_loaded(cls, loaded: Any, *, humans: Sequence[str] | None = None, umpire: bool | None = None,
                    saves_dir: Path | str | None = SAVES_DIR, agents: Mapping[str, str] | None = None,
                    trust_agents: bool = False) -> Session:
        """A session from a ``saves.LoadedGame``; roles and umpire come from its meta unless given.

        Args:
            agents: role → agent spec given by the user (the command line); replaces the save's for
                those roles, and is the only way a save's agent that names code is allowed to run.
            trust_agents: run whatever agents the save names (``--trust-agents``).

        Raises:
            EndgameError: the save names agent code the user did not pass or trust.
        """
        meta = dict(getattr(loaded, "meta", {}) or {})
        game: Game = loaded.game
        if humans is None:
            humans = [h for h in meta.get("humans", []) if h in game.model.actor_index]
            if not humans and game.model.playable:
                humans = [game.model.playable[0]]
        if umpire is None:
            umpire = bool(meta.get("umpire", False))
        given = dict(agents or {})
        saved = {r: s for r, s in dict(getattr(loaded, "agents", {}) or {}).items()
                 if r not in humans and given.get(r, s) == s}  # the saved agents that will be used
        path = getattr(loaded, "path", None)
        refuse_code_from_file(saved, f"the save {Path(path).name if path else ''}".rstrip(),
                              trusted=given, trust_all=trust_agents)
        specs = {**saved, **given}
        session = cls(game, humans, specs, umpire=umpire, saves_dir=saves_dir,
                      ruleset_ref=str(meta.get("ruleset", game.model.ref)))
        session.umpire_lock = str(meta.get("umpire_lock", ""))
        session.guided = bool(meta.get("guided", False))
        if game.turn > 1:
            session.briefed.update(session.humans)  # resuming: the briefing stays one key away (b)
        return session


def load_session(path: Path | str, *, upto: int | None = None, humans: Sequence[str] | None = None,
                 umpire: bool | None = None, saves_dir: Path | str | None = SAVES_DIR,
                 agents: Mapping[str, str] | None = None, trust_agents: bool = False) -> Session:
    """Load a save into a session (raises ``EndgameError`` with a readable message); ``agents`` and
    ``trust_agents`` as in ``Session.from_loaded``."""
    try:
        loaded = load_game(path, upto=upto)
    except EndgameError:
        raise
    except FileNotFoundError:
        raise EndgameError(f"no save file {str(path)!r}") from None
    except Exception as e:  # noqa: BLE001 - a bad save is a message, never a crash
        raise EndgameError(f"cannot load {path}: {e}") from None
    return Session.from_loaded(loaded, humans=humans, umpire=umpire, saves_dir=saves_dir, agents=agents,
                               trust_agents=trust_agents)


def resume_latest(saves_dir: Path | str = SAVES_DIR, *, agents: Mapping[str, str] | None = None,
                  trust_agents: bool = False) -> Session | None:
    """The newest good autosave as a session, or None; ``agents`` and ``trust_agents`` as in
    ``Session.from_loaded``."""
    loaded = latest_autosave(saves_dir)
    if loaded is None:
        return None
    return Session.from_loaded(loaded, saves_dir=saves_dir, agents=agents, trust_agents=trust_agents)
