"""A role's briefing (the ruleset's Markdown) before the first turn, and on ``b`` during play."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Markdown

from endgame_game.engine.model import CompiledModel


class BriefingScreen(Screen[None]):
    BINDINGS = [Binding("enter,escape,space", "close", "Continue")]

    def __init__(self, model: CompiledModel, role: str) -> None:
        super().__init__()
        self.model, self.role = model, role

    def compose(self) -> ComposeResult:
        actor = self.model.ruleset.actors[self.role]
        text = actor.briefing.strip() or (actor.summary or "No briefing for this role.")
        with Vertical(id="briefing"):
            yield Label(f"{actor.name} — briefing · {self.model.meta.title}", classes="screen-title")
            with VerticalScroll(id="briefing-body"):
                yield Markdown(text)
            yield Button("Continue ⏎", variant="primary", id="continue", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#briefing-body").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
