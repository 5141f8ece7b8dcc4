"""The news feed: the last turns' narration as this role may see it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


def styled(line: str) -> Text:
    if line.startswith("Turn "):
        return Text(line, style="bold")
    if "ENDING" in line:
        return Text(line, style="bold magenta")
    if line.lstrip().startswith("•"):
        return Text(line, style="yellow")
    return Text(line)


class NewsFeed(Static):
    def show(self, lines: Sequence[str]) -> None:
        if not lines:
            self.update(Text("No news yet: the first turn has not been resolved.", style="dim"))
            return
        self.update(Text("\n").join(styled(x) for x in lines))
