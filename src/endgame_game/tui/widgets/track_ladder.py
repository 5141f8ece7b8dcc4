"""Global tracks: a ladder for tracks with levels (current rung, next threshold), a gauge for the rest."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from endgame_game.tui.view import TrackView, num
from endgame_game.tui.widgets.resource_panel import cell


def gauge(value: float, lo: float, hi: float, width: int = 10) -> str:
    frac = 0.0 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
    full = int(round(frac * width))
    return "█" * full + "░" * (width - full)


class TrackLadder(Static):
    """Shows every track. ``compact`` keeps only the rungs around the current one (80×24)."""

    compact: bool = True

    def __init__(self, *, ladders: bool | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ladders = ladders
        """True: only tracks with levels; False: only the others; None: all."""

    def show(self, tracks: Sequence[TrackView], compact: bool | None = None) -> None:
        if self.ladders is not None:
            tracks = [t for t in tracks if bool(t.levels) == self.ladders]
        self.display = bool(tracks)
        self.tracks = list(tracks)
        if compact is not None:
            self.compact = compact
        parts: list[Text] = []
        for t in tracks:
            if t.levels:
                parts.append(Text.assemble((t.label, "bold"), f"  {num(t.value)}"))
                rungs = list(enumerate(t.levels))
                if self.compact:
                    rungs = [(i, lv) for i, lv in rungs if t.rung - 1 <= i <= t.rung + 1]
                for i, lv in reversed(rungs):
                    if i == t.rung:
                        line = Text(f" ▶ {i} {lv}", style="bold reverse", no_wrap=True, overflow="ellipsis")
                    elif i > t.rung:
                        line = Text(f"   {i} {lv}", style="dim", no_wrap=True, overflow="ellipsis")
                    else:
                        line = Text(f"   {i} {lv}", no_wrap=True, overflow="ellipsis")
                    parts.append(line)
                if t.next_threshold:
                    parts.append(Text(f"   next red line: {t.next_threshold}", style="yellow",
                                      no_wrap=True, overflow="ellipsis"))
            else:
                w = self.size.width or 38
                gw = 10 if w >= 50 else 6
                val = num(t.value) + (f" {t.unit}" if t.unit else "")
                val_w = min(len(val), 14)
                label_w = max(6, w - gw - val_w - 2)
                line = cell(t.label_for(label_w), label_w) + " " + cell(val, val_w, "bold", right=True)
                line += Text(" ") + Text(gauge(t.value, t.lo, t.hi, gw), style="cyan")
                parts.append(line)
                if t.next_threshold:
                    parts.append(Text(f"   next: {t.next_threshold}", style="yellow", no_wrap=True, overflow="ellipsis"))
        self.update(Group(*parts) if parts else Text("no tracks", style="dim"))

    def on_resize(self) -> None:
        if getattr(self, "tracks", None) is not None:
            self.show(self.tracks)
