"""PNG charts of the after-action report, drawn headless with matplotlib's Agg backend.

Importing this module needs matplotlib (the ``report`` extra); ``aar.write_report`` falls back to a
text-only report without it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

# Figures are made with ``matplotlib.figure.Figure`` directly, never pyplot: no GUI backend, no global
# state, so the app can draw a report in a worker thread (PNG output uses the Agg renderer).

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _grid(n: int, cols: int = 2) -> tuple[int, int]:
    cols = min(cols, max(1, n))
    return math.ceil(n / cols), cols


def _turn_axis(ax: Any, n: int) -> None:
    ax.set_xlim(0, max(1, n - 1))
    step = max(1, (n - 1) // 12)
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels(["start" if t == 0 else str(t) for t in ticks], fontsize=8)
    ax.grid(True, alpha=0.3)


def _actor_colors(model: Any) -> dict[str, str]:
    return {a: COLORS[i % len(COLORS)] for i, a in enumerate(model.actors)}


def resources_chart(aar: Any, path: Path) -> Path | None:
    m = aar.model
    res = list(m.ruleset.resources.items())
    if not res:
        return None
    rows, cols = _grid(len(res), 3 if len(res) > 4 else 2)
    fig = Figure(figsize=(max(8.0, 4.2 * cols), 2.8 * rows + 0.3))
    axes = fig.subplots(rows, cols, squeeze=False)
    colors = _actor_colors(m)
    n = aar.values.shape[0]
    x = np.arange(n)
    for k, (rid, r) in enumerate(res):
        ax = axes[k // cols][k % cols]
        for owner in r.owners:
            j = m.value_index[f"{owner}.{rid}"]
            name = m.ruleset.actors[owner].name if owner in m.ruleset.actors else owner
            ax.plot(x, aar.values[:, j], marker="o", markersize=3, color=colors[owner], label=name)
        ax.set_title(r.label + (f" ({r.unit})" if r.unit else ""), fontsize=10)
        _turn_axis(ax, n)
        if len(r.owners) > 1:
            ax.legend(fontsize=7, loc="best")
        else:
            ax.text(0.01, 0.02, m.ruleset.actors[r.owners[0]].name if r.owners[0] in m.ruleset.actors else r.owners[0],
                    transform=ax.transAxes, fontsize=7, color="#555")
    return _finish(fig, axes, len(res), f"{aar.title}: resources by turn", 12, path)


def _finish(fig: Any, axes: Any, used: int, title: str, fontsize: int, path: Path) -> Path:
    """Blank the unused cells of the grid, title the figure, lay it out and write the PNG."""
    rows, cols = len(axes), len(axes[0])
    for k in range(used, rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(title, fontsize=fontsize)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def tracks_chart(aar: Any, path: Path) -> Path | None:
    m = aar.model
    tracks = list(m.ruleset.tracks.items())
    if not tracks:
        return None
    rows, cols = _grid(len(tracks), 2)
    fig = Figure(figsize=(max(8.0, 5.2 * cols), 3.0 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False)
    n = aar.values.shape[0]
    x = np.arange(n)
    crossed_at: dict[str, list[int]] = {}
    for t, tid, _label in aar.crossings:
        crossed_at.setdefault(tid, []).append(t)
    on_track = {th.id for th in m.ruleset.thresholds if th.track}
    for k, (tid, tr) in enumerate(tracks):
        ax = axes[k // cols][k % cols]
        j = m.value_index[tid]
        y = aar.values[:, j]
        ax.plot(x, y, marker="o", markersize=3, color="#444", label=tr.label)
        for th in m.ruleset.thresholds:
            if th.track != tid or th.at is None:
                continue
            ax.axhline(th.at, color="#d62728", linestyle="--", linewidth=1)
            ax.text(0.02, th.at, " " + (th.label or th.id)[:48], color="#d62728", fontsize=7, va="bottom",
                    transform=ax.get_yaxis_transform())
            for t in crossed_at.get(th.id, []):
                if 0 <= t < n:
                    ax.plot([t], [y[t]], marker="*", markersize=14, color="#d62728", zorder=5)
                    ax.annotate(f"crossed, turn {t}", (t, y[t]), textcoords="offset points", xytext=(5, -12),
                                fontsize=7, color="#d62728")
        if k == 0:
            if aar.ending_label and 0 < aar.end_turn < n:
                ax.axvspan(aar.end_turn - 0.5, aar.end_turn, color="#bbbbbb", alpha=0.35, lw=0)
                ax.text(aar.end_turn - 0.25, 0.02, "ending: " + aar.ending_label[:28], rotation=90, fontsize=7,
                        ha="center", va="bottom", color="#333", transform=ax.get_xaxis_transform())
            for th in m.ruleset.thresholds:
                if th.id in on_track:
                    continue
                for t in crossed_at.get(th.id, []):
                    ax.axvline(t, color="#9467bd", linestyle=":", linewidth=1)
                    ax.text(t, 0.98, " " + (th.label or th.id)[:30], rotation=90, va="top", fontsize=6,
                            color="#9467bd", transform=ax.get_xaxis_transform())
        if tr.levels:
            ticks = list(range(len(tr.levels)))
            ax.set_yticks(ticks)
            ax.set_yticklabels([f"{i} {lv[:22]}{'…' if len(lv) > 22 else ''}" for i, lv in enumerate(tr.levels)], fontsize=6)
            ax.set_ylim(-0.2, len(tr.levels) - 0.8)
        ax.set_title(tr.label + (f" ({tr.unit})" if tr.unit else ""), fontsize=10)
        _turn_axis(ax, n)
    return _finish(fig, axes, len(tracks), f"{aar.title}: tracks\nthresholds dashed, crossings starred", 11, path)


def distribution_chart(aar: Any, path: Path) -> Path | None:
    b = aar.batch
    if b is None or not b.standings:
        return None
    rows, cols = _grid(len(b.standings), 2)
    fig = Figure(figsize=(4.6 * cols, 2.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, s in enumerate(b.standings):
        ax = axes[k // cols][k % cols]
        xs = b.scores[s.actor]
        ax.hist(xs, bins=min(40, max(5, int(np.sqrt(len(xs))))), color="#9ecae1", edgecolor="#6baed6")
        ax.axvline(s.score, color="#d62728", linewidth=2)
        ax.set_title(f"{s.name}: better than {100 * s.better_than:.0f} % of {s.games:,} AI games", fontsize=9)
        ax.set_xlabel("score", fontsize=8)
        ax.grid(True, alpha=0.3)
    return _finish(fig, axes, len(b.standings), "This game (red line) among AI games", 11, path)


def draw_all(aar: Any, out: Path) -> dict[str, Path]:
    made: dict[str, Path] = {}
    for key, fn in (("resources", resources_chart), ("tracks", tracks_chart), ("distribution", distribution_chart)):
        p = fn(aar, out / f"{key}.png")
        if p is not None:
            made[key] = p
    return made
