"""The end of the game, explained: the ending and its debrief, each role's outcome (win/draw/loss) and
score term by term, and where each score sits among AI games of the same role (played in the
background, the same games the after-action report compares with: ``report.debrief``)."""

from __future__ import annotations

import contextlib
import threading

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Markdown, Static

from endgame_game.report import debrief as db
from endgame_game.report.stakes import fmt
from endgame_game.tui import view
from endgame_game.tui.session import Session
from endgame_game.tui.widgets.news_feed import styled
from endgame_game.tui.widgets.stakes_panel import badge


def roles_text(d: db.Debrief) -> Group:
    """Each role: outcome, who played it, score, standing among AI games, and the score's terms."""
    parts: list[Text] = []
    for r in d.roles:
        head = Text()
        head.append_text(badge(r.outcome))
        head.append(f" {r.name}", style="bold")
        head.append(f" ({r.played_by})  score {fmt(r.score)}")
        parts.append(head)
        if r.percentile:
            parts.append(Text(f"     {r.percentile} (median {fmt(r.ai_median)})", style="cyan"))
        for t in r.terms:
            if t.conditional and abs(t.value) < 1e-12:
                continue
            parts.append(Text(f"     {t.shown:+6.1f}  {t.text}", style="dim" if abs(t.value) < 1e-9 else ""))
        parts.append(Text(""))
    return Group(*parts)


class EndingScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "app.report", "After-action report"),
        Binding("g", "stakes", "Endings"),
        Binding("h", "history", "History"),
        Binding("s", "app.save", "Save"),
        Binding("n", "app.new_game", "New game"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, session: Session, compare: bool = True) -> None:
        super().__init__()
        self.session = session
        self.compare = compare
        ai = db.cached_ai_games(session.model) if compare else None
        self.compared = ai is not None
        """The AI games were played already (by an earlier ending of the same ruleset): shown at once."""
        self.debrief = db.debrief(session.game, session.humans, session.agent_specs, ai)

    def compose(self) -> ComposeResult:
        game, model = self.session.game, self.session.model
        d = self.debrief
        end_turn = d.end_turn
        with Vertical(id="ending"):
            yield Label(f"Ending: {d.ending_label}", classes="screen-title", id="ending-title")
            yield Label(f"{model.meta.title} · after turn {end_turn} ({model.date_of(min(end_turn, model.max_turns)):%B %Y})",
                        classes="dim")
            with Horizontal(id="ending-main"):
                with VerticalScroll(id="ending-text"):
                    yield Markdown(d.ending_text or "_No debrief for this ending._")
                    yield Label("How each role fared", classes="section")
                    yield Static(roles_text(d), id="ending-roles")
                    last = view.turn_report(game, len(game.logs), None) if game.logs else []
                    if last:
                        yield Label("The last turn", classes="section")
                        yield Static(Text("\n").join(styled(x) for x in last[1:]), id="ending-last-turn")
                with Vertical(id="ending-side"):
                    table: DataTable[str | Text] = DataTable(id="scores", cursor_type="none", zebra_stripes=True)
                    yield table
                    yield Static("", id="ai-status", classes="dim")
                    yield Static("", id="report-status")
            with Horizontal(classes="buttons"):
                yield Button("Report (r)", variant="primary", id="report", compact=True)
                yield Button("Endings (g)", id="endings", compact=True)
                yield Button("Save (s)", id="save", compact=True)
                yield Button("New game (n)", id="new", compact=True)
                yield Button("Quit (q)", id="quit", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.ai_done = threading.Event()
        """Set once the AI comparison has been shown (or failed): what tests wait for."""
        self._fill_table()
        self.query_one("#ending-text").focus()
        if self.compared:
            self._show_comparison(self.debrief)
            self.ai_done.set()
        elif self.compare:
            self.query_one("#ai-status", Static).update(f"Playing {db.AI_GAMES:,} AI games to compare…")
            self._compare()
        else:
            self.ai_done.set()

    def _fill_table(self) -> None:
        table = self.query_one("#scores", DataTable)
        table.clear(columns=True)
        table.add_columns("Role", "Result", "Score", "vs AI")
        for r in self.debrief.roles:
            pct = f"{100 * (r.better_than + r.ties / 2):.0f} %" if r.percentile else "…" if self.compare else "—"
            who = f"{r.name} ({r.played_by})" if r.human else r.name
            table.add_row(who, badge(r.outcome), Text(fmt(r.score), justify="right"), Text(pct, justify="right"))

    def _compare(self) -> None:
        """Play the AI games in a daemon thread: a player who quits before they finish is not kept
        waiting (a Textual thread worker would hold the exit until its 10,000 games are played)."""
        app = self.app

        def run() -> None:
            try:
                ai = db.play_ai_games(self.session.model)
                d = db.debrief(self.session.game, self.session.humans, self.session.agent_specs, ai)
                if app.is_running:
                    with contextlib.suppress(RuntimeError):  # the app closed between the check and the call
                        app.call_from_thread(self._compared, d)
            finally:
                self.ai_done.set()

        threading.Thread(target=run, name="ai-compare", daemon=True).start()

    def _compared(self, d: db.Debrief) -> None:
        if self.is_mounted:
            self._show_comparison(d)

    def _show_comparison(self, d: db.Debrief) -> None:
        self.debrief = d
        self._fill_table()
        self.query_one("#ending-roles", Static).update(roles_text(d))
        share = f"{100 * d.ai_same_ending:.0f} %" if d.ai_games else "—"
        self.query_one("#ai-status", Static).update(
            f"vs AI: better than this share of {d.ai_games:,} AI games of the same role ({db.AI_AGENT} doctrines). "
            f"{share} of them reached this ending.")

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or "quit"
        if bid == "endings":
            self.action_stakes()
            return
        action = {"report": "report", "save": "save", "new": "new_game", "quit": "quit"}[bid]
        await self.run_action(f"app.{action}")

    def _role(self) -> str:
        s = self.session
        return s.humans[0] if s.humans else next(iter(s.model.playable), s.model.actors[0])

    def action_stakes(self) -> None:
        from endgame_game.tui.screens.stakes import StakesScreen

        self.app.push_screen(StakesScreen(self.session.game, self._role(), truth=True))

    def action_history(self) -> None:
        from endgame_game.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session.game, self._role()))

    def set_status(self, text: str) -> None:
        self.query_one("#report-status", Static).update(text)
