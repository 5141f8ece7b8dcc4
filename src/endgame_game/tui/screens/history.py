"""``h``: the game so far for one role: last turn against now, every own resource and track over the
whole game on a fixed scale, and the role's estimates of the others with their 95 % bands."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from endgame_game.engine.api import Game
from endgame_game.tui import view
from endgame_game.tui.widgets.chart import area, band, framed, scale
from endgame_game.tui.widgets.resource_panel import cell


def _own_slots(game: Game, role: str) -> list[int]:
    """The role's own values, then the public tracks, in the ruleset's order."""
    owner = game.model.symbols.value_owner
    return [j for j, o in enumerate(owner) if o == role] + [j for j, o in enumerate(owner) if o == ""]


def _label_unit(game: Game, j: int) -> tuple[str, str]:
    model = game.model
    name = model.symbols.values[j]
    if name in model.ruleset.tracks:
        t = model.ruleset.tracks[name]
        return t.label, t.unit
    label, unit = view.res_label(model, name)
    return label, view.bounded("x", unit)[1]


def last_vs_now(game: Game, role: str, width: int = 76) -> Text:
    """A table: each own value and track at the start of the last turn and now, with the change."""
    hist = game.history
    if len(hist) < 2:
        return Text("No turn has been played yet.", style="dim")
    before, now = hist[-2][0], hist[-1][0]
    lw = max(12, width - 36)
    out = Text.assemble(cell("", lw), " ", cell("last turn", 10, "bold", True), " ", cell("now", 10, "bold", True),
                        " ", cell("change", 10, "bold", True))
    for j in _own_slots(game, role):
        label, unit = _label_unit(game, j)
        d = float(now[j] - before[j])
        style = "" if abs(d) < 1e-9 else ("green" if d > 0 else "red")
        out.append("\n")
        out.append_text(cell(label + (f" ({unit})" if unit else ""), lw))
        out.append(" ")
        out.append_text(cell(view.num(float(before[j])), 10, right=True))
        out.append(" ")
        out.append_text(cell(view.num(float(now[j])), 10, "bold", right=True))
        out.append(" ")
        out.append_text(cell("·" if abs(d) < 1e-9 else f"{d:+.3g}", 10, style, right=True))
    return out


def own_charts(game: Game, role: str, width: int = 60) -> list[Text]:
    model = game.model
    hist = np.array([h[0] for h in game.history]) if game.history else game.state.values[:1]
    out = []
    for j in _own_slots(game, role):
        label, unit = _label_unit(game, j)
        series = [float(x) for x in hist[:, j]]
        lo, hi = scale(series, float(model.lo[j]), float(model.hi[j]))
        title = label + (f" ({unit})" if unit else "")
        out.append(framed(title, area(series, lo, hi, width, slots=model.max_turns + 1), lo, hi, view.num(series[0]), view.num(series[-1])))
    return out


def estimate_charts(game: Game, role: str, width: int = 60) -> list[Text]:
    model = game.model
    out = []
    for name, points in view.estimate_history(game, role).items():
        if not points or all(p.exact for p in points):
            continue
        j = model.value_index[name]
        vals = [p.value for p in points]
        lows = [max(float(model.lo[j]), p.value - 2 * p.spread) for p in points]
        highs = [min(float(model.hi[j]), p.value + 2 * p.spread) for p in points]
        # The scale is the whole game's bands with a margin, fixed over the game: the band is drawn, so
        # a zoom shows the spread honestly instead of flattening it against the value's bounds.
        span = max(max(highs) - min(lows), 1e-9)
        lo = max(float(model.lo[j]), min(lows) - 0.25 * span)
        hi = min(float(model.hi[j]), max(highs) + 0.25 * span)
        owner = view.actor_name(model, model.symbols.value_owner[j])
        label, unit = _label_unit(game, j)
        title = f"{owner}: {label}" + (f" ({unit})" if unit else "") + " — your estimate, band = 95 %"
        last = points[-1]
        out.append(framed(title, band(vals, lows, highs, lo, hi, width, height=5, slots=model.max_turns + 1), lo, hi,
                          view.estimate(points[0].value, points[0].spread), view.estimate(last.value, last.spread)))
    return out


def history_body(game: Game, role: str, width: int = 76) -> Group:
    parts: list[Text] = [Text("Last turn against now", style="bold underline"), last_vs_now(game, role, width),
                         Text(""), Text("Your resources and the tracks, whole game (fixed scale)", style="bold underline")]
    cw = max(24, width - 10)
    for c in own_charts(game, role, cw):
        parts += [c, Text("")]
    est = estimate_charts(game, role, cw)
    parts.append(Text("Your estimates of the others", style="bold underline"))
    if est:
        for c in est:
            parts += [c, Text("")]
    else:
        parts.append(Text("No history of estimates in this game: the dashboard shows today's.", style="dim"))
    return Group(*parts)


class HistoryScreen(Screen[None]):
    BINDINGS = [Binding("escape,h,enter", "close", "Back")]

    def __init__(self, game: Game, role: str) -> None:
        super().__init__()
        self.game, self.role = game, role

    def compose(self) -> ComposeResult:
        name = view.actor_name(self.game.model, self.role)
        with Vertical(id="history"):
            yield Label(f"History — {name} · {view.calendar(self.game)['date']}", classes="screen-title")
            with VerticalScroll(id="history-body"):
                yield Static(id="history-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#history-body").focus()
        self.call_after_refresh(self._draw)
        self._draw()

    def _draw(self) -> None:
        w = self.query_one("#history-body").size.width or 76
        self.query_one("#history-text", Static).update(history_body(self.game, self.role, max(40, w - 3)))

    def on_resize(self) -> None:
        self._draw()


__all__ = ["HistoryScreen", "history_body"]
