"""The top bar: scenario, role, date, season, turn and turns left, action points."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import Static


class CalendarBar(Static):
    def show(self, cal: Mapping[str, str], role: str, title: str, extra: str = "") -> None:
        t = Text.assemble(
            (f" {role} ", "bold reverse"), " ",
            (cal["date"], "bold"), f" · {cal['season']} · turn {cal['turn']} · {cal['left']}",
        )
        if extra:
            t.append(f" · {extra}", style="yellow")
        t.append(f"   {title}", style="dim")
        t.no_wrap, t.overflow = True, "ellipsis"
        self.update(t)
