"""App-level messages: widgets and screens post these upward; the app or the game screen handles them."""

from __future__ import annotations

from textual.message import Message


class MoveChosen(Message):
    """The player picked a move from the move list (to add it to this turn's orders)."""

    def __init__(self, move_id: str) -> None:
        self.move_id = move_id
        super().__init__()


class MoveHighlighted(Message):
    """The cursor is on a move (the detail pane shows it)."""

    def __init__(self, move_id: str | None) -> None:
        self.move_id = move_id
        super().__init__()


class OrdersConfirmed(Message):
    """A human role has finished its orders for the turn."""

    def __init__(self, role: str) -> None:
        self.role = role
        super().__init__()


class TurnResolved(Message):
    """A turn has been resolved (posted from the resolving worker)."""

    def __init__(self, turn: int, error: str = "") -> None:
        self.turn = turn
        self.error = error
        super().__init__()


class StartRequested(Message):
    """The title screen asks for a new game."""

    def __init__(self, ruleset: str, humans: list[str], agents: dict[str, str], seed: int, umpire: bool, *,
                 turns: int | None = None, turn_timer: float | None = None, umpire_pass: str = "",
                 guided: bool = False) -> None:
        self.ruleset = ruleset
        self.humans = humans
        self.agents = agents
        self.seed = seed
        self.umpire = umpire
        self.turns = turns  # the class format: number of turns (None: the ruleset's)
        self.turn_timer = turn_timer  # seconds per team per turn (None: as the app was started)
        self.umpire_pass = umpire_pass  # hot-seat umpire passphrase ("" : the app asks)
        self.guided = guided  # a guided first game: the first turns annotated
        super().__init__()


class LoadRequested(Message):
    """Load a save (``path=None``: the newest autosave)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        super().__init__()


class SessionChanged(Message):
    """The umpire changed the game (adjust, inject, rewind): screens refresh."""

    def __init__(self, rewound: bool = False) -> None:
        self.rewound = rewound
        super().__init__()
