"""A small facade for scripts, the app and tests: make a game, read it, order, step, read results.

    >>> from endgame_game.engine.api import new_game
    >>> g = new_game("tutorial", seed=7)
    >>> g.legal_moves("north")            # doctest: +SKIP
    >>> g.submit("north", ["drill"])      # doctest: +SKIP
    >>> g.step()                          # doctest: +SKIP

A ``Game`` wraps one batch (one interactive game is a batch of one) and keeps the order log of every
turn, which with the ruleset and the seed is all a replay needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.engine import orders as orders_mod
from endgame_game.engine.log import EffectApplied, EventFired, Record, TurnLog, UmpireAction
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.observe import Observation, observe
from endgame_game.engine.state import BatchState
from endgame_game.engine.turn import _Resolver, step
from endgame_game.errors import EndgameError, OrderError
from endgame_game.rules.expr import did_you_mean


@attrs.define
class TurnEntry:
    """The order log of one turn: umpire actions (applied first, in order) and every actor's orders.

    Attributes:
        turn: the turn number.
        orders: actor → one list of move ids per game of the batch.
        umpire: umpire actions, each a dict with ``action``, ``target``, ``value`` and ``reason``.
        checksum: the batch state's checksum after the turn resolved.
    """

    turn: int
    orders: dict[str, list[list[str]]] = attrs.Factory(dict)
    umpire: list[dict[str, Any]] = attrs.Factory(list)
    checksum: str = ""


class Game:
    """A batch of games in progress, with its order log.

    Args:
        model: the compiled ruleset.
        seed: the batch's seed.
        batch: number of games (ignored when ``games`` is given).
        games: global game indices (default 0..batch-1).
        params: [B, P] parameter values, or a mapping of overrides applied to every game.
        log: keep typed turn logs, the readable order log and per-turn checksums (for interactive
            games, saves and small batches); large batch runs switch it off.
        history: keep a copy of the values after every turn (for charts).
    """

    def __init__(self, model: CompiledModel, seed: int = 0, batch: int = 1, *, games: np.ndarray | None = None,
                 params: np.ndarray | Mapping[str, float] | None = None, log: bool = True, history: bool = True):
        self.model = model
        self.seed = int(seed)
        if games is None:
            games = np.arange(batch, dtype=np.uint64)
        n = len(games)
        if isinstance(params, Mapping):
            params = model.params_array(n, params)
        self.state = model.new_state(seed=seed, games=games, params=params)
        self.log_enabled = log
        self.logs: list[TurnLog] = []
        self.entries: list[TurnEntry] = []
        self.current = TurnEntry(self.state.turn)
        self._orders = np.zeros((n, len(model.moves)), dtype=bool)
        self.keep_history = history
        self.history: list[np.ndarray] = [self.state.values.copy()] if history else []
        self.umpire_log = TurnLog(self.state.turn)

    # -- reading --
    @property
    def batch(self) -> int:
        return self.state.batch

    @property
    def turn(self) -> int:
        return self.state.turn

    @property
    def done(self) -> bool:
        return bool(self.state.ended.all())

    def actor_index(self, actor: str) -> int:
        try:
            return self.model.actor_index[actor]
        except KeyError:
            raise OrderError("?", f"no actor {actor!r} in this ruleset" + _hint(actor, self.model.actors)) from None

    def value(self, name: str, game: int = 0) -> float:
        """The true value of ``kyiv.manpower``, ``escalation`` or a flag, in one game."""
        if name.startswith("flags."):
            return float(self.state.flags[game, self.model.flag_index[name[6:]]])
        if name.startswith("params."):
            return float(self.state.params[game, self.model.param_index[name[7:]]])
        return float(self.state.values[game, self.model.value_index[name]])

    def legal_mask(self, actor: str) -> np.ndarray:
        """[B, M] bool over ``model.moves``: each move legal on its own."""
        return orders_mod.legal_mask(self.model, self.state, self.actor_index(actor))

    def moves_of(self, actor: str) -> list[str]:
        """Every move id of an actor (declared moves and generated responses)."""
        return [self.model.moves[s].id for s in self.model.moves_of[self.actor_index(actor)]]

    def legal_moves(self, actor: str, game: int = 0) -> list[str]:
        mask = self.legal_mask(actor)[game]
        return [self.model.moves[s].id for s in np.nonzero(mask)[0]]

    def reason(self, move_id: str, game: int = 0) -> str | None:
        """Why a move is not legal now (None if it is)."""
        return orders_mod.reason(self.model, self.state, move_id, game)

    def observe(self, actor: str, only: np.ndarray | None = None) -> Observation:
        """What ``actor`` observes; ``only``: the value slots to estimate (see ``observe.estimates``)."""
        a = self.actor_index(actor)
        return observe(self.model, self.state, a, orders_mod.legal_mask(self.model, self.state, a), only)

    def orders_of(self, actor: str, game: int = 0) -> list[str]:
        """The orders submitted so far this turn."""
        a = self.actor_index(actor)
        return [self.model.moves[s].id for s in self.model.moves_of[a] if self._orders[game, s]]

    # -- ordering --
    def _mask_from_ids(self, actor: int, ids: Iterable[str]) -> np.ndarray:
        mask = np.zeros((self.batch, len(self.model.moves)), dtype=bool)
        own = {self.model.moves[s].id: s for s in self.model.moves_of[actor]}
        for mid in ids:
            if mid not in own:
                raise OrderError(mid, f"{self.model.actors[actor]} has no such move" + _hint(mid, own))
            mask[:, own[mid]] = True
        return mask

    def submit(self, actor: str, orders: Sequence[str] | np.ndarray) -> None:
        """Set an actor's orders for this turn (replacing earlier ones).

        Args:
            actor: the actor id.
            orders: move ids (the same for every game of the batch), or a [B, M] bool mask.

        Raises:
            OrderError: naming the move and why it is refused; nothing is changed then.
        """
        a = self.actor_index(actor)
        mask = orders if isinstance(orders, np.ndarray) else self._mask_from_ids(a, orders)
        orders_mod.validate(self.model, self.state, a, mask)
        cols = self.model.moves_of[a]
        self._orders[:, cols] = np.asarray(mask, dtype=bool)[:, cols]

    def clear(self, actor: str) -> None:
        self._orders[:, self.model.moves_of[self.actor_index(actor)]] = False

    # -- umpire --
    def adjust(self, target: str, value: float, reason: str) -> None:
        """Umpire: set a value (``kyiv.grid``, ``escalation``) or flag in every game, with a reason."""
        if not reason.strip():
            raise EndgameError("an umpire adjustment needs a reason")
        self._umpire({"action": "adjust", "target": target, "value": float(value), "reason": reason})

    def inject(self, event_id: str, reason: str = "") -> None:
        """Umpire: fire an event now, ignoring its condition and chance."""
        self._umpire({"action": "inject", "target": event_id, "value": None, "reason": reason})

    def note(self, text: str, action: str = "note") -> None:
        """Umpire: a note in the log (pause, discussion, rewind); changes nothing."""
        self._umpire({"action": action, "target": "", "value": None, "reason": text})

    def _umpire(self, act: dict[str, Any]) -> None:
        apply_umpire(self.model, self.state, act, len(self.current.umpire), self.umpire_log if self.log_enabled else None)
        self.current.umpire.append(act)

    # -- resolving --
    def step(self) -> TurnLog:
        """Resolve the turn with the orders submitted (actors without orders pass)."""
        if self.done:
            raise EndgameError("every game of this batch has ended")
        entry = self.current
        if self.log_enabled:
            # The readable order log (for saves and replays); large batch runs keep none of it.
            entry.orders = {a: self._ids_per_game(i) for i, a in enumerate(self.model.actors)
                            if self._orders[:, self.model.moves_of[i]].any()}
        tl = step(self.model, self.state, self._orders, log=self.log_enabled)
        tl.records[:0] = self.umpire_log.records
        if self.log_enabled:
            entry.checksum = self.state.checksum()
        self.entries.append(entry)
        self.logs.append(tl)
        if self.keep_history:
            self.history.append(self.state.values.copy())
        self.current = TurnEntry(self.state.turn)
        self.umpire_log = TurnLog(self.state.turn)
        self._orders[:] = False
        return tl

    def _ids_per_game(self, actor: int) -> list[list[str]]:
        cols = self.model.moves_of[actor]
        sub = self._orders[:, cols]
        return [[self.model.moves[cols[j]].id for j in np.nonzero(row)[0]] for row in sub]

    def records(self, game: int = 0) -> list[Record]:
        """Every log record of one game so far, oldest first."""
        return [r for tl in self.logs for r in tl.records if r.game == game]

    # -- results --
    def results(self) -> dict[str, np.ndarray]:
        """Per-game results: ending index and id, final turn, scores and values."""
        st = self.state
        out: dict[str, np.ndarray] = {
            "game": st.games.astype(np.int64),
            "ending": np.array([self.model.endings[i].id if i >= 0 else "" for i in st.ending]),
            "end_turn": st.end_turn.copy(),
        }
        for a, name in enumerate(self.model.actors):
            if a in self.model.scores:
                out[f"score.{name}"] = st.scores[:, a].copy()
        out.update({f"outcome.{role}": v for role, v in self.model.outcomes(st).items()})
        for j, name in enumerate(self.model.symbols.values):
            out[name] = st.values[:, j].copy()
        return out


def apply_umpire(model: CompiledModel, state: BatchState, act: Mapping[str, Any], ordinal: int = 0,
                 log: TurnLog | None = None) -> None:
    """Apply one umpire action to a batch (used live and by replays)."""
    action, target, value, why = act.get("action"), str(act.get("target", "")), act.get("value"), str(act.get("reason", ""))
    if action == "adjust":
        if target.startswith("flags."):
            if target[6:] not in model.flag_index:
                raise EndgameError(f"no flag {target!r}" + _hint(target[6:], model.flag_index))
            before = state.flags[:, model.flag_index[target[6:]]].astype(float)
            state.flags[:, model.flag_index[target[6:]]] = bool(value)
            after = np.full(state.batch, float(bool(value)))
        else:
            if target not in model.value_index:
                raise EndgameError(f"no value {target!r}" + _hint(target, model.value_index))
            if value is None or not np.isfinite(float(value)):
                raise EndgameError("an adjustment needs a finite number")
            j = model.value_index[target]
            before = state.values[:, j].copy()
            state.values[:, j] = np.clip(float(value), model.lo[j], model.hi[j])
            after = state.values[:, j].copy()
        if log is not None:
            for g in range(state.batch):
                log.records.append(UmpireAction(state.turn, g, "adjust", target, float(after[g]), why))
                log.records.append(EffectApplied(state.turn, g, "umpire", target, float(before[g]), float(after[g])))
    elif action == "inject":
        ids = [e.id for e in model.events]
        if target not in ids:
            raise EndgameError(f"no event {target!r}" + _hint(target, ids))
        ev = model.events[ids.index(target)]
        everyone = ~state.ended
        state.salt = 1 + ordinal
        try:
            with np.errstate(all="ignore"):
                _Resolver(model, state, log).apply(ev.effects, everyone, ev.id)
        finally:
            state.salt = 0
        state.fired[:, ev.index] += everyone
        if log is not None:
            for g in range(state.batch):
                log.records.append(UmpireAction(state.turn, g, "inject", target, None, why))
                log.records.append(EventFired(state.turn, g, ev.id, ev.label, ev.text, injected=True))
    elif action in ("note", "pause", "rewind"):
        if log is not None:
            for g in range(state.batch):
                log.records.append(UmpireAction(state.turn, g, str(action), target, None, why))
    else:
        raise EndgameError(f"unknown umpire action {action!r}")


def _hint(word: str, known: Iterable[str]) -> str:
    h = did_you_mean(word, known)
    return f" ({h})" if h else ""


def new_game(ruleset: str | Path | CompiledModel, *, seed: int = 0, batch: int = 1,
             overrides: Mapping[str, Any] | None = None, log: bool = True, history: bool = True) -> Game:
    """Create a game (or a batch) from a ruleset path, id or compiled model.

    Args:
        ruleset: ``"tutorial"``, ``"rulesets/endgame-2024.toml"`` or a ``CompiledModel``.
        seed: the seed; the same seed and orders give the same game.
        batch: how many games at once.
        overrides: ``{"params.ua_recruits": 30, "ruleset.max_turns": 18}``.
        log: keep typed turn logs.
        history: keep the values after every turn.
    """
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    return Game(model, seed=seed, batch=batch, log=log, history=history)


def replay(model: CompiledModel, seed: int, entries: Sequence[TurnEntry], *, games: np.ndarray | None = None,
           params: np.ndarray | None = None, upto: int | None = None, log: bool = True,
           check: bool = True) -> tuple[Game, int | None]:
    """Re-run a game from its seed and order log.

    Args:
        entries: the order log, one entry per resolved turn.
        upto: stop before resolving this turn (rewind); None replays every entry.
        check: compare each turn's checksum with the one logged.

    Returns:
        The game, and the first turn whose checksum differs (None when all match).
    """
    n = 1 if games is None else len(games)
    g = Game(model, seed=seed, batch=n, games=games, params=params, log=log)
    diverged: int | None = None
    for e in entries:
        if upto is not None and e.turn >= upto:
            break
        for act in e.umpire:
            g._umpire(dict(act))
        for actor, per_game in e.orders.items():
            a = g.actor_index(actor)
            mask = np.zeros((g.batch, len(model.moves)), dtype=bool)
            own = {model.moves[s].id: s for s in model.moves_of[a]}
            for i, ids in enumerate(per_game):
                for mid in ids:
                    if mid not in own:
                        raise EndgameError(f"turn {e.turn}: {actor} has no move {mid!r}")
                    mask[i, own[mid]] = True
            cols = model.moves_of[a]
            g._orders[:, cols] = mask[:, cols]
        g.step()
        if check and e.checksum and diverged is None and g.entries[-1].checksum != e.checksum:
            diverged = e.turn
    return g, diverged
