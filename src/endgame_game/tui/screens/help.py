"""``?``: the keys, and what a turn looks like."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown

HELP = """\
# Keys

| Key | Where | What |
|---|---|---|
| ↑ ↓, mouse | orders | move the cursor over the moves |
| ⏎ / click | orders | add the move to this turn's orders (a greyed move says why not) |
| ⌫ or z | orders | undo the last order |
| x | orders | clear this turn's orders |
| e | game | end the turn (asks to confirm) |
| o / i / n | game | Orders, Inbox (proposals), News tabs |
| b | game | your briefing again |
| d | game | the highlighted move in full (cost, every effect, a proposal's terms, source); o there orders it |
| Tab | game | the move detail below the list: the arrows scroll it |
| g | game, ending | endings and stakes: each ending's distance, what it means for you, your score term by term |
| h | game, ending | history: last turn against now, charts of your values and the tracks, your estimates |
| s | anywhere | save the game |
| s | handover | save too (the next team's values stay hidden) |
| u | game | umpire controls (with `--umpire`, one player and no passphrase) |
| ctrl+u | anywhere | umpire controls behind the passphrase (hot-seat, or `--umpire-pass`) |
| t | anywhere | light / dark theme |
| ctrl+p | anywhere | command palette (save, load, theme, help, quit) |
| ? | anywhere | this help |
| q | anywhere | quit (asks first; the game is autosaved every turn) |

# Glossary

- **AP (action points)**: what a role can do in one turn. Each move costs some AP (shown on its line);
  the queue at the foot of Orders says how many are left.
- **Rung**: a level of a ladder track (the escalation ladder): ▶ marks the rung the game is on. Rungs
  are whole numbers; the track's value moves between them.
- **Threshold** ("red line"): a value of a track that, once crossed, sets off effects (shown as "next
  red line" under the ladder). Some fire once, some again each time they are crossed.
- **Breaking point / ending**: a condition that ends the game (a grid deficit of 7 GW, manpower below
  the floor, an agreement signed). The dashboard shows the nearest ones with the distance to go; g
  lists every ending and what it would mean for you (WIN/DRAW/LOSS).
- **Estimate** (≈ value ± spread): what your intelligence says about another role's value. The true
  value is usually within two spreads; your own values and the public tracks are exact.
- **Score**: how well the game went for your role by its own aims; scores of different roles measure
  different things, so compare yours with AI games of the same role (the ending screen does).

# A turn

1. Read your resources (trend on the right), the estimates of the others (≈ value ± spread: your
   intelligence is noisy), the tracks (the ladder shows the current rung and the next red line).
2. Choose moves up to your action points (AP). Each line shows the AP and the cost; the panel
   below shows the effects and the source. Proposals (✉) are answered by the other side next turn;
   proposals made to you appear as Accept/Reject moves (↩) and in the Inbox.
3. End the turn. Everyone's orders resolve at once; the turn report says what happened and why.

Hot-seat: each role orders behind a "pass the terminal" screen. Umpire: `u` (or ctrl+u and the
passphrase, in hot-seat) shows true values, derived gauges and live scores and lets you inject an
event, adjust a value or set a flag (with a reason), pause for discussion (the turn timer stops), or
rewind to an earlier turn (it names what is discarded first). Every umpire action is written into the
game's log. With a turn timer (`--turn-timer`), a countdown shows above the keys; at 0:00 the team's
queued orders go.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,enter,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-help"):
            with VerticalScroll():
                yield Markdown(HELP)
            yield Button("Close", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
