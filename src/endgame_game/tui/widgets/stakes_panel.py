"""What is at stake, drawn: the breaking points on the dashboard, the endings with their distances,
and a score term by term (the data comes from ``report.stakes``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from endgame_game.report.stakes import EndingStatus, Gauge, Part, Term, fmt

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


INDENT = 5  # under the ending's label, past its WIN/DRAW/LOSS badge
STEP = 2  # each level of and/or deeper


def _mark(met: bool) -> Text:
    return Text("☑ " if met else "☐ ", style="green" if met else "dim")


def _group_head(part: Part) -> Text:
    """``all of these (1 of 3 hold now):`` / ``any one of these (none holds now):``."""
    n, k = len(part.parts), part.met_count
    if part.kind == "all":
        return Text(f"all of these ({k} of {n} hold now):")
    return Text("any one of these (" + (f"{k} of {n} hold now" if k else "none holds now") + "):")


def _leaf(part: Part) -> Text:
    if part.gauge is not None:
        return Text(part.gauge.text, style="bold red" if part.met else "")
    label = part.check.label if part.check is not None else ""
    return Text(label, style="" if part.met else "dim")


def condition_lines(part: Part, depth: int = 0, mark: bool = False) -> list[tuple[int, Text | None, Text]]:
    """A condition's and/or structure as (depth, tick, line): a group's heading, then its parts one
    level deeper, each part ticked ☑ or not ☐ with its current value and distance."""
    out: list[tuple[int, Text | None, Text]] = []
    tick = _mark(part.met) if mark else None
    if part.compound:
        out.append((depth, tick, _group_head(part)))
        for p in part.parts:
            out += condition_lines(p, depth + 1, mark=True)
    else:
        out.append((depth, tick, _leaf(part)))
    return out


def _row(depth: int, tick: Text | None, text: Text) -> RenderableType:
    """One line of a condition, indented; a wrapped line stays under its text, not under its tick."""
    body: RenderableType = text
    if tick is not None:
        grid = Table.grid()
        grid.add_column(width=2, no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(tick, text)
        body = grid
    return Padding(body, (0, 0, 0, INDENT + STEP * depth))


def endings_text(statuses: Sequence[EndingStatus], role_name: str = "you") -> Group:
    """Every ending: what it means for the role, whether it holds now, and its condition: a single
    comparison with its distance, or an and/or structure with each part's value and distance (wrapped
    lines keep their indent, so it reads at 80×24)."""
    rows: list[RenderableType] = []
    for s in statuses:
        head = badge(s.outcome)
        head.append(" ")
        mark = " ◀ reached" if s.reached else (" ◀ holds now" if s.met else "")
        head.append(s.label, style="bold")
        head.append(mark, style="bold red" if s.met or s.reached else "")
        rows.append(head)
        lines: list[tuple[int, Text | None, Text]] = []
        if s.fallback:
            lines.append((0, None, Text("when no other ending comes by the last turn", style="dim")))
        elif s.tree is not None and s.tree.compound:
            lines = condition_lines(s.tree)
        elif not s.gauges and not s.checks:
            lines.append((0, None, Text(f"when {s.condition}", style="dim")))
        else:
            lines += [(0, None, Text(g.text, style="bold red" if g.met else "")) for g in s.gauges]
            lines += [(0, _mark(c.met), Text(c.label, style="" if c.met else "dim")) for c in s.checks]
        rows += [_row(*line) for line in lines]
    if statuses and any(o.outcome for o in statuses):
        rows += [Text(""), Text(f"WIN/DRAW/LOSS: what the ending would mean for {role_name} were the game to end so now.",
                                style="dim italic")]
    return Group(*rows)


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
        out.append(f"{approx}{t.shown:+.1f}".rjust(8), style="bold")
    bonuses = [t for t in terms if t.conditional and abs(t.value) < 1e-12]
    if bonuses:
        out.append("\n  At the end, by ending:", style="dim")
        for t in bonuses:
            out.append(f"\n    {t.text}", style="dim")
    return out
