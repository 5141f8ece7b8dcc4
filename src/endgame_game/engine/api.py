"""``Game``: the one thing that changes a game. Make one, read it, order, umpire, step, record, rewind.

    >>> from endgame_game.engine.api import new_game
    >>> g = new_game("tutorial", seed=7)
    >>> g.legal_moves("north")                # doctest: +SKIP
    >>> g.set_orders("north", ["drill"])      # doctest: +SKIP
    >>> g.step()                              # doctest: +SKIP
    >>> again, diverged = Game.from_record(g.model, g.record())   # doctest: +SKIP

A ``Game`` wraps one batch (one interactive game is a batch of one). It keeps the orders given this turn,
the umpire actions, and (with ``log=True``) the record of every turn: ``record()`` is all a replay needs,
and ``Game.from_record`` is the one replay (saves, rewinds and reports all go through it). A turn
resolves on a copy of the state and is committed only when it succeeds, so an error (a formula that
yields NaN) changes nothing. ``play(agents)`` is the one agent loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from endgame_game.engine import orders as orders_mod
from endgame_game.engine.log import EffectApplied, EventFired, Record, TurnLog, UmpireAction
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.negotiation import all_nan_view
from endgame_game.engine.observe import Observation, observe, variance
from endgame_game.engine.record import (
    Adjust,
    Branch,
    GameRecord,
    Inject,
    Note,
    Orders,
    Pause,
    RecordError,
    Rewind,
    RulesetFile,
    TurnRecord,
    UmpireAct,
    rebase,
)
from endgame_game.engine.state import BatchState
from endgame_game.engine.turn import _Resolver, step
from endgame_game.errors import EndgameError, OrderError
from endgame_game.rules.expr import did_you_mean


class ReplayError(EndgameError):
    """A record that does not replay (an unknown move, a formula error): ``turn`` names the turn,
    ``key`` where in the record (``turns[2].orders.red``, ``current.umpire[0]``)."""

    def __init__(self, turn: int, key: str, problem: str):
        self.turn = turn
        self.key = key
        self.problem = problem
        super().__init__(f"turn {turn}: {problem}")


class OrderGiver(Protocol):
    """What ``Game.play`` asks of an agent (``ai.base.Agent`` is one)."""

    def act(self, obs: Observation) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...


BeforeTurn = Callable[["Game"], None]
"""Called before the agents order each turn (an umpire adjustment for an experiment)."""
Observed = Callable[[str, Observation], None]
"""Called with each actor's observation before its agent orders (coverage counts legal moves)."""
AfterTurn = Callable[["Game", TurnLog], None]
"""Called with each turn's log as soon as it resolved (``simulate`` prints it)."""


