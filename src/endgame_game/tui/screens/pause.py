"""The umpire's pause: a full screen for the projector while the class discusses; Enter resumes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static


class PauseScreen(Screen[None]):
    """Covers the game (nobody's values show) until the umpire resumes."""

    BINDINGS = [Binding("enter", "resume", "Resume")]

    def __init__(self, topic: str, when: str) -> None:
        super().__init__()
        self.topic, self.when = topic, when

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                with Vertical(id="handover"):
                    yield Static("Paused for discussion", id="handover-title")
                    yield Label(self.topic, id="handover-turn")
                    yield Label(self.when, classes="dim")
                    yield Button("Resume the game", variant="primary", id="resume")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_resume(self) -> None:
        self.dismiss(None)
