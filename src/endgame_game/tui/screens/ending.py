"""The end of the game: the ending, its debrief, every role's score, and the after-action report."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Markdown, Static

from endgame_game.tui import view
from endgame_game.tui.session import Session
from endgame_game.tui.widgets.news_feed import styled


class EndingScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "app.report", "After-action report"),
        Binding("s", "app.save", "Save"),
        Binding("n", "app.new_game", "New game"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        game, model = self.session.game, self.session.model
        idx = int(game.state.ending[0])
        ending = model.endings[idx] if idx >= 0 else None
        label = ending.label if ending else "The game was stopped"
        end_turn = int(game.state.end_turn[0]) or game.turn
        with Vertical(id="ending"):
            yield Label(f"Ending: {label}", classes="screen-title", id="ending-title")
            yield Label(f"{model.meta.title} · after turn {end_turn} ({model.date_of(min(end_turn, model.max_turns)):%B %Y})",
                        classes="dim")
            with Horizontal(id="ending-main"):
                with VerticalScroll(id="ending-text"):
                    yield Markdown((ending.text.strip() if ending and ending.text else "") or "_No debrief for this ending._")
                    last = view.turn_report(game, len(game.logs), None) if game.logs else []
                    if last:
                        yield Label("The last turn", classes="section")
                        yield Static(Text("\n").join(styled(x) for x in last[1:]), id="ending-last-turn")
                with Vertical(id="ending-side"):
                    table: DataTable[str | Text] = DataTable(id="scores", cursor_type="none", zebra_stripes=True)
                    table.add_columns("Role", "Score", "Played by")
                    humans = {view.actor_name(model, h) for h in self.session.humans}
                    for name, score in sorted(view.scores(game), key=lambda x: -x[1]):
                        table.add_row(name, Text(view.num(score), justify="right"), "you" if name in humans else "AI")
                    yield table
                    yield Static("", id="report-status")
            with Horizontal(classes="buttons"):
                yield Button("After-action report (r)", variant="primary", id="report", compact=True)
                yield Button("Save (s)", id="save", compact=True)
                yield Button("New game (n)", id="new", compact=True)
                yield Button("Quit (q)", id="quit", compact=True)
        yield Footer()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {"report": "report", "save": "save", "new": "new_game", "quit": "quit"}[event.button.id or "quit"]
        await self.run_action(f"app.{action}")

    def set_status(self, text: str) -> None:
        self.query_one("#report-status", Static).update(text)
