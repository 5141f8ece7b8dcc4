"""The role's moves: cost, AP and effects on each line; unavailable ones greyed with the reason.

Unavailable moves stay selectable on purpose: choosing one says why it cannot be ordered.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from endgame_game.tui.messages import MoveChosen, MoveHighlighted
from endgame_game.tui.view import MoveView

KIND_MARK = {"action": "", "proposal": "✉ ", "response": "↩ "}


def move_prompt(m: MoveView) -> Text:
    head = Text(no_wrap=False)
    mark = "✓ " if m.queued else KIND_MARK.get(m.kind, "")
    head.append(mark + m.label, style="bold green" if m.queued else "bold" if m.legal else "dim")
    bits = [f"{m.ap} AP" if m.ap else "no AP"] + ([m.cost] if m.cost else [])
    head.append("\n   " + " · ".join(bits), style="cyan" if m.legal else "dim")
    if m.queued:
        head.append("  (ordered)", style="green")
    elif not m.legal:
        head.append(f"  ✗ {m.reason}", style="dim italic")
    return head


class MoveList(OptionList):
    """Posts ``MoveChosen`` on Enter/click and ``MoveHighlighted`` as the cursor moves."""

    def show(self, moves: Sequence[MoveView]) -> None:
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        self.clear_options()
        self.add_options([Option(move_prompt(m), id=m.id) for m in moves])
        ids = [m.id for m in moves]
        if ids:
            # Keep the cursor on a move that can still be ordered (or was); otherwise (a new turn, the
            # move is no longer possible) start on the first move that can be ordered.
            first_legal = next((i for i, m in enumerate(moves) if m.legal and not m.queued), 0)
            kept = ids.index(keep) if keep in ids else -1
            self.highlighted = kept if kept >= 0 and (moves[kept].legal or moves[kept].queued) else first_legal

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(MoveChosen(event.option.id))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(MoveHighlighted(event.option.id))


def detail_text(m: MoveView | None, terms: Sequence[str] = (), full: bool = False) -> Text:
    """The move as the detail pane and the details screen (``full``: one effect a line) show it."""
    if m is None:
        return Text("No moves.", style="dim")
    t = Text.assemble((m.label, "bold"), f"  ({m.kind}, {m.ap} AP)")
    if m.summary:
        t.append(f"\n{m.summary}")
    if m.cost:
        t.append(f"\nCost: {m.cost}", style="cyan")
    if m.effects and full:
        t.append("\nEffects:", style="bold")
        for part in m.effects.split("; "):
            t.append(f"\n  • {part}")
    elif m.effects:
        t.append(f"\nEffects: {m.effects}")
    if terms:
        t.append("\nTerms:", style="bold")
        for line in terms:
            t.append(f"\n  • {line}")
    if m.source:
        t.append(f"\nSource: {m.source}", style="dim")
    if m.reason and not m.queued:
        t.append(f"\nNot available: {m.reason}", style="bold red")
    return t


class MoveDetail(Static):
    """The highlighted move in full: summary, cost, effects, a proposal's terms, source note, and why
    not (if so). It sits in a focusable scroll (Tab, then the arrows); ``d`` opens it full screen."""

    def show(self, m: MoveView | None, terms: Sequence[str] = ()) -> None:
        self.update(detail_text(m, terms))
