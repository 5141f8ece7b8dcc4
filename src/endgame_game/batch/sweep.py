"""Sweeps: a grid of parameter values, each grid point run on the same games.

``--sweep params.x=LO:HI:STEPS`` gives ``STEPS`` evenly spaced values from ``LO`` to ``HI``
(``numpy.linspace``, both ends included; ``STEPS = 1`` gives ``LO``). Several ``--sweep`` options
make the grid product, the first one varying slowest: point ``p`` of a grid over ``x`` (3 values)
and ``y`` (2 values) is ``(x[p // 2], y[p % 2])``.

**Common random numbers.** Every sweep point plays the same game indices ``0 .. N-1`` with the same
seed, so game ``i`` at point ``p`` and game ``i`` at point ``q`` draw the same random numbers and
differ only by the swept values. Differences between points are then not blurred by luck, which is
what a comparison of points needs. Rows carry both the point index and the game index.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np

from endgame_game.engine.model import CompiledModel
from endgame_game.errors import EndgameError
from endgame_game.rules.expr import did_you_mean

MAX_POINTS = 100_000
"""The largest sweep grid (each point keeps a summary in memory)."""


@attrs.frozen
class Axis:
    """One swept parameter: its id (without ``params.``) and its values."""

    param: str
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        return f"params.{self.param}"


def parse_axis(text: str) -> Axis:
    """``params.x=LO:HI:STEPS`` (or ``params.x=V1,V2,V3``) → ``Axis``.

    Raises:
        EndgameError: the text does not have that shape.
    """
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not key or not spec.strip():
        raise EndgameError(f"bad --sweep {text!r}: expected params.NAME=LO:HI:STEPS, e.g. params.ua_recruits=15:40:6")
    name = key.removeprefix("params.")
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise ValueError
            lo, hi, steps = float(parts[0]), float(parts[1]), int(parts[2])
            if steps < 1 or steps > MAX_POINTS:
                raise EndgameError(f"--sweep {key}: STEPS must be between 1 and {MAX_POINTS:,}, got {steps}")
            values = tuple(float(v) for v in np.linspace(lo, hi, steps))
        else:
            values = tuple(float(v) for v in spec.split(","))
    except ValueError:
        raise EndgameError(f"bad --sweep {text!r}: expected params.NAME=LO:HI:STEPS with numbers "
                           "(or params.NAME=V1,V2,...)") from None
    if not all(np.isfinite(values)):
        raise EndgameError(f"--sweep {key}: values must be finite numbers")
    return Axis(name, values)


@attrs.frozen
class Grid:
    """The sweep grid: its axes and the parameter values of every point."""

    axes: tuple[Axis, ...] = ()

    @property
    def points(self) -> int:
        n = 1
        for a in self.axes:
            n *= len(a.values)
        return n

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(a.column for a in self.axes)

    def values(self) -> np.ndarray:
        """[points, axes] float64: each point's swept values (first axis slowest)."""
        if not self.axes:
            return np.zeros((1, 0))
        return np.array(list(itertools.product(*(a.values for a in self.axes))), dtype=np.float64).reshape(
            self.points, len(self.axes))

    def point(self, p: int) -> dict[str, float]:
        """``{"params.x": value, ...}`` of point ``p``."""
        return dict(zip(self.columns, (float(v) for v in self.values()[p]), strict=True))

    def check(self, model: CompiledModel) -> None:
        """Every axis names a parameter of the ruleset and stays within its declared min/max.

        Raises:
            EndgameError: naming the parameter, its range and the offending value.
        """
        if self.points > MAX_POINTS:
            raise EndgameError(f"--sweep: the grid has {self.points:,} points; at most {MAX_POINTS:,} are allowed")
        seen: set[str] = set()
        for a in self.axes:
            if a.param not in model.param_index:
                hint = did_you_mean(a.param, model.param_index)
                raise EndgameError(f"--sweep: no parameter params.{a.param} in {model.id}" + (f" ({hint})" if hint else ""))
            if a.param in seen:
                raise EndgameError(f"--sweep: params.{a.param} is swept twice")
            seen.add(a.param)
            i = model.param_index[a.param]
            lo, hi = float(model.param_lo[i]), float(model.param_hi[i])
            for v in a.values:
                if v < lo or v > hi:
                    raise EndgameError(f"--sweep: params.{a.param}={v:g} is outside its declared range "
                                       f"[{lo:g}, {hi:g}]")

    def params(self, model: CompiledModel, base: np.ndarray) -> np.ndarray:
        """[points, P]: ``base`` (the model's parameter values, [P]) with each point's values set."""
        out = np.tile(np.asarray(base, dtype=np.float64), (self.points, 1))
        vals = self.values()
        for j, a in enumerate(self.axes):
            out[:, model.param_index[a.param]] = vals[:, j]
        return out


def make_grid(sweeps: Iterable[str | Axis] | Mapping[str, Sequence[float]] | Grid | None) -> Grid:
    """A ``Grid`` from ``--sweep`` texts, ``Axis`` objects, or ``{"params.x": [values]}``."""
    if sweeps is None:
        return Grid()
    if isinstance(sweeps, Grid):
        return sweeps
    if isinstance(sweeps, Mapping):
        return Grid(tuple(Axis(k.removeprefix("params."), tuple(float(v) for v in vs)) for k, vs in sweeps.items()))
    return Grid(tuple(s if isinstance(s, Axis) else parse_axis(s) for s in sweeps))
