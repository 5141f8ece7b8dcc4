"""Optional compiled kernels (numba) for the agents' hot loop, bit-identical to the numpy path.

Installed with the ``fast`` extra (``pip install "endgame-game[fast]"``). Nothing imports numba until
the first kernel is wanted, so the app's start time does not grow; compiled kernels are cached on
disk (numba's ``cache=True``, beside this module or under ``NUMBA_CACHE_DIR``). Where numba is absent,
or ``ENDGAME_KERNELS=numpy`` is set, ``picks`` returns None and callers use the numpy path.

Why the two paths agree bit for bit (docs/architecture.md, "The fast path"): the kernel does, per
game, the same IEEE-754 double operations in the same order as the numpy path does per column —
running sums of the weights candidate by candidate, ``u * (total + pass_weight)``, ``spare - cost
>= -1e-9``, the count of running sums ``<= u`` — and draws its uniforms with the same integer
SplitMix64 as ``engine.rng``. No transcendental function and no fast-math flag is involved.
``tests/test_kernels.py`` compares the two on random candidate sets and on whole batches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

MIN_BATCH = 20_000
"""Smaller batches take the numpy path: importing numba and loading the cached kernel (about a second
of CPU) would cost more than the kernel saves (the app's report plays 10,000 games in one batch)."""

_KERNEL: Callable[..., None] | None = None
_TRIED = False


def enabled() -> bool:
    """Whether the compiled kernels are in use for large batches (numba importable and not switched off)."""
    return _load() is not None


def _load() -> Callable[..., None] | None:
    global _KERNEL, _TRIED
    if os.environ.get("ENDGAME_KERNELS", "").lower() == "numpy":
        return None
    if not _TRIED:
        _TRIED = True
        try:
            import numba  # noqa: F401  (an optional extra)
        except ImportError:
            return None
        _KERNEL = _build()
    return _KERNEL


def _build() -> Callable[..., None]:
    import numba

    u64 = np.uint64
    golden, m1, m2 = u64(0x9E3779B97F4A7C15), u64(0xBF58476D1CE4E5B9), u64(0x94D049BB133111EB)
    s30, s27, s31, s11 = u64(30), u64(27), u64(31), u64(11)
    to_unit = float(2.0**-53)

    @numba.njit(cache=True, nogil=True)
    def picks_kernel(elig: Any, slots: Any, prop_r: Any, weights: Any, ap_r: Any, ap0: int, cheapest: int,
                     pass_weight: float, cost_rows: Any, row_in: Any, spare: Any, keys: Any, games: Any,
                     chosen: Any) -> None:  # pragma: no cover - compiled
        B, R = elig.shape
        # Per candidate, the (spent slot, cost column) pairs it pays, in CSR form.
        K = row_in.shape[0]
        starts = np.zeros(R + 1, dtype=np.int64)
        for r in range(R):
            n = 0
            for k in range(K):
                if row_in[k, r] >= 0:
                    n += 1
            starts[r + 1] = starts[r] + n
        pay_k = np.empty(starts[R], dtype=np.int64)
        pay_j = np.empty(starts[R], dtype=np.int64)
        for r in range(R):
            t = starts[r]
            for k in range(K):
                if row_in[k, r] >= 0:
                    pay_k[t] = k
                    pay_j[t] = row_in[k, r]
                    t += 1
        blocked = np.zeros(R, dtype=np.bool_)
        fits = np.zeros(R, dtype=np.bool_)
        cum = np.zeros(R, dtype=np.float64)
        for g in range(B):
            blocked[:] = False
            ap = ap0
            for rnd in range(R):
                total = 0.0
                for r in range(R):
                    ok = elig[g, r] and not blocked[r] and ap >= ap_r[r]
                    if ok:
                        for t in range(starts[r], starts[r + 1]):
                            if not (spare[g, pay_k[t]] - cost_rows[g, pay_j[t]] >= -1e-9):
                                ok = False
                                break
                    fits[r] = ok
                    total = total + (weights[r] if ok else 0.0)
                    cum[r] = total
                if not total > 0.0:
                    break
                z = games[g] ^ keys[rnd]
                z = z + golden
                z = (z ^ (z >> s30)) * m1
                z = (z ^ (z >> s27)) * m2
                z = z ^ (z >> s31)
                u = float(z >> s11) * to_unit * (total + pass_weight)
                pick = 0
                for r in range(R):
                    if cum[r] <= u:
                        pick += 1
                if pick >= R:
                    break
                chosen[slots[pick], g] = True
                ap -= ap_r[pick]
                for t in range(starts[pick], starts[pick + 1]):
                    spare[g, pay_k[t]] = spare[g, pay_k[t]] - cost_rows[g, pay_j[t]]
                for r in range(R):
                    if slots[r] == slots[pick] or (prop_r[pick] >= 0 and prop_r[r] == prop_r[pick]):
                        blocked[r] = True
                if ap < cheapest:
                    break

    return picks_kernel  # type: ignore[no-any-return]


def picks(elig: np.ndarray, slots: np.ndarray, prop_r: np.ndarray, weights: np.ndarray, ap_r: np.ndarray, ap0: int,
          pass_weight: float, cost_rows: np.ndarray, row_in: np.ndarray, spare: np.ndarray, keys: np.ndarray,
          games: np.ndarray, moves: int) -> np.ndarray | None:
    """The weighted picks of ``ai.base.weighted_picks`` by the compiled kernel: [M, B] bool, or None
    when the kernel is not available (the caller then runs the numpy path).

    Args:
        elig: [B, R] bool, each candidate eligible and legal (game-major, as all [B, ...] arrays here).
        slots, prop_r, weights, ap_r: [R] per candidate: its move slot, its proposal (responses) or -1,
            its weight, its action points.
        cost_rows: [B, C] the costs of the candidates that spend; ``row_in[k, r]`` is candidate ``r``'s
            column for spent slot ``k``, or -1; ``spare`` [B, K] what is left of each spent slot (updated).
        keys: [R] uint64, the round-``k`` stream keys (``rng.stream_key``); games: [B] uint64.
    """
    if elig.shape[0] < MIN_BATCH:
        return None
    kernel = _load()
    if kernel is None:
        return None
    chosen = np.zeros((moves, elig.shape[0]), dtype=bool)
    kernel(np.ascontiguousarray(elig), slots.astype(np.int64), prop_r.astype(np.int64),
           weights.astype(np.float64), ap_r.astype(np.int64), int(ap0), int(ap_r.min()), float(pass_weight),
           np.ascontiguousarray(cost_rows, dtype=np.float64), row_in.astype(np.int64),
           np.ascontiguousarray(spare, dtype=np.float64), keys, games.astype(np.uint64), chosen)
    return chosen
