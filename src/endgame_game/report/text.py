"""Plain-text narration of turns: what happened and why. Read by ``simulate``, the app and reports."""

from __future__ import annotations

from collections import defaultdict

import attrs
import numpy as np

from endgame_game.engine.log import (
    EffectApplied,
    EndingReached,
    EventFired,
    MoveTaken,
    ProposalRecord,
    Record,
    ThresholdCrossed,
    UmpireAction,
)
from endgame_game.engine.model import CompiledModel


@attrs.frozen
class Change:
    """The net change of one value over a turn, and what caused it (largest first)."""

    target: str
    label: str
    before: float
    after: float
    causes: tuple[tuple[str, float], ...]

    @property
    def delta(self) -> float:
        return self.after - self.before


def target_label(model: CompiledModel, target: str) -> str:
    """``kyiv.grid`` → ``Kyiv grid supply (GW)``."""
    rs = model.ruleset
    if target.startswith("flags."):
        f = rs.flags.get(target[6:])
        return (f.label if f and f.label else target[6:].replace("_", " ")).strip()
    if target in rs.tracks:
        return rs.tracks[target].label
    actor, _, res = target.partition(".")
    r = rs.resources.get(res)
    a = rs.actors.get(actor)
    if r and a:
        unit = f" ({r.unit})" if r.unit else ""
        return f"{a.name} {r.label.lower() if r.label[:1].isupper() and not r.label[1:2].isupper() else r.label}{unit}"
    return target


def source_label(model: CompiledModel, source: str) -> str:
    """A move, flow, event, threshold or proposal id → its label."""
    return model.labels.get(source, source)


def changes(model: CompiledModel, records: list[Record]) -> list[Change]:
    """Net change per target, with causes, from a turn's EffectApplied records (one game)."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    causes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in records:
        if isinstance(r, EffectApplied):
            first.setdefault(r.target, r.before)
            last[r.target] = r.after
            causes[r.target][source_label(model, r.source)] += r.after - r.before
    out = []
    for t in first:
        cs = sorted(causes[t].items(), key=lambda kv: -abs(kv[1]))
        out.append(Change(t, target_label(model, t), first[t], last[t], tuple((k, v) for k, v in cs if abs(v) > 1e-9)))
    return out


def fmt_num(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def narrate(model: CompiledModel, records: list[Record], *, turn: int | None = None) -> list[str]:
    """Readable lines for one game's records of one turn: orders, events, thresholds, agreements,
    then the net changes with their causes, then the ending if any."""
    lines: list[str] = []
    if turn is not None:
        d = model.date_of(turn)
        lines.append(f"Turn {turn} — {d:%B %Y}")
    orders: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if isinstance(r, MoveTaken):
            orders[r.actor].append(r.label)
    for actor, labels in orders.items():
        name = model.ruleset.actors[actor].name if actor in model.ruleset.actors else actor
        lines.append(f"  {name}: " + "; ".join(labels))
    for r in records:
        if isinstance(r, EventFired | ThresholdCrossed | ProposalRecord | UmpireAction):
            if isinstance(r, ProposalRecord) and r.status == "made":
                continue
            lines.append("  • " + r.describe())
    for c in changes(model, records):
        if c.target.startswith("flags."):
            lines.append(f"  {c.label}: {'yes' if c.after else 'no'}")
            continue
        if abs(c.delta) < 1e-9:
            continue
        why = ", ".join(f"{k} {v:+.3g}" for k, v in c.causes[:3])
        lines.append(f"  {c.label}: {fmt_num(c.before)} → {fmt_num(c.after)} ({c.delta:+.3g}: {why})")
    for r in records:
        if isinstance(r, EndingReached):
            lines.append(f"  ENDING: {r.label}")
    return lines
