"""``d``: a move in full, scrollable by keyboard: summary, cost, every effect, a proposal's terms,
the source, and why it is not available."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from endgame_game.tui.view import MoveView
from endgame_game.tui.widgets.move_list import detail_text


class MoveDetailsScreen(Screen[bool]):
    """Dismissed with True when the player orders the move from here (o), else False."""

    BINDINGS = [Binding("escape,d,q", "close", "Back"), Binding("o,enter", "order", "Order this move")]

    def __init__(self, move: MoveView, terms: Sequence[str] = ()) -> None:
        super().__init__()
        self.move, self.terms = move, list(terms)

    def compose(self) -> ComposeResult:
        with Vertical(id="details"):
            yield Label(f"Move: {self.move.label}", classes="screen-title")
            with VerticalScroll(id="details-body"):
                yield Static(detail_text(self.move, self.terms, full=True), id="details-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#details-body").focus()

    def action_close(self) -> None:
        self.dismiss(False)

    def action_order(self) -> None:
        self.dismiss(True)
