"""The class timer's line: who is on the clock, the time left, what happens at zero."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def mmss(seconds: float) -> str:
    """``2:05`` for 125 s (rounded up, so 0:00 shows only when the time is really up)."""
    s = max(0, int(-(-seconds // 1)))
    return f"{s // 60}:{s % 60:02d}"


class Countdown(Static):
    """One line: ``⏱ 2:05 left · Moscow · at 0:00 the queued orders go``; red in the last 30 s."""

    DEFAULT_CSS = """
    Countdown { height: 1; background: $panel; padding: 0 1; }
    Countdown.-low { background: $error 40%; }
    """

    def show(self, seconds: float, who: str, at_zero: str, paused: bool = False) -> None:
        t = Text.assemble(("⏱ ", ""), (mmss(seconds), "bold"), " left", (f" · {who}" if who else "", ""),
                          (f" · {at_zero}" if at_zero else "", "dim"))
        if paused:
            t.append(" · paused", style="yellow")
        t.no_wrap, t.overflow = True, "ellipsis"
        self.set_class(seconds <= 30 and not paused, "-low")
        self.update(t)
