"""Diplomacy inbox: proposals to answer (the answers are moves in the orders list), own proposals
waiting, agreements in force."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from endgame_game.tui.view import Inbox


class InboxPanel(Static):
    def show(self, box: Inbox) -> None:
        parts: list[Text] = [Text("To answer", style="bold underline")]
        parts += [Text(f"• {x}") for x in box.to_answer] or [Text("  nothing waiting", style="dim")]
        if box.to_answer:
            parts.append(Text("  (answer with Accept/Reject in the Orders tab)", style="dim"))
        parts.append(Text("Your proposals waiting", style="bold underline"))
        parts += [Text(f"• {x}") for x in box.waiting] or [Text("  none", style="dim")]
        parts.append(Text("Agreements in force", style="bold underline"))
        parts += [Text(f"✓ {x}", style="green") for x in box.agreed] or [Text("  none", style="dim")]
        self.update(Group(*parts))
