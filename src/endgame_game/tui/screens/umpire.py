"""The umpire (white cell): every true value, and inject / adjust / pause / rewind.

Each action goes through ``Game.inject``/``adjust``/``note`` (or ``Session.rewind``), so it is an
entry in the game's order log and saves and replays reproduce it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from endgame_game.errors import EndgameError
from endgame_game.tui import view
from endgame_game.tui.messages import SessionChanged
from endgame_game.tui.screens.dialogs import AdjustDialog, ChoiceDialog, TextDialog
from endgame_game.tui.screens.pause import PauseScreen
from endgame_game.tui.session import Session


class UmpireScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("j", "inject", "Inject event"),
        Binding("a", "adjust", "Adjust value"),
        Binding("p", "pause", "Pause"),
        Binding("w", "rewind", "Rewind"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="umpire"):
            yield Label("", classes="screen-title", id="umpire-title")
            with Horizontal(id="umpire-main"):
                with VerticalScroll(id="umpire-values"):
                    yield Static(id="true-values")
                with VerticalScroll(id="umpire-log"):
                    yield Static(id="umpire-actions")
            with Horizontal(classes="buttons"):
                yield Button("Inject event (j)", id="inject", variant="warning", compact=True)
                yield Button("Adjust (a)", id="adjust", variant="primary", compact=True)
                yield Button("Pause (p)", id="pause", compact=True)
                yield Button("Rewind (w)", id="rewind", variant="error", compact=True)
                yield Button("Back (esc)", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        game = self.session.game
        cal = view.calendar(game)
        self.query_one("#umpire-title", Label).update(
            f"Umpire · true values · {cal['date']} · turn {cal['turn']}")
        t = Table.grid(padding=(0, 1), expand=True)
        t.add_column(ratio=3, no_wrap=True, overflow="ellipsis")
        t.add_column(justify="right", no_wrap=True)
        t.add_column(ratio=2, no_wrap=True, overflow="ellipsis")
        for name, rows in view.true_rows(game):
            t.add_row(Text(name, style="bold underline"), "", "")
            for r in rows:
                t.add_row("  " + r.label, Text(r.text, style="bold"), Text(r.unit, style="dim"))
        self.query_one("#true-values", Static).update(t)
        acts = Text("This turn's umpire actions\n", style="bold")
        for a in game.umpire_actions:
            acts.append(f"• {a.describe()}\n")
        if not game.umpire_actions:
            acts.append("none yet\n", style="dim")
        acts.append("\nOrders in this turn so far\n", style="bold")
        for actor in self.session.model.actors:
            o = game.orders_of(actor)
            if o:
                acts.append(f"• {view.actor_name(self.session.model, actor)}: {', '.join(o)}\n")
        self.query_one("#umpire-actions", Static).update(acts)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.run_action({"inject": "inject", "adjust": "adjust", "pause": "pause", "rewind": "rewind",
                         "back": "close"}[event.button.id or "back"])

    def _changed(self, rewound: bool = False) -> None:
        self.refresh_view()
        self.post_message(SessionChanged(rewound))

    def _try(self, fn: object, *args: object) -> bool:
        try:
            fn(*args)  # type: ignore[operator]
        except EndgameError as e:
            self.notify(str(e), title="Umpire", severity="error")
            return False
        return True

    def action_inject(self) -> None:
        model = self.session.model
        opts = [(e.id, f"{e.label}" + (f" — {e.text[:60]}" if e.text else "")) for e in model.events]

        def done(event_id: str | None) -> None:
            if not event_id:
                return

            def reason(why: str | None) -> None:
                if why is not None and self._try(self.session.game.inject, event_id, why):
                    self.notify(f"Injected: {event_id}", title="Umpire")
                    self._changed()

            self.app.push_screen(TextDialog(f"Why inject {event_id}? (logged)", required=False), reason)

        self.app.push_screen(ChoiceDialog("Inject an event from the ruleset", opts), done)

    def action_adjust(self) -> None:
        game, model = self.session.game, self.session.model
        targets = [(v, view.target_label(model, v)) for v in model.symbols.values]
        current = {v: float(game.state.values[0, j]) for j, v in enumerate(model.symbols.values)}

        def done(result: tuple[str, float, str] | None) -> None:
            if result and self._try(self.session.game.adjust, *result):
                self.notify(f"{result[0]} set to {result[1]:.4g}", title="Umpire")
                self._changed()

        self.app.push_screen(AdjustDialog(targets, current), done)

    def action_pause(self) -> None:
        def done(text: str | None) -> None:
            if text and self._try(self.session.game.pause, text):
                self._changed()
                game = self.session.game
                when = f"Turn {min(game.turn, self.session.model.max_turns)} · noted in the game's log"
                self.app.push_screen(PauseScreen(text, when))

        self.app.push_screen(TextDialog("Pause for discussion — what is being discussed? (logged)",
                                        value="Pause for discussion"), done)

    def action_rewind(self) -> None:
        game = self.session.game
        opts = [(str(t), f"Back to the start of turn {t} ({self.session.model.date_of(t):%B %Y})")
                for t in range(game.turn - 1, 0, -1)] if game.turn > 1 else []

        def done(turn: str | None) -> None:
            if turn and self._try(self.session.rewind, int(turn)):
                self.notify(f"Rewound to turn {turn}.", title="Umpire")
                self._changed(rewound=True)

        self.app.push_screen(ChoiceDialog("Rewind: replay the log up to the start of a turn", opts,
                                          note="Orders after that point are dropped; the rewind is logged."), done)

    def action_close(self) -> None:
        self.dismiss(None)
