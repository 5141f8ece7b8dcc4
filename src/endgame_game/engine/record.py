"""The game record: everything a replay needs, as typed, frozen data.

A ``GameRecord`` holds the ruleset texts and overrides, the seed, each game's index and parameters, and
per resolved turn the umpire actions (applied first, in order), every actor's orders in the order given,
and the state's checksum after the turn resolved; then the turn in progress. ``Game.record()`` writes
one, ``Game.from_record(model, record)`` replays one, and saves store one (``saves.format``) through the
strict converter the rulesets use (``rules.convert``).

A rewind keeps the line it abandons: ``branches`` holds each abandoned line as the turns it played from
its fork on (turns before the fork are the main line's), so ``record.branch(i)`` is a complete record
of that line, replayable and comparable with the main one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import cattrs

from endgame_game.rules.convert import describe_value, strict_converter

# --- umpire actions ----------------------------------------------------------------------------------


@attrs.frozen
class Adjust:
    """Set a value (``kyiv.grid``, ``escalation``) or a flag (``flags.talks``, 0 or 1) in every game."""

    action: ClassVar[str] = "adjust"
    target: str
    value: float
    reason: str

    def describe(self) -> str:
        return f"adjust {self.target} = {self.value:.4g}: {self.reason}"


@attrs.frozen
class Inject:
    """Fire an event now, ignoring its condition and chance."""

    action: ClassVar[str] = "inject"
    event: str
    reason: str = ""

    def describe(self) -> str:
        return f"inject {self.event}: {self.reason}"


@attrs.frozen
class Note:
    """A note in the log; changes nothing."""

    action: ClassVar[str] = "note"
    reason: str

    def describe(self) -> str:
        return f"note: {self.reason}"


@attrs.frozen
class Pause:
    """A pause for discussion; changes nothing."""

    action: ClassVar[str] = "pause"
    reason: str = ""

    def describe(self) -> str:
        return f"pause: {self.reason}"


@attrs.frozen
class Rewind:
    """Logged at the start of the turn a game was rewound to; changes nothing."""

    action: ClassVar[str] = "rewind"
    reason: str = ""

    def describe(self) -> str:
        return f"rewind: {self.reason}"


UmpireAct = Adjust | Inject | Note | Pause | Rewind
UMPIRE_ACTS: dict[str, type[Any]] = {c.action: c for c in (Adjust, Inject, Note, Pause, Rewind)}
"""The ``action`` tag of each umpire action as saved."""


# --- turns and the record ----------------------------------------------------------------------------


Orders = dict[str, tuple[tuple[str, ...], ...]]
"""actor → for each game of the batch, the move ids in the order given."""


@attrs.frozen
class TurnRecord:
    """One turn: umpire actions (applied first, in order), orders, and the checksum after it resolved
    (empty for the turn in progress)."""

    turn: int
    orders: Orders = attrs.Factory(dict)
    umpire: tuple[UmpireAct, ...] = ()
    checksum: str = ""


@attrs.frozen
class RulesetFile:
    """One embedded ruleset text: the ruleset, then every base it extends, child first."""

    name: str
    text: str


@attrs.frozen
class Branch:
    """A line a rewind abandoned: it shares turns ``1 .. fork-1`` with the main line, then played ``turns``
    and stood at ``current``."""

    fork: int
    turns: tuple[TurnRecord, ...]
    current: TurnRecord


Override = str | int | float


@attrs.frozen
class GameRecord:
    """What a replay needs (see the module docstring).

    Attributes:
        ruleset: how the ruleset was named (informational).
        files: the ruleset texts.
        overrides: the ``--set`` overrides it was compiled with.
        seed: the batch's seed.
        games: each game's global index (keys its random draws).
        params: each game's parameters, in the ruleset's order (``model.symbols.params``).
        turns: the resolved turns, numbered 1, 2, … in order.
        current: the turn in progress.
        branches: lines abandoned by rewinds, oldest first.
    """

    ruleset: str
    files: tuple[RulesetFile, ...]
    overrides: dict[str, Override]
    seed: int
    games: tuple[int, ...]
    params: tuple[tuple[float, ...], ...]
    turns: tuple[TurnRecord, ...]
    current: TurnRecord
    branches: tuple[Branch, ...] = ()

    @property
    def batch(self) -> int:
        return len(self.games)

    def branch(self, i: int) -> GameRecord:
        """Abandoned line ``i`` as a complete record of its own (without branches)."""
        b = self.branches[i]
        return attrs.evolve(self, turns=self.turns[: b.fork - 1] + b.turns, current=b.current, branches=())

    def check(self) -> None:
        """Raise ``RecordError`` naming the first inconsistency (turn numbers, one row of orders and of
        parameters per game, checksums of resolved turns, forks of branches)."""
        if not self.games:
            raise RecordError("games", "is empty: a record holds at least one game")
        if len(self.params) != self.batch:
            raise RecordError("params", f"expected {self.batch} row(s), one per game, got {len(self.params)}")
        for i, b in enumerate(self.branches):
            if not 1 <= b.fork <= len(self.turns) + 1:
                raise RecordError(f"branches[{i}].fork", f"expected a turn from 1 to {len(self.turns) + 1}, got {b.fork}")
        for key, turns, current, first in self._lines():
            for i, t in enumerate(turns):
                if t.turn != first + i:
                    raise RecordError(f"{key}turns[{i}].turn", f"expected {first + i} (turns are numbered in order), "
                                                               f"got {t.turn}")
                if not _SHA256.fullmatch(t.checksum):
                    raise RecordError(f"{key}turns[{i}].checksum", "expected 64 hex digits (a sha256)")
                _check_orders(t.orders, self.batch, f"{key}turns[{i}].orders")
            if current.turn != first + len(turns):
                raise RecordError(f"{key}current.turn", f"expected {first + len(turns)} (the turn after the last "
                                                        f"resolved one), got {current.turn}")
            if current.checksum:
                raise RecordError(f"{key}current.checksum", "the turn in progress has no checksum yet")
            _check_orders(current.orders, self.batch, f"{key}current.orders")

    def _lines(self) -> list[tuple[str, tuple[TurnRecord, ...], TurnRecord, int]]:
        return [("", self.turns, self.current, 1),
                *((f"branches[{i}].", b.turns, b.current, b.fork) for i, b in enumerate(self.branches))]


class RecordError(ValueError):
    """An inconsistent record: ``key`` names where (``turns[2].turn``), ``problem`` what."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_orders(orders: Mapping[str, tuple[tuple[str, ...], ...]], batch: int, key: str) -> None:
    for actor, rows in orders.items():
        if len(rows) != batch:
            raise RecordError(f"{key}.{actor}", f"expected {batch} list(s) of move ids (one per game), got {len(rows)}")


