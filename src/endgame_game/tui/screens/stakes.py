"""``g``: what is at stake for the role: every ending with the distance to it and what it would mean
(win, draw, loss), and the role's score term by term. Values the role only estimates carry ``≈``."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from endgame_game.engine.api import Game
from endgame_game.report import stakes
from endgame_game.tui import view
from endgame_game.tui.widgets.stakes_panel import endings_text, score_text


def stakes_body(game: Game, role: str, viewer: str | None) -> Group:
    """The panel's content: the role's stakes in the ruleset's words, the endings, the score."""
    model = game.model
    name = view.actor_name(model, role)
    parts: list[RenderableType] = []
    words = stakes.stakes_text(model, role)
    if words:
        parts.append(Text(words, style="italic"))
        parts.append(Text(""))
    parts.append(Text("Endings, in the order they are checked after every turn", style="bold underline"))
    parts.append(endings_text(stakes.endings(game, viewer, role), name))
    label, total, terms = stakes.score_terms(game, role, viewer)
    if terms:
        parts += [Text(""), score_text(label, total, terms)]
    return Group(*parts)


class StakesScreen(Screen[None]):
    """The endings and stakes panel (full screen, scrolls with the arrows and PgUp/PgDn)."""

    BINDINGS = [Binding("escape,g,enter", "close", "Back")]

    def __init__(self, game: Game, role: str, *, truth: bool = False) -> None:
        """``truth``: read true values (the game is over, or the umpire looks), not the role's estimates."""
        super().__init__()
        self.game, self.role = game, role
        self.viewer: str | None = None if truth else role

    def compose(self) -> ComposeResult:
        name = view.actor_name(self.game.model, self.role)
        cal = view.calendar(self.game)
        with Vertical(id="stakes"):
            yield Label(f"What is at stake for {name} · {cal['date']}, turn {cal['turn']}", classes="screen-title")
            with VerticalScroll(id="stakes-body"):
                yield Static(stakes_body(self.game, self.role, self.viewer), id="stakes-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stakes-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
