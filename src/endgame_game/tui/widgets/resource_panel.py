"""Own resources (exact, with trend) and other actors' resources (estimates with their spread).

Columns are sized from the widget's width, so the same panel reads well at 80×24 and 120×40.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from endgame_game.tui.view import ValueRow, num


def cell(text: str, width: int, style: str = "", right: bool = False) -> Text:
    """``text`` cut (with …) or padded to exactly ``width`` cells."""
    if width <= 0:
        return Text("")
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return Text(text.rjust(width) if right else text.ljust(width), style=style)


class ResourcePanel(Static):
    """The role's own resources: value, unit, a sparkline of the turns so far and the last change."""

    def show(self, rows: Sequence[ValueRow]) -> None:
        self.rows = list(rows)
        w = self.size.width or 38
        value_w = max([len(r.text) for r in rows] + [3])
        wide = w >= 50
        unit_w = 12 if wide else 8
        trend_w = 8 if wide else 6
        delta_w = 7 if wide else 0
        label_w = max(8, w - value_w - unit_w - trend_w - delta_w - 4)
        lines = []
        for r in rows:
            line = cell(r.label_for(label_w), label_w) + " " + cell(r.text, value_w, "bold", right=True) + " "
            line += cell(r.unit, unit_w, "dim") + " " + cell(r.trend[-trend_w:], trend_w, "cyan")
            if delta_w:
                d = r.delta
                mark = "" if abs(d) < 1e-9 else ("▲" if d > 0 else "▼") + num(abs(d))
                line += Text(" ") + cell(mark, delta_w - 1, "green" if d > 0 else "red")
            lines.append(line)
        self.update(Text("\n").join(lines) if lines else Text("no resources", style="dim"))

    def on_resize(self) -> None:
        if getattr(self, "rows", None) is not None:
            self.show(self.rows)


class IntelPanel(Static):
    """Other actors' resources as this role sees them: "≈ 610 ± 60" where intelligence is noisy."""

    def show(self, groups: Sequence[tuple[str, Sequence[ValueRow]]]) -> None:
        self.groups = list(groups)
        w = self.size.width or 38
        rows = [r for _, rs in groups for r in rs]
        value_w = max([len(r.text) for r in rows] + [3])
        unit_w = 12 if w >= 50 else 8
        label_w = max(6, w - value_w - unit_w - 4)
        lines = []
        for name, rs in groups:
            lines.append(Text(name, style="bold underline"))
            for r in rs:
                lines.append(Text("  ") + cell(r.label_for(label_w), label_w) + " "
                             + cell(r.text, value_w, "" if r.exact else "italic", right=True) + " "
                             + cell(r.unit, unit_w, "dim"))
        self.update(Text("\n").join(lines) if lines else Text("nothing to observe", style="dim"))

    def on_resize(self) -> None:
        if getattr(self, "groups", None) is not None:
            self.show(self.groups)