def rebase(branches: tuple[Branch, ...], turns: tuple[TurnRecord, ...], fork: int) -> tuple[Branch, ...]:
    """The branches of a line about to be cut back to ``fork``: one that forked later takes the main
    line's turns from ``fork`` to its own fork, so it still shares only turns ``1 .. fork-1``."""
    out = []
    for b in branches:
        if b.fork > fork:
            b = Branch(fork, turns[fork - 1: b.fork - 1] + b.turns, b.current)
        out.append(b)
    return tuple(out)


# --- as plain data (saves) ------------------------------------------------------------------------------


def _converter() -> cattrs.Converter:
    c = strict_converter()

    def s_act(v: Any, _: Any) -> UmpireAct:
        if not isinstance(v, dict):
            raise TypeError(f"expected a table, got {describe_value(v)}")
        if "action" not in v:
            raise ValueError("required key 'action' is missing")
        cls = UMPIRE_ACTS.get(v["action"]) if isinstance(v["action"], str) else None
        if cls is None:
            raise ValueError(f"unknown umpire action {describe_value(v['action'])} (one of {', '.join(UMPIRE_ACTS)})")
        act: UmpireAct = c.structure({k: x for k, x in v.items() if k != "action"}, cls)
        return act

    c.register_structure_hook_func(lambda t: t == UmpireAct, s_act)
    for cls in UMPIRE_ACTS.values():
        c.register_unstructure_hook(cls, lambda v: {"action": v.action, **attrs.asdict(v)})

    def s_override(v: Any, _: Any) -> Override:
        if type(v) not in (str, int, float):
            raise TypeError(f"expected a number or text, got {describe_value(v)}")
        o: Override = v
        return o

    c.register_structure_hook_func(lambda t: t == Override, s_override)
    return c


CONVERTER = _converter()
"""Structures plain (TOML) data into a ``GameRecord`` and back, strictly (``rules.convert``)."""


def to_data(record: GameRecord) -> dict[str, Any]:
    """The record as plain data (lists and tables; umpire actions tagged with ``action``)."""
    data: dict[str, Any] = CONVERTER.unstructure(record)
    return data


def from_data(data: Any) -> GameRecord:
    """A record from plain data; raises cattrs' grouped errors (``rules.convert.errors`` reads them)."""
    record: GameRecord = CONVERTER.structure(data, GameRecord)
    return record


__all__ = [
    "UMPIRE_ACTS", "Adjust", "Branch", "GameRecord", "Inject", "Note", "Orders", "Override", "Pause", "Rewind",
    "RecordError", "RulesetFile", "TurnRecord", "UmpireAct", "from_data", "rebase", "to_data",
]
