"""Compose an offer: pick each term of a proposal (or of a counter-offer), see how the other parties
are likely to view it (your estimate, from what you observe), attach a note in hot-seat, and put it
on the table. Returns the order text (``istanbul_terms{line=current,army_cap=250}``) or None.

Keys: ↑/↓ (or Tab) move between terms, ←/→ (or space) change the option, Enter puts the offer on the
table, Escape cancels. A click on a term cycles its option. Fits 80×24.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Click, Key
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from endgame_game.ai.bargain import view_words, views
from endgame_game.engine.api import Game
from endgame_game.engine.negotiation import CNegotiation, CTerm, format_order, resolved_row
from endgame_game.engine.orders import offer_refusal


def offer_target(game: Game, role: str, highlighted: str | None = None) -> tuple[str | None, str]:
    """The move to compose an offer for: the highlighted proposal with terms (or a counter to the
    negotiation the highlighted answer belongs to), else the first counter open to ``role``, else the
    first proposal with terms it may make. Returns (move id, "") or (None, why not)."""
    from endgame_game.engine.negotiation import negotiation_of

    m = game.model
    a = m.actor_index[role]
    legal = set(game.legal_moves(role))
    own = [m.moves[s] for s in m.moves_of[a]]
    negs = [negotiation_of(m, highlighted)] if highlighted else []
    negs += list(m.negotiation)
    for neg in negs:
        if neg is None:
            continue
        counter = f"counter_{neg.move}"
        if counter in legal:
            return counter, ""
        if neg.move in legal and any(x.id == neg.move for x in own):
            return neg.move, ""
    mine = [neg for neg in m.negotiation if a in neg.principals]
    if not mine:
        return None, "this role takes part in no negotiation with terms"
    reasons = []
    for neg in mine[:3]:
        mid = neg.move if m.proposals[neg.q].actor == a else f"counter_{neg.move}"
        why = game.refusal(mid, actor=role)
        if why is not None:
            reasons.append(f"{m.proposals[neg.q].label}: {why.text}")
    return None, "; ".join(reasons) or "no negotiation is open to you now"


def replace_offer(model: object, queue: list[str], order: str) -> list[str]:
    """This turn's orders with ``order`` in place of any earlier offer or answer to the same negotiation."""
    from endgame_game.engine.negotiation import negotiation_of, split_order

    neg = negotiation_of(model, order)
    keep = [q for q in queue if neg is None or negotiation_of(model, split_order(q)[0]) is not neg]
    return [*keep, order]


