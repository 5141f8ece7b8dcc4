"""Counter-based randomness: every draw is a pure function of (seed, game, turn, site, k).

No generator state is carried from one draw to the next, so game ``i`` of a batch draws exactly what
game ``i`` run alone draws, whatever the batch size, chunking or worker count, and a replay needs only
the seed. The mixing function is SplitMix64's finaliser on unsigned 64-bit integers (exact on every
platform); a uniform is the top 53 bits of the mixed word.
"""

from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_U1 = np.uint64(_M1)
_U2 = np.uint64(_M2)
_UG = np.uint64(_GOLDEN)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = float(2.0**-53)


def mix64(x: int) -> int:
    """SplitMix64 of one Python integer (wrapping at 64 bits)."""
    z = (x + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def mix64_array(x: np.ndarray) -> np.ndarray:
    """SplitMix64 of a uint64 array (numpy's uint64 arithmetic wraps, as it must here). In place on
    two arrays (the same integers as ``z = (z ^ (z >> 30)) * M1`` ..., without a temporary per step)."""
    z = x + _UG
    t = z >> _S30
    z ^= t
    z *= _U1
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _U2
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


def stream_key(seed: int, turn: int, site: int, k: int = 0, salt: int = 0) -> int:
    """The per-(seed, turn, site, k) key that is then mixed with each game's index."""
    h = mix64((site ^ (k * 0x2545F4914F6CDD1D)) & MASK64)
    h = mix64(h ^ (turn & MASK64))
    h = mix64(h ^ (salt & MASK64))
    return mix64(h ^ (seed & MASK64))


def uniform(seed: int, games: np.ndarray, turn: int, site: int, k: int = 0, salt: int = 0) -> np.ndarray:
    """One uniform draw in [0, 1) per game.

    Args:
        seed: the batch's seed.
        games: each game's global index (uint64 array).
        turn: the turn the draw belongs to.
        site: the draw site's 64-bit key (``rules.compile.site_key``).
        k: which of several draws at the same site (``normal`` uses four).
        salt: separates draws of the same site in the same turn (an umpire's injected event).
    """
    key = np.uint64(stream_key(seed, turn, site, k, salt))
    z = mix64_array(games ^ key)
    return (z >> _S11).astype(np.float64) * _TO_UNIT


_S16 = np.uint64(16)
_S32 = np.uint64(32)
_S48 = np.uint64(48)
_M16 = np.uint64(0xFFFF)


def site_keys(seed: int, turn: int, sites: list[int]) -> np.ndarray:
    """[S] the stream keys ``normal_sites`` mixes with each game's index (one per site)."""
    return np.array([stream_key(seed, turn, s, 0, 0) for s in sites], dtype=np.uint64)


def normal_sites(seed: int, games: np.ndarray, turn: int, sites: list[int], keys: np.ndarray | None = None) -> np.ndarray:
    """Bounded standard normals for many sites at once: [B, S] (column-major).

    Irwin–Hall with four uniforms taken as the four 16-bit quarters of one mixed word (one hash per
    draw instead of four; 16-bit resolution is plenty for intelligence noise). |z| ≤ 2√3; no
    transcendental function, so the draw is exact on every platform. ``keys``: ``site_keys(seed, turn,
    sites)`` when the caller already has them (drawing block by block of games).
    """
    if keys is None:
        keys = site_keys(seed, turn, sites)
    # Computed [S, B] and returned transposed: column-major [B, S], like the state's arrays, so the
    # arithmetic that follows runs over contiguous columns (the same numbers either way).
    z = mix64_array(keys[:, None] ^ games[None, :]).T
    # The four quarters summed as integers (at most 4 · 65535: exact), converted once: the same numbers
    # as summing them in floating point, in a third of the passes.
    total = z & _M16
    t = z >> _S16
    t &= _M16
    total += t
    np.right_shift(z, _S32, out=t)
    t &= _M16
    total += t
    np.right_shift(z, _S48, out=t)
    total += t
    # Each quarter is uniform on {0, ..., 65535}: mean 32767.5, variance (65536² - 1) / 12.
    out: np.ndarray = total.astype(np.float64)
    out -= 4 * 32767.5
    out /= 2.0 * float(np.sqrt((65536.0**2 - 1) / 12.0))
    return out


def derive_seed(seed: int, *parts: int) -> int:
    """A new 63-bit seed derived from a seed and integers (for per-chunk or per-agent streams)."""
    h = seed & MASK64
    for p in parts:
        h = mix64(h ^ (p & MASK64))
    return h >> 1
