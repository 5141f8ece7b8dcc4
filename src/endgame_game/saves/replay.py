"""Loading, rewinding and replaying saves.

A game is rebuilt by replaying its record (``engine.api.Game.from_record``) from the embedded ruleset,
which also rebuilds the turn logs and history the app and the report read, then compared with the
stored state: on the same platform and build every per-turn checksum and the final state must match
exactly, or the save is refused (it was edited or damaged). A save from another platform or engine
version that replays differently still opens, with a ``SaveWarning``, from its stored state.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.engine.api import Game, ReplayError
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.state import BatchState
from endgame_game.errors import EndgameError, SaveError
from endgame_game.saves.format import (
    FORMAT_VERSION,
    SaveData,
    SaveDataError,
    SaveWarning,
    decode_state,
    environment,
    first_difference,
    model_from_texts,
    same_environment,
)
from endgame_game.saves.store import read_save


@attrs.frozen
class LoadedGame:
    """A game loaded from a save, ready to continue.

    Attributes:
        game: the game (with turn logs and history rebuilt by the replay).
        agents: role → agent spec, as saved.
        meta: the app's data, as saved (plus ``branch`` after a rewind).
        path: the file it came from.
        header: the save's header (versions, ruleset, saved_at …).
        format_version: the format the file was written in (older ones were migrated).
        verified: the record replayed to exactly the stored state on this machine. False only for a
            save from another platform or build that replays differently (it then opens from its stored
            state with a ``SaveWarning``); such a save cannot be told apart from a consistent forgery.
    """

    game: Game
    agents: dict[str, str]
    meta: dict[str, Any]
    path: Path
    header: dict[str, Any] = attrs.Factory(dict)
    format_version: int = FORMAT_VERSION
    verified: bool = True


@attrs.frozen
class ReplayResult:
    """What ``replay_save`` found: every turn compared, and the first divergence if any."""

    turns: int
    diverged: int | None  # the first turn whose checksum differs
    state_matches: bool  # the final (stored) state equals the replayed one
    difference: str  # the first differing field of the final state, if any
    same_environment: bool
    game: Game | None = None

    @property
    def ok(self) -> bool:
        return self.diverged is None and self.state_matches


def _model(data: SaveData) -> CompiledModel:
    model: CompiledModel = model_from_texts(data.ruleset_files, data.record.ruleset, data.record.overrides, data.path)
    return model


def _stored(data: SaveData, model: CompiledModel) -> BatchState:
    state: BatchState = decode_state(data, model.new_state(batch=1), model)  # sized from the body, not the header
    return state


def _fill_estimates(data: SaveData, stored: BatchState, replayed: BatchState) -> None:
    """A save written before intelligence estimates were kept in the state has none stored: take the
    replay's (they are a function of the record, like everything the per-turn checksums cover)."""
    from endgame_game.engine.state import INTEL_ARRAYS

    if not any(n in data.state for n in INTEL_ARRAYS) and stored.batch == replayed.batch:
        for n in INTEL_ARRAYS:
            setattr(stored, n, getattr(replayed, n).copy(order="K"))


def _replay(data: SaveData, model: CompiledModel, upto: int | None = None,
            state: BatchState | None = None) -> tuple[Game, int | None]:
    try:
        with np.errstate(all="ignore"):
            return Game.from_record(model, data.record, upto, state=state)
    except ReplayError as e:
        raise SaveDataError(data.path, f"record.{e.key}", f"the order log does not replay: {e.problem}") from None
    except EndgameError as e:
        raise SaveDataError(data.path, "record", f"the order log does not replay: {e}") from None


def replay_save(path: str | Path, *, data: SaveData | None = None) -> ReplayResult:
    """Re-run a save from its record and compare every turn's checksum and the stored state.

    Raises:
        SaveError: the file is not a readable save.
    """
    data = data or read_save(path)
    try:
        model = _model(data)
        stored = _stored(data, model)
        game, diverged = _replay(data, model)
        _fill_estimates(data, stored, game.state)
        diff = first_difference(game.state, stored, model)
        return ReplayResult(len(data.record.turns), diverged, not diff, diff, same_environment(data.header), game)
    except SaveError:
        raise
    except Exception as e:  # noqa: BLE001 - a save must never end in a traceback
        raise SaveDataError(data.path, "", f"could not be replayed (unexpected {type(e).__name__}: {e})") from None


def load_game(path: str | Path, *, upto: int | None = None) -> LoadedGame:
    """Load a save to continue it, or (``upto=N``) rewind: replay the record up to, not including,
    turn N and branch from there (the abandoned turns are kept in the record's branches).

    Raises:
        SaveError: damaged, truncated, edited or newer-format saves, naming the key and the problem.
    """
    path = Path(path)
    data = read_save(path)
    try:
        return _load(data, path, upto)
    except SaveError:
        raise
    except Exception as e:  # noqa: BLE001 - a save must never end in a traceback
        raise SaveDataError(path, "", f"could not be loaded (unexpected {type(e).__name__}: {e})") from None


def _env_note(header: Mapping[str, Any]) -> str:
    env = environment()
    diffs = [f"{k} {header.get(k, '?')} (here {v})" for k, v in env.items() if str(header.get(k, "")) != v]
    return "saved with " + ", ".join(diffs) if diffs else ""


def _load(data: SaveData, path: Path, upto: int | None) -> LoadedGame:
    model = _model(data)
    stored = _stored(data, model)
    meta = dict(data.meta)
    same_env = same_environment(data.header)
    current = data.record.current.turn
    if upto is not None:
        if type(upto) is not int or not 1 <= upto <= current:
            raise SaveError(f"cannot rewind {path.name} to turn {upto}: it has turns 1 to {current}")
        game, diverged = _replay(data, model, upto)
        if diverged is not None:
            msg = f"{path.name}: turn {diverged} replays differently from the log"
            if same_env:
                raise SaveDataError(path, f"record.turns[{diverged - 1}].checksum",
                                    "the order log does not reproduce this turn: the save was edited or damaged")
            warnings.warn(f"{msg} ({_env_note(data.header)}); the rewound game follows this machine's replay",
                          SaveWarning, stacklevel=3)
        meta["branch"] = {"from": path.name, "turn": current, "rewound_to": upto}
        return LoadedGame(game, dict(data.agents), meta, path, dict(data.header), data.version, diverged is None)

    game, diverged = _replay(data, model)
    _fill_estimates(data, stored, game.state)
    diff = first_difference(game.state, stored, model)
    if diverged is None and not diff:
        return LoadedGame(game, dict(data.agents), meta, path, dict(data.header), data.version)
    where = (f"turn {diverged} does not reproduce its checksum" if diverged is not None
             else f"the stored state differs from the replayed one at {diff}")
    if same_env:
        key = f"record.turns[{diverged - 1}].checksum" if diverged is not None else "state"
        raise SaveDataError(path, key, f"{where}: the save was edited or damaged")
    # Another platform or build: trust the stored state (its hash was checked), say so.
    warnings.warn(f"{path.name}: {where} ({_env_note(data.header)}); continuing from the stored state",
                  SaveWarning, stacklevel=3)
    game, _ = _replay(data, model, state=stored)
    return LoadedGame(game, dict(data.agents), meta, path, dict(data.header), data.version, False)
