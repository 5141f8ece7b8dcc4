"""After a turn resolves: what happened, what changed and why, thresholds crossed, events."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from endgame_game.tui.widgets.news_feed import styled


class TurnReportScreen(Screen[None]):
    BINDINGS = [Binding("enter,escape,space", "close", "Continue")]

    def __init__(self, title: str, lines: Sequence[str], note: str = "", guide: str = "") -> None:
        """``guide``: what a guided game says about this report ("" for none)."""
        super().__init__()
        self.title_text, self.lines, self.note, self.guide = title, list(lines), note, guide

    def compose(self) -> ComposeResult:
        with Vertical(id="turn-report"):
            yield Label(self.title_text, classes="screen-title")
            if self.guide:
                yield Static(self.guide, id="report-guide", markup=False)
            with VerticalScroll(id="report-body"):
                body = Text("\n").join(styled(x) for x in self.lines) if self.lines else Text("Nothing happened.")
                yield Static(body, id="report-text")
            if self.note:
                yield Label(self.note, classes="dim", id="report-note")
            yield Button("Continue ⏎", variant="primary", id="continue", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
