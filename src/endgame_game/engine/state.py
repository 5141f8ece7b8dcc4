"""BatchState: the mutable state of B games as numpy arrays with a leading batch axis.

A single interactive game is a batch of one. The state also implements the ``Env`` that compiled
expressions read (``rules.compile.Env``): they see exactly these arrays, nothing else.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import numpy as np

from endgame_game.engine import rng

ARRAYS = (
    "values", "flags", "params", "taken", "fired", "crossed", "armed", "pending", "answers", "agreed",
    "ending", "end_turn", "scores", "games", "terms", "offer_by", "opened", "rounds", "status",
    "est", "intel_scale", "intel_n",
)
NEGOTIATION = ("terms", "offer_by", "opened", "rounds", "status")
"""The arrays of negotiations with terms (docs/negotiation.md). A ruleset without terms has them zero
wide; they are then left out of checksums and saves, so such a game's checksums are those it always had."""
INTEL_ARRAYS = ("est", "intel_scale", "intel_n")
"""The intelligence estimates' state (``engine.observe``); saves written before it existed lack them."""
CHECKSUM_ARRAYS = tuple(n for n in ARRAYS if n not in INTEL_ARRAYS)
"""What a turn's checksum covers: the game itself. The estimates are left out because they are a pure
function of the seed and the history of these arrays (a replay that reproduces every checksum reproduces
them bit for bit, see tests/test_intel.py), so the checksums of saves written before estimates existed
still hold; ``equals`` and a save's stored state compare them too."""


def _column_major(a: np.ndarray) -> np.ndarray:
    """Arrays are [B, ...] but stored column-major, so one value across the batch (what every
    expression reads and every effect writes) is contiguous in memory: about 25 % faster turns."""
    return np.asfortranarray(a) if a.ndim >= 2 else a


def _take_rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take(a.T, idx, axis=-1).T if a.ndim >= 2 else a[idx]


