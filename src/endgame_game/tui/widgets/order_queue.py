"""This turn's orders so far, action points left, and how to change them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


class OrderQueue(Static):
    def show(self, labels: Sequence[str], ap_left: int, ap_total: int) -> None:
        t = Text.assemble(("Orders ", "bold"), (f"AP {ap_left}/{ap_total} left", "green" if ap_left else "yellow"), ": ")
        if labels:
            t.append("; ".join(f"{i}. {x}" for i, x in enumerate(labels, 1)))
        else:
            t.append("none yet (pass)", style="dim")
        t.append("\n⏎ add · ⌫ undo · x clear · e end turn", style="dim")
        self.update(t)