class TermPicker(Static, can_focus=True):
    """One term on one line: ``The line   ◀ current line ▶``. ←/→/space change it; a click cycles it."""

    BINDINGS = [
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right,space", "step(1)", "Next", show=False),
    ]

    class Changed(Message):
        def __init__(self, picker: TermPicker) -> None:
            super().__init__()
            self.picker = picker

    def __init__(self, term: CTerm, choice: int, changed: bool = False, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.term = term
        self.choice = choice
        self.original = choice
        self.changed = changed

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        t = self.term
        mark = "*" if self.choice != self.original else " "
        line = Text(f"{t.label[:26]:<26} ", style="bold")
        line.append(f"◀ {t.label_of(t.value(self.choice))[:40]} ▶", style="reverse" if self.has_focus else "")
        line.append(f" {mark}", style="yellow")
        self.update(line)

    def on_focus(self) -> None:
        self._draw()

    def on_blur(self) -> None:
        self._draw()

    def action_step(self, d: int) -> None:
        self.choice = (self.choice + d) % self.term.choices
        self._draw()
        self.post_message(self.Changed(self))

    def on_click(self, event: Click) -> None:
        self.focus()
        self.action_step(1)

    @property
    def value(self) -> float:
        return self.term.value(self.choice)


class OfferScreen(ModalScreen[str | None]):
    """Compose an offer for ``move_id`` (a proposal with terms, or ``counter_<id>``) as ``role``.

    Args:
        game: the game (read only: the screen returns the order text; the caller queues it).
        role: who makes the offer.
        move_id: the proposal's id, or its ``counter_<id>``.
        note: called with a note the player attached (hot-seat), before the screen closes.
    """

    DEFAULT_CSS = """
    #offer-terms { height: auto; max-height: 9; }
    #offer-views, #offer-context { height: auto; }
    #offer-error { margin-bottom: 0; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "app.focus_previous", "Previous term", show=False),
        Binding("down", "app.focus_next", "Next term", show=False),
    ]

    def __init__(self, game: Game, role: str, move_id: str, *, hotseat: bool = False,
                 note: object = None) -> None:
        super().__init__()
        self.game = game
        self.role = role
        self.move_id = move_id
        m = game.model
        slot = next(s for s in m.moves_of[m.actor_index[role]] if m.moves[s].id == move_id)
        self.counter = m.moves[slot].kind == "response"
        self.neg: CNegotiation = m.negotiation_of[m.moves[slot].proposal]
        self.hotseat = hotseat
        self.on_note = note
        self.label = m.proposals[self.neg.q].label

    def compose(self) -> ComposeResult:
        m, st, neg = self.game.model, self.game.state, self.neg
        base = resolved_row(neg, st.game(0), None, self.counter)[0]
        verb = "Counter-offer" if self.counter else "Offer"
        with Vertical(classes="dialog dialog-wide", id="offer"):
            yield Label(f"{verb}: {self.label}"[:84], classes="dialog-title")
            if self.counter:
                by = int(st.offer_by[0, neg.n])
                who = m.ruleset.actors[m.actors[by]].name if by >= 0 else "?"
                yield Static(Text(f"On the table: {who}'s offer (round {int(st.rounds[0, neg.n]) + 1}); "
                                  "* marks what you change", style="dim"), id="offer-context")
            with VerticalScroll(id="offer-terms"):
                for j, t in enumerate(neg.terms):
                    yield TermPicker(t, t.choice(float(base[j])), id=f"term-{t.id}")
            yield Static("", id="offer-views")
            yield Static("", id="offer-error", classes="dialog-error")
            if self.hotseat:
                yield Input(placeholder="A note for the other players (optional, logged)", id="offer-note", max_length=120)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Put on the table", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query(TermPicker).first().focus()
        self._update()

    # -- reading the form --
    def row(self) -> np.ndarray:
        return np.array([p.value for p in self.query(TermPicker).results(TermPicker)], dtype=np.float64)

    def given(self) -> np.ndarray:
        """The terms as the order gives them: all for a proposal; for a counter, those changed."""
        pickers = list(self.query(TermPicker).results(TermPicker))
        return np.array([p.value if (not self.counter or p.choice != p.original) else np.nan for p in pickers])

    def order(self) -> str:
        return format_order(self.move_id, self.neg, self.given())

    def _update(self) -> None:
        obs = self.game.observe(self.role)
        lines = Text("How they may view it (your estimate; intelligence noise applies):\n", style="bold")
        m = self.game.model
        for actor, margin in views(m, obs, self.neg, self.row()):
            name = m.ruleset.actors[actor].name
            lines.append(f"  {name}: {view_words(margin)} ({margin:+.0f})\n", style="")
        self.query_one("#offer-views", Static).update(lines)
        why = offer_refusal(m, self.game.state, self.move_id, self.given())
        self.query_one("#offer-error", Static).update(why.text if why is not None else "")

    @on(TermPicker.Changed)
    def _changed(self, event: TermPicker.Changed) -> None:
        self._update()

    # -- answering --
    def _submit(self) -> None:
        m = self.game.model
        why = offer_refusal(m, self.game.state, self.move_id, self.given())
        if why is not None:
            self.query_one("#offer-error", Static).update(why.text)
            return
        if self.counter and not np.isfinite(self.given()).any():
            self.query_one("#offer-error", Static).update("change at least one term to make a counter-offer")
            return
        if self.hotseat and callable(self.on_note):
            text = self.query_one("#offer-note", Input).value.strip()
            if text:
                self.on_note(text)
        self.dismiss(self.order())

    def key_enter(self, event: Key) -> None:
        if not isinstance(self.focused, Input | Button):
            event.stop()
            event.prevent_default()  # the Enter is this screen's: it must not reach the orders list below
            self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