class BatchState:
    """All per-game state of a batch. ``turn`` is shared: the games of a batch advance in lockstep
    (an ended game stays frozen)."""

    values: np.ndarray  # [B, N] float64: actors' resources, then tracks
    flags: np.ndarray  # [B, F] bool
    params: np.ndarray  # [B, P] float64
    taken: np.ndarray  # [B, M] int32: times each move was taken
    fired: np.ndarray  # [B, E] int32: times each event fired
    crossed: np.ndarray  # [B, T] int32: times each threshold was crossed
    armed: np.ndarray  # [B, T] bool: the threshold's condition was false at its last check
    pending: np.ndarray  # [B, Q] int32: the turn a proposal was made, or -1
    answers: np.ndarray  # [B, Q, A] int8: 0 none, 1 accept, 2 reject, per actor
    agreed: np.ndarray  # [B, Q] bool
    ending: np.ndarray  # [B] int32: ending index, -1 while running
    end_turn: np.ndarray  # [B] int32: the turn the game ended, 0 while running
    scores: np.ndarray  # [B, A] float64
    games: np.ndarray  # [B] uint64: each game's global index (keys its random draws)
    terms: np.ndarray  # [B, K] float64: per term of a negotiable proposal, the value (range) or option index
    #                    of its latest offer (kept after it settles: the deal agreed, or the offer refused)
    offer_by: np.ndarray  # [B, N] int32: per negotiable proposal, the actor whose offer it is, or -1
    opened: np.ndarray  # [B, N] int32: the turn its first offer was made (the deadline counts from it)
    rounds: np.ndarray  # [B, N] int32: counter-offers so far in this negotiation
    status: np.ndarray  # [B, N] int8: how the latest offer ended: 0 open/none, 1 agreed, 2 rejected, 3 lapsed, 4 withdrawn
    est: np.ndarray  # [B, P] float64: the estimate of each hidden (observer, value) pair (model.intel_pair_obs/slot)
    intel_scale: np.ndarray  # [B, N] float64: the scale each value's intelligence noise is a share of
    intel_n: np.ndarray  # [B] int32: readings folded into the estimates since the first (their variance follows)

    uid: np.ndarray  # [B] int64: each row's key in ``memory`` (unique in the batch it was made in)
    memory: dict[Any, dict[int, Any]]
    """What is remembered of each game's history beyond the arrays (the offers refused in it, kept by
    the engine: ``negotiation.note_refused``): key → row ``uid`` → value. No checksum or save covers
    it: it is a function of the record, so a replayed (loaded) game rebuilds it. It lives with the
    batch, so a game's memory is its own: games that share an id (sweep points, training candidates, a
    lookahead's samples) never read each other's, and it goes when the batch goes."""

    def __init__(self, seed: int, turn: int, builtins: tuple[float, float, float, float], **arrays: np.ndarray):
        self.seed = int(seed)
        self.turn = int(turn)
        self.builtins = builtins
        self.salt = 0
        for name in ARRAYS:
            setattr(self, name, _column_major(arrays[name]))
        self.uid = np.arange(self.values.shape[0], dtype=np.int64)
        self.memory = {}

    def _keeping(self, uid: np.ndarray, memory: dict[Any, dict[int, Any]]) -> BatchState:
        self.uid, self.memory = uid, memory
        return self

    # -- the Env protocol --
    def uniform(self, site: int, k: int) -> np.ndarray:
        return rng.uniform(self.seed, self.games, self.turn, site, k, self.salt)

    # -- shape and views --
    @property
    def batch(self) -> int:
        return int(self.values.shape[0])

    @property
    def ended(self) -> np.ndarray:
        return self.ending >= 0

    def copy(self) -> BatchState:
        """A deep copy (cheap: a handful of array copies), agents' memory included."""
        return BatchState(self.seed, self.turn, self.builtins, **{n: getattr(self, n).copy(order="K") for n in ARRAYS}
                          )._keeping(self.uid.copy(), copy.deepcopy(self.memory))

    def with_values(self, values: np.ndarray) -> BatchState:
        """A view that reads ``values`` instead of this state's values and shares every other array
        (no copy: for reading only, e.g. an observation's estimates)."""
        view = BatchState(self.seed, self.turn, self.builtins,
                          **{n: getattr(self, n) for n in ARRAYS})._keeping(self.uid, self.memory)
        view.values = values
        return view

    def take(self, index: np.ndarray | list[int] | slice) -> BatchState:
        """The sub-batch of the games at ``index`` (positions, a bool mask or a slice; a copy of the
        arrays). It shares agents' memory with this batch: what an agent notes in the sub-batch, it
        finds in the batch. To play games forward as a what-if, or to repeat rows, ``fork``."""
        if isinstance(index, slice):
            return BatchState(self.seed, self.turn, self.builtins, **{n: getattr(self, n)[index].copy(order="K")
                                                                      for n in ARRAYS})._keeping(self.uid[index].copy(),
                                                                                                 self.memory)
        idx = np.asarray(index)
        if idx.dtype == np.bool_:
            idx = np.nonzero(idx)[0]
        # Gathering along the last axis of the transposed (C-ordered) view gives the column-major
        # result directly: one copy per array instead of a gather and then a re-layout.
        return BatchState(self.seed, self.turn, self.builtins,
                          **{n: _take_rows(getattr(self, n), idx) for n in ARRAYS})._keeping(self.uid[idx], self.memory)

    def fork(self, index: np.ndarray | list[int]) -> BatchState:
        """The games at ``index`` (positions; repeats allowed) as a new batch with its own memory: each
        row starts with a copy of what agents remember of the game it was taken from, and what they
        note in the fork stays there (a lookahead's imagined futures never reach the real game)."""
        sub = self.take(index)
        old = sub.uid.tolist()
        sub.uid = np.arange(len(old), dtype=np.int64)
        sub.memory = {key: {new: copy.deepcopy(rows[u]) for new, u in enumerate(old) if u in rows}
                      for key, rows in self.memory.items()}
        return sub

    def game(self, i: int) -> BatchState:
        """Game ``i`` alone, as a batch of one (a copy)."""
        return self.take(slice(i, i + 1))

    # -- identity --
    def checksum(self, i: int | None = None) -> str:
        """SHA-256 over canonical bytes of the state (of game ``i`` alone, or of the whole batch)."""
        h = hashlib.sha256()
        h.update(f"turn={self.turn};seed={self.seed};".encode())
        sel = slice(None) if i is None else slice(i, i + 1)
        for name in CHECKSUM_ARRAYS:
            a = np.ascontiguousarray(getattr(self, name)[sel])
            if name in NEGOTIATION and a.shape[1] == 0:
                continue
            h.update(name.encode())
            h.update(str(a.dtype.str).encode())
            h.update(str(a.shape[1:]).encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def equals(self, other: BatchState) -> bool:
        """Exactly the same state (bit for bit)."""
        if self.turn != other.turn or self.seed != other.seed:
            return False
        return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in ARRAYS)
