"""The umpire (white cell): every true value, derived gauges and live scores; inject / adjust /
set a flag / pause / rewind.

Each action goes through ``Game.inject``/``adjust``/``note`` (or ``Session.rewind``), so it is an
entry in the game's order log and saves and replays reproduce it. In hot-seat the console is behind
the umpire's passphrase (``PassphraseDialog``; the app holds the lock).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.record import UmpireAct
from endgame_game.errors import EndgameError
from endgame_game.rules.compile import Compiled, compile_expr
from endgame_game.tui import view
from endgame_game.tui.messages import SessionChanged
from endgame_game.tui.screens.dialogs import (
    AdjustDialog,
    ChoiceDialog,
    ConfirmDialog,
    TextDialog,
    _FormDialog,
)
from endgame_game.tui.screens.pause import PauseScreen
from endgame_game.tui.session import Session


@functools.lru_cache(maxsize=8)
def _derived_formulas(model: CompiledModel) -> tuple[tuple[str, str, Compiled | None], ...]:
    """(id, doc, compiled formula or None) of every derived formula (compiled once per model)."""
    trees = {k.removeprefix("derived."): v for k, v in model.checked.trees.items() if k.startswith("derived.")}
    out = []
    for did, d in model.ruleset.derived.items():
        fn: Compiled | None = None
        if did in trees:
            try:
                fn = compile_expr(trees[did], model.symbols, f"derived.{did}", trees)
            except Exception:  # noqa: BLE001 - a formula that cannot be compiled alone is shown as n/a
                fn = None
        out.append((did, d.doc.split(".")[0] if d.doc else did, fn))
    return tuple(out)


def derived_values(game: Game) -> list[tuple[str, str, float]]:
    """(id, doc or id, value) of every derived formula of the ruleset, evaluated on the true state
    of game 0 (the umpire's gauges: the power deficit, the fire ratio…)."""
    out = []
    state = game.state.copy()  # a formula with a chance draw must not touch the game
    for did, doc, fn in _derived_formulas(game.model):
        x = math.nan
        if fn is not None:
            try:
                with np.errstate(all="ignore"):
                    v = np.asarray(fn(state), dtype=float)
                x = float(v.reshape(-1)[0]) if v.size else math.nan
            except Exception:  # noqa: BLE001 - one formula that cannot be read alone is shown as n/a
                x = math.nan
        out.append((did, doc, x))
    return out


def flag_rows(game: Game) -> list[tuple[str, str, bool]]:
    """(flag id, label, set?) of every flag, in game 0."""
    model = game.model
    return [(f, getattr(model.ruleset.flags.get(f), "label", "") or f, bool(game.state.flags[0, i]))
            for f, i in model.flag_index.items()]


def discarded_by_rewind(game: Game, turn: int) -> list[str]:
    """What rewinding to the start of ``turn`` throws away, one line per turn: every role's orders and
    the umpire's actions of each resolved turn from ``turn`` on, then this turn's orders so far."""
    model = game.model
    lines = []
    label = {m.id: m.label or m.id for m in model.moves}

    def orders_text(orders: Mapping[str, Sequence[str]], umpire: Sequence[UmpireAct]) -> str:
        parts = [f"{view.actor_name(model, a)}: {', '.join(label.get(i, i) for i in ids) or 'pass'}"
                 for a, ids in orders.items()]
        parts += [f"umpire: {u.describe()}" for u in umpire]
        return "; ".join(parts) or "no orders"

    for t in game.turn_records:
        if t.turn >= turn:
            lines.append(f"Turn {t.turn}: " + orders_text({a: per[0] for a, per in t.orders.items() if per}, t.umpire))
    now = {a: game.orders_of(a) for a in model.actors}
    now = {a: o for a, o in now.items() if o}
    if now or game.umpire_actions:
        lines.append(f"Turn {game.turn} so far: " + orders_text(now, game.umpire_actions))
    return lines


class PassphraseDialog(_FormDialog[str | None]):
    """The umpire's passphrase, typed hidden. ``confirm``: ask twice (setting it)."""

    def __init__(self, title: str, note: str = "", confirm: bool = False) -> None:
        super().__init__()
        self.title_text, self.note, self.confirm = title, note, confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dialog-body")
            yield Input(password=True, placeholder="passphrase", id="pass")
            if self.confirm:
                yield Input(password=True, placeholder="the same again", id="again")
            yield Label("", id="error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pass", Input).focus()

    def _submit(self) -> None:
        from endgame_game.tui.umpire_lock import MIN_LENGTH

        text = self.query_one("#pass", Input).value
        err = self.query_one("#error", Label)
        if self.confirm:
            if len(text) < MIN_LENGTH:
                err.update(f"At least {MIN_LENGTH} characters.")
                return
            if text != self.query_one("#again", Input).value:
                err.update("The two do not match.")
                return
        self.dismiss(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # the form's own handler would submit a second time
        if self.confirm and event.input.id == "pass":
            self.query_one("#again", Input).focus()
            return
        self._submit()


class UmpireScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("j", "inject", "Inject event"),
        Binding("a", "adjust", "Adjust value"),
        Binding("f", "flag", "Set flag"),
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
                yield Button("Inject (j)", id="inject", variant="warning", compact=True)
                yield Button("Adjust (a)", id="adjust", variant="primary", compact=True)
                yield Button("Flag (f)", id="flag", variant="primary", compact=True)
                yield Button("Pause (p)", id="pause", compact=True)
                yield Button("Rewind (w)", id="rewind", variant="error", compact=True)
                yield Button("Back", id="back", compact=True)
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
        sc = view.scores(game)
        if sc:
            t.add_row(Text("Scores (live)", style="bold underline"), "", "")
            for name, v in sc:
                t.add_row("  " + name, Text(view.num(v), style="bold"), "")
        gauges = derived_values(game)
        if gauges:
            t.add_row(Text("Derived gauges", style="bold underline"), "", "")
            for did, doc, v in gauges:
                t.add_row("  " + did, Text(view.num(v) if math.isfinite(v) else "n/a", style="bold"),
                          Text(doc if doc != did else "", style="dim"))
        flags = flag_rows(game)
        if flags:
            t.add_row(Text("Flags", style="bold underline"), "", "")
            for fid, label, on in flags:
                t.add_row("  " + label, Text("yes" if on else "no", style="bold" if on else "dim"),
                          Text(fid if fid != label else "", style="dim"))
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
        await self.run_action({"inject": "inject", "adjust": "adjust", "flag": "flag", "pause": "pause", "rewind": "rewind",
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

    def action_flag(self) -> None:
        """Set or clear one of the ruleset's flags (the ban on talks, the disputed signatory…), with a
        reason; logged as an ``adjust`` of ``flags.<id>`` so replays reproduce it."""
        opts = [(fid, f"{'☑' if on else '☐'} {label} → {'clear' if on else 'set'}")
                for fid, label, on in flag_rows(self.session.game)]

        def chosen(fid: str | None) -> None:
            if not fid:
                return
            on = not dict((f, o) for f, _, o in flag_rows(self.session.game))[fid]

            def reason(why: str | None) -> None:
                if why and self._try(self.session.game.adjust, f"flags.{fid}", 1.0 if on else 0.0, why):
                    self.notify(f"flags.{fid} {'set' if on else 'cleared'}", title="Umpire")
                    self._changed()

            self.app.push_screen(TextDialog(f"Why {'set' if on else 'clear'} {fid}? (required, logged)"), reason)

        self.app.push_screen(ChoiceDialog("Set or clear a flag (logged with your reason)", opts), chosen)

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

        def confirmed(turn: int, ok: bool | None) -> None:
            if ok and self._try(self.session.rewind, turn):
                self.notify(f"Rewound to turn {turn}.", title="Umpire")
                self._changed(rewound=True)

        def done(choice: str | None) -> None:
            if not choice:
                return
            turn = int(choice)
            lost = discarded_by_rewind(self.session.game, turn)
            n = sum(1 for t in self.session.game.turn_records if t.turn >= turn)
            body = (f"This discards {n} resolved turn{'s' if n != 1 else ''} and these orders:\n"
                    + "\n".join(f"  • {x}" for x in lost[:12]) + ("\n  …" if len(lost) > 12 else ""))
            self.app.push_screen(ConfirmDialog(f"Rewind to the start of turn {turn}?", body, yes="Rewind"),
                                 lambda ok: confirmed(turn, ok))

        self.app.push_screen(ChoiceDialog("Rewind: replay the log up to the start of a turn", opts,
                                          note="Orders after that point are dropped; the rewind is logged."), done)

    def action_close(self) -> None:
        self.dismiss(None)
