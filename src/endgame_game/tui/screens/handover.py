"""Hot-seat privacy screen: "pass the terminal to Kyiv". Opaque: shows the next role's name, the
turn and nothing of any role's values or orders, and offers no way to the umpire console (the
umpire unlocks it with the passphrase, ctrl+u, which is not shown here)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static


class HandoverScreen(Screen[None]):
    BINDINGS = [Binding("enter,space", "ready", "I am ready"), Binding("s", "app.save", "Save")]

    def __init__(self, role_name: str, turn_text: str) -> None:
        super().__init__()
        self.role_name, self.turn_text = role_name, turn_text

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                with Vertical(id="handover"):
                    yield Static(f"Pass the terminal to {self.role_name}", id="handover-title")
                    yield Label(self.turn_text, id="handover-turn")
                    yield Label("Everyone else, please look away.", classes="dim")
                    yield Button(f"I am {self.role_name} — show my screen", variant="primary", id="ready")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_ready(self) -> None:
        self.dismiss(None)