class Game:
    """A batch of games in progress, with its record.

    Args:
        model: the compiled ruleset.
        seed: the batch's seed.
        batch: number of games (ignored when ``games`` is given).
        games: global game indices (default 0..batch-1).
        params: [B, P] parameter values, or a mapping of overrides applied to every game.
        log: keep typed turn logs and the record of every turn (interactive games, saves, small batches).
            Large batch runs switch it off; such a game cannot be recorded, saved or rewound.
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
        self.keep_history = history
        self.history: list[np.ndarray] = [self.state.values.copy()] if history else []
        self.intel_history: list[tuple[np.ndarray, np.ndarray]] = (
            [(self.state.est.copy(), variance(model, self.state))] if history else [])
        """([B, P] estimates, [B, P] their variance) of every (observer, value) pair at the start of each
        turn (``engine.intel.estimate_history`` reads them)."""
        self._turns: list[TurnRecord] = []
        self._branches: tuple[Branch, ...] = ()
        # Move-major in memory, as the agents return their orders and as ``step`` reads them (by move).
        self._orders = np.zeros((len(model.moves), n), dtype=bool).T
        self._terms = self._no_terms(n)  # [B, J, T] the terms of this turn's offers (NaN: not given)
        self._terms_dirty: set[int] = set()  # the offer slots of ``_terms`` that may hold terms (the others: all NaN)
        self._given: dict[str, tuple[tuple[str, ...], ...]] = {}  # actor → per game, ids in the order given
        self._umpire: list[UmpireAct] = []
        self._umpire_log = TurnLog(self.state.turn)
        self._failed = ""  # why a turn resolved in place (log=False) failed

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

    @property
    def turn_records(self) -> tuple[TurnRecord, ...]:
        """The record of every resolved turn (empty for a game run with ``log=False``)."""
        return tuple(self._turns)

    @property
    def umpire_actions(self) -> tuple[UmpireAct, ...]:
        """The umpire actions applied so far this turn, in order."""
        return tuple(self._umpire)

    @property
    def branches(self) -> tuple[Branch, ...]:
        """The lines abandoned by rewinds (see ``engine.record``)."""
        return self._branches

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

    def refusal(self, move_id: str, game: int = 0, actor: str | None = None) -> orders_mod.Refusal | None:
        """Why a move is not legal now, as a typed reason (None if it is legal on its own); ``actor``:
        whose move, where several share a generated answer's id (``accept_<proposal>``)."""
        a = None if actor is None else self.actor_index(actor)
        return orders_mod.refusal(self.model, self.state, move_id, game, a)

    def reason(self, move_id: str, game: int = 0, actor: str | None = None) -> str | None:
        """Why a move is not legal now, in words (None if it is)."""
        a = None if actor is None else self.actor_index(actor)
        return orders_mod.reason(self.model, self.state, move_id, game, a)

    def observe(self, actor: str, only: np.ndarray | None = None) -> Observation:
        """What ``actor`` observes; ``only``: the value slots to estimate (see ``observe.estimates``)."""
        a = self.actor_index(actor)
        return observe(self.model, self.state, a, orders_mod.legal_mask(self.model, self.state, a), only)

    def orders_of(self, actor: str, game: int = 0) -> list[str]:
        """The orders given so far this turn, in the order given (in move-table order when an agent gave
        them as a mask)."""
        a = self.actor_index(actor)
        given = self._given.get(actor)
        if given is not None:
            return list(given[game])
        return [self.model.moves[s].id for s in self.model.moves_of[a] if self._orders[game, s]]

    # -- ordering --
    def _no_terms(self, n: int) -> np.ndarray:
        from endgame_game.engine.negotiation import no_terms

        return no_terms(self.model, n)

    def _mask_from_ids(self, actor: int, ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Orders as text → ([B, M] mask, [B, J, T] terms); an offer's terms are parsed and checked."""
        from endgame_game.engine.negotiation import parse_terms, split_order

        mask = np.zeros((self.batch, len(self.model.moves)), dtype=bool)
        terms = self._no_terms(self.batch)
        own = {self.model.moves[s].id: s for s in self.model.moves_of[actor]}
        for text in ids:
            mid, given = split_order(text)
            if mid not in own:
                raise OrderError(mid, f"{self.model.actors[actor]} has no such move" + _hint(mid, own))
            s = own[mid]
            mask[:, s] = True
            if given:
                j = self.model.offer_slot.get(s)
                if j is None:
                    raise OrderError(mid, "takes no terms (only an offer with terms or a counter-offer does)")
                neg = self.model.negotiation_of[self.model.moves[s].proposal]
                terms[:, j, : len(neg.terms)] = parse_terms(neg, given, mid)
        return mask, terms

    def _canonical(self, actor: int, ids: Sequence[str], terms: np.ndarray, game: int = 0) -> tuple[str, ...]:
        """Orders as recorded: each offer written with the terms given, in the ruleset's order."""
        from endgame_game.engine.negotiation import format_order, split_order

        out = []
        for text in ids:
            mid = split_order(text)[0]
            s = self.model.move_ids.index(mid) if mid in self.model.move_ids else -1
            own = [x for x in self.model.moves_of[actor] if self.model.moves[x].id == mid]
            s = own[0] if own else s
            j = self.model.offer_slot.get(s)
            if j is None:
                out.append(mid)
            else:
                neg = self.model.negotiation_of[self.model.moves[s].proposal]
                out.append(format_order(mid, neg, terms[game, j, : len(neg.terms)]))
        return tuple(out)

    def set_orders(self, actor: str, moves: Sequence[str] | np.ndarray, *, validate: bool = True,
                   terms: np.ndarray | None = None) -> None:
        """Set an actor's orders for this turn, replacing earlier ones (``[]``: it passes).

        Args:
            actor: the actor id.
            moves: move ids in the order given (the same for every game of the batch), or a [B, M] bool mask.
                An offer with terms is written ``move{term=option,term=value}`` (docs/negotiation.md).
            validate: check legality, action points and combined costs (built-in agents only pick legal
                moves that fit, so a batch run may switch it off for speed).
            terms: with a mask: [B, J, T] the terms of the offers in it (``model.offer_slot``; NaN: not given).

        Raises:
            OrderError: naming the move and why it is refused; nothing is changed then.
        """
        a = self.actor_index(actor)
        if isinstance(moves, np.ndarray):
            mask, given = moves, None
        else:
            ids = tuple(dict.fromkeys(moves))
            mask, terms = self._mask_from_ids(a, ids)
            given = (self._canonical(a, ids, terms),) * self.batch
        if validate:
            orders_mod.validate(self.model, self.state, a, mask)
            if self.model.offer_slot:
                orders_mod.validate_terms(self.model, self.state, np.asarray(mask, dtype=bool),
                                          self._no_terms(self.batch) if terms is None else terms)
        # Column by column: orders and terms are kept move- and slot-major (as agents give them), so each
        # is a contiguous copy (a gather and scatter of [B, M] columns costs ~10 ns an element).
        mask = np.asarray(mask, dtype=bool)
        orders = self._orders
        for s in self.model.moves_of[a]:
            orders[:, s] = mask[:, s]
        for j in self.model.offer_rows_of[a]:
            if terms is None or all_nan_view(terms):  # a slot still all NaN stays so (27 MB a turn at 40,000 games)
                if j in self._terms_dirty:
                    self._terms[:, j] = np.nan
                    self._terms_dirty.discard(j)
            else:
                self._terms[:, j] = terms[:, j]
                self._terms_dirty.add(j)
        if given is None:
            self._given.pop(actor, None)
        else:
            self._given[actor] = given

    def _turn_orders(self) -> Orders:
        """This turn's orders as recorded: actor → per game the ids in the order given."""
        out: Orders = {}
        for i, actor in enumerate(self.model.actors):
            cols = self.model.moves_of[i]
            if not self._orders[:, cols].any():
                continue
            given = self._given.get(actor)
            if given is not None:
                out[actor] = given
            else:
                out[actor] = tuple(self._canonical(i, [self.model.moves[cols[j]].id for j in np.nonzero(row)[0]],
                                                   self._terms, g)
                                   for g, row in enumerate(self._orders[:, cols]))
        return out

    def _put_orders(self, actor: str, rows: Sequence[Sequence[str]], key: str) -> None:
        """Orders from a record: per game, ids in the order given (not validated: as they were given)."""
        from endgame_game.engine.negotiation import parse_terms, split_order

        a = self.actor_index(actor)
        own = {self.model.moves[s].id: s for s in self.model.moves_of[a]}
        cols = self.model.moves_of[a]
        mask = np.zeros((self.batch, len(self.model.moves)), dtype=bool)
        for i, ids in enumerate(rows):
            for text in ids:
                try:
                    mid, given = split_order(text)
                except OrderError as e:
                    raise ReplayError(self.turn, f"{key}[{i}]", f"{actor}: {e.reason}") from None
                if mid not in own:
                    raise ReplayError(self.turn, f"{key}[{i}]", f"{actor} has no move {mid!r}" + _hint(mid, own))
                mask[i, own[mid]] = True
                j = self.model.offer_slot.get(own[mid])
                if given and j is None:
                    raise ReplayError(self.turn, f"{key}[{i}]", f"{mid!r} takes no terms")
                if given and j is not None:
                    neg = self.model.negotiation_of[self.model.moves[own[mid]].proposal]
                    try:
                        self._terms[i, j, : len(neg.terms)] = parse_terms(neg, given, mid)
                        self._terms_dirty.add(j)
                    except OrderError as e:
                        raise ReplayError(self.turn, f"{key}[{i}]", f"{actor}: {e.reason}") from None
        self._orders[:, cols] = mask[:, cols]
        self._given[actor] = tuple(tuple(r) for r in rows)

    # -- umpire --
    def umpire(self, act: UmpireAct) -> None:
        """Apply an umpire action now, in every game, and record it (see ``engine.record``).

        Raises:
            EndgameError: an unknown target or event, or an event whose effects fail; nothing changes then.
        """
        log = TurnLog(self.turn) if self.log_enabled else None
        # An inject runs the event's effects: on a copy, committed only if they all succeed.
        state = self.state.copy() if isinstance(act, Inject) else self.state
        apply_umpire(self.model, state, act, len(self._umpire), log)
        self.state = state
        self._umpire.append(act)
        if log is not None:
            self._umpire_log.records.extend(log.records)

    def adjust(self, target: str, value: float, reason: str) -> None:
        """Umpire: set a value (``kyiv.grid``, ``escalation``) or flag in every game, with a reason."""
        if not reason.strip():
            raise EndgameError("an umpire adjustment needs a reason")
        self.umpire(Adjust(target, float(value), reason))

    def inject(self, event_id: str, reason: str = "") -> None:
        """Umpire: fire an event now, ignoring its condition and chance."""
        self.umpire(Inject(event_id, reason))

    def note(self, text: str) -> None:
        """Umpire: a note in the log; changes nothing."""
        self.umpire(Note(text))

    def pause(self, text: str = "") -> None:
        """Umpire: a pause for discussion, noted in the log; changes nothing."""
        self.umpire(Pause(text))

    # -- resolving --
    def step(self) -> TurnLog:
        """Resolve the turn with the orders given (actors without orders pass).

        The turn resolves on a copy of the state: if it fails (a formula yields NaN), the error is raised
        and nothing has changed, the orders given included. A game run with ``log=False`` (a large batch,
        which cannot be saved anyway) resolves in place instead, saving the copy (about 14 % of a batch
        turn); after an error it refuses to go on.
        """
        if self._failed:
            raise EndgameError(f"this batch cannot go on: its turn {self.turn} failed ({self._failed})")
        if self.done:
            raise EndgameError("every game of this batch has ended")
        work = self.state.copy() if self.log_enabled else self.state
        try:
            tl = step(self.model, work, self._orders, log=self.log_enabled,
                      terms=self._terms if self.model.offer_slot else None)
        except Exception as e:
            if work is self.state:
                self._failed = str(e) or type(e).__name__
            raise
        if self.log_enabled:
            self._turns.append(TurnRecord(self.turn, self._turn_orders(), tuple(self._umpire), work.checksum()))
        self.state = work
        tl.records[:0] = self._umpire_log.records
        self.logs.append(tl)
        if self.keep_history:
            self.history.append(work.values.copy())
            self.intel_history.append((work.est.copy(), variance(self.model, work)))
        self._umpire = []
        self._umpire_log = TurnLog(work.turn)
        self._orders[:] = False
        for j in self._terms_dirty:  # the others are all NaN already
            self._terms[:, j] = np.nan
        self._terms_dirty.clear()
        self._given = {}
        return tl

    def play(self, agents: Mapping[str, OrderGiver], *, turns: int | None = None, validate: bool = True,
             before_turn: BeforeTurn | None = None, observed: Observed | None = None,
             after_turn: AfterTurn | None = None) -> list[TurnLog]:
        """The agent loop: each agent orders for its actor on its own observation, then the turn resolves;
        until every game has ended or ``turns`` turns were played. Actors without an agent keep the
        orders already given (a human's), or pass.

        Args:
            agents: actor → agent. An agent may declare the value slots it reads (``reads``): the others'
                noise is then not drawn.
            turns: at most this many turns (None: to the ending).
            validate: check the agents' orders (see ``set_orders``).
            before_turn: called before the agents order each turn.
            observed: called with each actor's observation before its agent orders.
            after_turn: called with each turn's log once it resolved.

        Returns:
            The turn logs of the turns played.
        """
        out: list[TurnLog] = []
        while not self.done and (turns is None or len(out) < turns):
            if before_turn is not None:
                before_turn(self)
            for actor, agent in agents.items():
                obs = self.observe(actor, getattr(agent, "reads", None))
                if observed is not None:
                    observed(actor, obs)
                given = agent.act(obs)
                if isinstance(given, tuple):  # (mask, terms): an agent that bargains (``ai.bargain``)
                    self.set_orders(actor, given[0], validate=validate, terms=given[1])
                else:
                    self.set_orders(actor, given, validate=validate)
            out.append(self.step())
            if after_turn is not None:
                after_turn(self, out[-1])
        return out

    def records(self, game: int = 0) -> list[Record]:
        """Every log record of one game so far, oldest first."""
        return [r for tl in self.logs for r in tl.records if r.game == game]

    # -- the record --
    def record(self) -> GameRecord:
        """Everything a replay needs (see ``engine.record``)."""
        if not self.log_enabled:
            raise EndgameError("a game run with log=False keeps no record (it cannot be saved or rewound)")
        m = self.model
        return GameRecord(
            ruleset=str(m.ref),
            files=tuple(RulesetFile(Path(p).name, t) for p, t in m.files),
            overrides=dict(m.overrides),
            seed=self.seed,
            games=tuple(int(x) for x in self.state.games),
            params=tuple(tuple(float(x) for x in row) for row in self.state.params),
            turns=tuple(self._turns),
            current=TurnRecord(self.turn, self._turn_orders(), tuple(self._umpire)),
            branches=self._branches,
        )

    @classmethod
    def from_record(cls, model: CompiledModel, record: GameRecord, upto: int | None = None, *,
                    state: BatchState | None = None) -> tuple[Game, int | None]:
        """Replay a record: the one replay every caller uses.

        Args:
            model: the record's ruleset, compiled (``saves`` compiles it from the embedded texts).
            upto: rewind: stop at the start of this turn; the turns from there on and the turn in progress
                are kept as a branch (``branches``). None replays every turn and the turn in progress.
            state: continue from this state instead of the replayed one, keeping the recorded turns as
                written (a save from another platform or build whose replay differs; its logs and
                history are this machine's replay).

        Returns:
            The game (with its logs and history rebuilt), and the first turn whose checksum differs from
            the recorded one (None when all match).

        Raises:
            EndgameError: the record is of another ruleset or inconsistent; ``ReplayError`` naming the turn
                and key when a turn does not replay.
        """
        try:
            record.check()
        except RecordError as e:
            raise EndgameError(f"the game record is inconsistent at {e}") from None
        if tuple(t for _p, t in model.files) != tuple(f.text for f in record.files) or \
                dict(model.overrides) != dict(record.overrides):
            raise EndgameError("the game record is of another ruleset (or other overrides) than the model given")
        game = cls(model, seed=record.seed, games=np.array(record.games, dtype=np.uint64),
                   params=_params_array(model, record.params))
        diverged: int | None = None
        for i, t in enumerate(record.turns):
            if upto is not None and t.turn >= upto:
                break
            game._replay_turn(t, f"turns[{i}]")
            try:
                game.step()
            except ReplayError:
                raise
            except EndgameError as e:
                raise ReplayError(t.turn, f"turns[{i}]", str(e)) from None
            if diverged is None and t.checksum and game._turns[-1].checksum != t.checksum:
                diverged = t.turn
        if upto is None:
            game._replay_turn(record.current, "current")
            game._branches = record.branches
        else:
            game._branches = rebase(record.branches, record.turns, upto)
            abandoned = Branch(upto, record.turns[upto - 1:], record.current)
            if abandoned.turns or abandoned.current.orders or abandoned.current.umpire:
                game._branches = (*game._branches, abandoned)
        if state is not None:
            game.state = state
            game._turns = list(record.turns[: None if upto is None else upto - 1])
        return game, diverged

    def _replay_turn(self, t: TurnRecord, key: str) -> None:
        for j, act in enumerate(t.umpire):
            try:
                self.umpire(act)
            except EndgameError as e:
                raise ReplayError(t.turn, f"{key}.umpire[{j}]", str(e)) from None
        for actor, rows in t.orders.items():
            if actor not in self.model.actor_index:
                raise ReplayError(t.turn, f"{key}.orders.{actor}", f"no actor {actor!r} in this ruleset")
            self._put_orders(actor, rows, f"{key}.orders.{actor}")

    def rewind(self, turn: int, *, reason: str = "", allow_divergence: bool = False) -> int | None:
        """Go back to the start of ``turn`` by replaying the record, keeping this game's index and
        parameters; the abandoned line is kept in ``branches`` and the rewind is logged (``Rewind``).

        Args:
            allow_divergence: go on when a replayed turn does not reproduce its checksum (a game from
                another platform or build), following this machine's replay.

        Returns:
            The first turn whose checksum differs (None when all match).

        Raises:
            EndgameError: no such turn, or a turn that replays differently (unless allowed); nothing
                changes then.
        """
        if type(turn) is not int or not 1 <= turn <= self.turn:
            raise EndgameError(f"can rewind only to turns 1..{self.turn}")
        new, diverged = Game.from_record(self.model, self.record(), upto=turn)
        if diverged is not None and not allow_divergence:
            raise EndgameError(f"cannot rewind: turn {diverged} does not replay to its recorded checksum")
        new.keep_history = self.keep_history
        if not self.keep_history:
            new.history = []
            new.intel_history = []
        from_turn = self.turn
        vars(self).update(vars(new))
        self.umpire(Rewind(reason or f"rewound from turn {from_turn} to turn {turn}"))
        return diverged

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


def _params_array(model: CompiledModel, params: Sequence[Sequence[float]]) -> np.ndarray:
    n = len(model.symbols.params)
    for i, row in enumerate(params):
        if len(row) != n:
            raise EndgameError(f"params[{i}]: expected {n} value(s), one per parameter of the ruleset, got {len(row)}")
    return np.array(params, dtype=np.float64).reshape(len(params), n)


def apply_umpire(model: CompiledModel, state: BatchState, act: UmpireAct, ordinal: int = 0,
                 log: TurnLog | None = None) -> None:
    """Apply one umpire action to a batch (in place: ``Game.umpire`` hands it a copy where it must)."""
    if isinstance(act, Adjust):
        target, value = act.target, act.value
        if target.startswith("flags."):
            if target[6:] not in model.flag_index:
                raise EndgameError(f"no flag {target!r}" + _hint(target[6:], model.flag_index))
            before = state.flags[:, model.flag_index[target[6:]]].astype(float)
            state.flags[:, model.flag_index[target[6:]]] = bool(value)
            after = np.full(state.batch, float(bool(value)))
        else:
            if target not in model.value_index:
                raise EndgameError(f"no value {target!r}" + _hint(target, model.value_index))
            if not np.isfinite(value):
                raise EndgameError("an adjustment needs a finite number")
            j = model.value_index[target]
            before = state.values[:, j].copy()
            state.values[:, j] = np.clip(value, model.lo[j], model.hi[j])
            after = state.values[:, j].copy()
        if log is not None:
            for g in range(state.batch):
                log.records.append(UmpireAction(state.turn, g, "adjust", target, float(after[g]), act.reason))
                log.records.append(EffectApplied(state.turn, g, "umpire", target, float(before[g]), float(after[g])))
    elif isinstance(act, Inject):
        ids = [e.id for e in model.events]
        if act.event not in ids:
            raise EndgameError(f"no event {act.event!r}" + _hint(act.event, ids))
        ev = model.events[ids.index(act.event)]
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
                log.records.append(UmpireAction(state.turn, g, "inject", act.event, None, act.reason))
                log.records.append(EventFired(state.turn, g, ev.id, ev.label, ev.text, injected=True))
    elif isinstance(act, Note | Pause | Rewind):
        if log is not None:
            for g in range(state.batch):
                log.records.append(UmpireAction(state.turn, g, act.action, "", None, act.reason))
    else:
        raise EndgameError(f"unknown umpire action {act!r}")


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
        log: keep typed turn logs and the record.
        history: keep the values after every turn.
    """
    model = ruleset if isinstance(ruleset, CompiledModel) else CompiledModel.load(ruleset, overrides)
    return Game(model, seed=seed, batch=batch, log=log, history=history)
