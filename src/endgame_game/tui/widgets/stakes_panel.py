"""What is at stake, drawn: the breaking points on the dashboard, the endings with their distances,
and a score term by term (the data comes from ``report.stakes``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from endgame_game.report.stakes import EndingStatus, Gauge, Term, fmt

OUTCOME_STYLE = {"win": "bold green", "draw": "bold yellow", "loss": "bold red", "": "dim"}
OP = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "=", "<": "<", ">": ">"}


def badge(outcome: str) -> Text:
    """``WIN `` / ``DRAW`` / ``LOSS`` in its colour, four cells wide."""
    word = {"win": "WIN", "draw": "DRAW", "loss": "LOSS"}.get(outcome, "—")
    return Text(word.ljust(4), style=OUTCOME_STYLE.get(outcome, "dim"))


def own_label(label: str, strip: str = "") -> str:
    """``Kyiv manpower`` → ``Manpower`` on Kyiv's own dashboard."""
    if strip and label.lower().startswith(strip.lower() + " "):
        label = label[len(strip) + 1:]
        label = label[:1].upper() + label[1:]
    return label


def gauge_line(g: Gauge, strip: str = "", width: int = 38) -> Text:
    """One dashboard line: ``Deficit  4 GW ≥7  3 to go`` (estimates with ≈)."""
    label = own_label(g.label, strip)
    approx = "" if g.exact else "≈"
    unit = f" {g.unit}" if g.unit and len(g.unit) <= 4 else ""
    value = f"{approx}{fmt(g.value)}{unit}"
    limit = f"{OP[g.op]}{fmt(g.limit)}"
    tail = "REACHED" if g.met else f"{approx}{fmt(g.distance)} to go"
    fixed = len(value) + len(limit) + len(tail) + 3
    lw = max(6, width - fixed)
    if len(label) > lw and g.short:
        label = own_label(g.short, strip)
    if len(label) > lw:
        label = label[: lw - 1] + "…"
    t = Text(label.ljust(lw), style="bold" if g.met else "")
    near = g.met or g.distance <= 0.25 * max(abs(g.limit), 1e-9)
    t.append(f" {value}", style="bold")
    t.append(f" {limit}")
    t.append(f" {tail}", style="bold red" if near else "yellow")
    return t


class BreakingPoints(Static):
    """The gauges of the endings that would be a loss for the role, nearest first."""

    @staticmethod
    def short_label(g: Gauge, actor_name: str = "") -> str:
        return own_label(g.label, actor_name).lower()

    def show(self, gauges: Sequence[Gauge], actor_name: str = "") -> None:
        self.gauges, self.actor_name = list(gauges), actor_name
        w = self.size.width or 38
        self.display = bool(gauges)
        self.update(Text("\n").join(gauge_line(g, actor_name, w) for g in gauges[:5]))

    def on_resize(self) -> None:
        if getattr(self, "gauges", None) is not None:
            self.show(self.gauges, self.actor_name)


def endings_text(statuses: Sequence[EndingStatus], role_name: str = "you") -> Text:
    """Every ending: what it means for the role, whether it holds now, each condition with its distance."""
    out = Text()
    for s in statuses:
        if out:
            out.append("\n")
        out.append_text(badge(s.outcome))
        out.append(" ")
        mark = " ◀ reached" if s.reached else (" ◀ holds now" if s.met else "")
        out.append(s.label, style="bold")
        out.append(mark, style="bold red" if s.met or s.reached else "")
        if s.fallback:
            out.append("\n     when no other ending comes by the last turn", style="dim")
        elif not s.gauges and not s.checks:
            out.append(f"\n     when {s.condition}", style="dim")
        for g in s.gauges:
            out.append("\n     ")
            out.append(g.text, style="bold red" if g.met else "")
        for c in s.checks:
            out.append("\n     ")
            out.append("☑ " if c.met else "☐ ", style="green" if c.met else "dim")
            out.append(c.label, style="" if c.met else "dim")
    if statuses and any(o.outcome for o in statuses):
        out.append(f"\n\nWIN/DRAW/LOSS: what the ending would mean for {role_name} were the game to end so now.",
                   style="dim italic")
    return out


def score_text(label: str, total: float, terms: Sequence[Term]) -> Text:
    """A score and its terms; ending bonuses show what they would add."""
    out = Text.assemble(("Score", "bold"), (f": {label}" if label else "", "italic"), " = ", (fmt(total), "bold"))
    width = max((len(t.text) for t in terms if not t.conditional), default=10)
    width = min(width, 48)
    for t in terms:
        if t.conditional and abs(t.value) < 1e-12:
            continue
        text = t.text if len(t.text) <= width else t.text[: width - 1] + "…"
        out.append(f"\n  {text.ljust(width)} ")
        approx = "" if t.exact else "≈"
        out.append(f"{approx}{t.value:+.1f}".rjust(8), style="bold")
    bonuses = [t for t in terms if t.conditional and abs(t.value) < 1e-12]
    if bonuses:
        out.append("\n  At the end, by ending:", style="dim")
        for t in bonuses:
            out.append(f"\n    {t.text}", style="dim")
    return out
