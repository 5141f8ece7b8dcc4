"""The project's own exceptions. Every user mistake ends in one of these, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence

import attrs


@attrs.frozen
class Issue:
    """One problem found in a ruleset: where it is and what is wrong.

    Attributes:
        path: key path inside the ruleset, e.g. ``moves[12].effects[0].target``.
        message: what is wrong.
        file: the file the key comes from, when known.
        line: 1-based line number, when it can be found.
        hint: a did-you-mean or a suggestion.
        severity: ``"error"`` or ``"warning"``.
    """

    path: str
    message: str
    file: str = ""
    line: int | None = None
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file or "<ruleset>"
        if self.line:
            where += f":{self.line}"
        text = f"{where}: {self.severity}: {self.path}: {self.message}" if self.path else f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class EndgameError(Exception):
    """Base class of every error the project raises on purpose."""


class EndgameWarning(UserWarning):
    """Base class of the warnings the project gives on purpose (the command line prints them as one line)."""


class RulesetError(EndgameError):
    """A ruleset could not be loaded. ``issues`` lists every problem found, not only the first."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        head = f"{len(errors)} error(s) in ruleset"
        super().__init__(head + ":\n" + "\n".join(f"  {i}" for i in errors))


class ExpressionError(EndgameError):
    """An expression is malformed, names something unknown, or has the wrong type."""

    def __init__(self, message: str, col: int | None = None, hint: str = ""):
        self.message = message
        self.col = col
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


class EvaluationError(EndgameError):
    """A formula produced NaN or infinity where it was applied."""


class OrderError(EndgameError):
    """An order was refused: the move and the reason (``refusal``: the typed reason, an
    ``engine.orders.Refusal``, when a rule of the game refuses it)."""

    def __init__(self, move: str, reason: str, refusal: object | None = None):
        self.move = move
        self.reason = reason
        self.refusal = refusal
        super().__init__(f"order {move!r} refused: {reason}")


class SaveError(EndgameError):
    """A save could not be written, read or verified."""
