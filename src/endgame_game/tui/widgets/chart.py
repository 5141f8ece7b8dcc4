"""Charts drawn with Unicode blocks: a value over the whole game on a fixed scale, and an estimate with
its 95 % band. Pure text, so they read the same at 80×24, in a snapshot and over a network seat."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

EIGHTHS = " ▁▂▃▄▅▆▇█"


def scale(values: Sequence[float], lo: float | None, hi: float | None) -> tuple[float, float]:
    """The chart's fixed range: the value's bounds where the ruleset gives them, else zero (or the
    lowest value) to a little above the highest, so small wobbles stay small."""
    xs = [float(v) for v in values if math.isfinite(float(v))] or [0.0]
    a = float(lo) if lo is not None and math.isfinite(lo) else min(0.0, min(xs))
    b = float(hi) if hi is not None and math.isfinite(hi) else max(xs) * 1.1
    if b - a < 1e-9:
        b = a + 1.0
    return a, b


def _columns(n: int, width: int) -> int:
    return max(1, min(6, width // max(n, 1)))


def area(values: Sequence[float], lo: float, hi: float, width: int = 48, height: int = 4,
         slots: int = 0) -> list[Text]:
    """An area chart, one column group per turn (``slots`` turns wide: the whole game, so the turns to
    come stay blank), eighth-blocks for the top row of each column."""
    n = len(values)
    cw = _columns(max(n, slots), width)
    rows = [Text() for _ in range(height)]
    for v in values:
        frac = 0.0 if not math.isfinite(float(v)) else min(1.0, max(0.0, (float(v) - lo) / (hi - lo)))
        eighths = int(round(frac * height * 8))
        for r in range(height):  # r = 0 is the top row
            level = height - 1 - r
            fill = min(8, max(0, eighths - level * 8))
            rows[r].append(EIGHTHS[fill] * cw, style="cyan")
    return rows


def band(values: Sequence[float], lows: Sequence[float], highs: Sequence[float], lo: float, hi: float,
         width: int = 48, height: int = 4, slots: int = 0) -> list[Text]:
    """An estimate per turn (●) inside its band (░, the 95 % range), on a fixed scale."""
    n = len(values)
    cw = _columns(max(n, slots), width)
    grid = [[" "] * n for _ in range(height)]

    def row(x: float) -> int:
        frac = min(1.0, max(0.0, (x - lo) / (hi - lo)))
        return height - 1 - min(height - 1, int(frac * height))

    for i, (v, a, b) in enumerate(zip(values, lows, highs, strict=True)):
        for r in range(row(b), row(a) + 1):
            grid[r][i] = "░"
        grid[row(v)][i] = "●"
    out = []
    for r in range(height):
        t = Text()
        for ch in grid[r]:
            t.append((ch * cw) if ch != "●" else ("●".center(cw, "░") if cw > 1 else "●"),
                     style="bold yellow" if ch == "●" else "yellow dim")
        out.append(t)
    return out


def framed(title: str, rows: list[Text], lo: float, hi: float, first: str, last: str) -> Text:
    """A chart with its title, the scale on the left and the first and last values under it."""
    top, bottom = _short(hi), _short(lo)
    w = max(len(top), len(bottom))
    out = Text(title, style="bold")
    for i, r in enumerate(rows):
        label = top if i == 0 else bottom if i == len(rows) - 1 else ""
        out.append("\n" + label.rjust(w) + " ┤", style="dim")
        out.append_text(r)
    out.append("\n" + " " * w + " └ ", style="dim")
    out.append(f"turn 1: {first}  →  now: {last}", style="dim")
    return out


def _short(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return f"{x:.1f}"
