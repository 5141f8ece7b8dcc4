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


class MoveDetail(Static):
    """The highlighted move in full: summary, cost, effects, source note, and why not (if so)."""

    def show(self, m: MoveView | None) -> None:
        if m is None:
            self.update(Text("No moves.", style="dim"))
            return
        t = Text.assemble((m.label, "bold"), f"  ({m.kind}, {m.ap} AP)")
        if m.summary:
            t.append(f"\n{m.summary}")
        if m.cost:
            t.append(f"\nCost: {m.cost}", style="cyan")
        if m.effects:
            t.append(f"\nEffects: {m.effects}")
        if m.source:
            t.append(f"\nSource: {m.source}", style="dim")
        if m.reason and not m.queued:
            t.append(f"\nNot available: {m.reason}", style="bold red")
        self.update(t)
