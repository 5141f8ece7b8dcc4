"""The typed turn log: what happened, per game, in the order it happened.

The app's turn report and news feed, the after-action report, saves and batch summaries all read
these records. Large batches run with logging off and read the counters in the state instead.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Record:
    """Base of every record: the turn it belongs to and the game's index within its batch."""

    turn: int
    game: int

    @property
    def kind(self) -> str:
        return type(self).__name__

    def describe(self) -> str:
        return self.kind


@attrs.frozen
class MoveTaken(Record):
    actor: str
    move: str
    label: str

    def describe(self) -> str:
        return f"{self.actor}: {self.label}"


@attrs.frozen
class EffectApplied(Record):
    source: str  # the move, flow, event, threshold or proposal that caused it
    target: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before

    def describe(self) -> str:
        return f"{self.source}: {self.target} {self.before:.4g} → {self.after:.4g}"


@attrs.frozen
class ThresholdCrossed(Record):
    threshold: str
    label: str
    text: str

    def describe(self) -> str:
        return f"Threshold crossed: {self.label}" + (f" — {self.text}" if self.text else "")


@attrs.frozen
class EventFired(Record):
    event: str
    label: str
    text: str
    injected: bool = False

    def describe(self) -> str:
        return ("Umpire inject: " if self.injected else "Event: ") + self.label + (f" — {self.text}" if self.text else "")


@attrs.frozen
class ProposalRecord(Record):
    proposal: str
    label: str
    status: str  # "made" | "countered" | "accepted" | "rejected" | "lapsed" | "withdrawn"
    actor: str = ""
    terms: str = ""  # an offer with terms: the terms in words ("The line: current line; NATO: deferred")

    def describe(self) -> str:
        who = f" by {self.actor}" if self.actor else ""
        return f"Proposal {self.status}{who}: {self.label}" + (f" [{self.terms}]" if self.terms else "")


@attrs.frozen
class EndingReached(Record):
    ending: str
    label: str

    def describe(self) -> str:
        return f"Ending: {self.label}"


@attrs.frozen
class UmpireAction(Record):
    action: str  # "adjust" | "inject" | "pause" | "note"
    target: str
    value: float | None
    reason: str

    def describe(self) -> str:
        if self.action == "adjust":
            return f"Umpire set {self.target} to {self.value:.4g}: {self.reason}"
        return f"Umpire {self.action} {self.target}: {self.reason}"


@attrs.frozen
class EstimatedEffect(Record):
    """What an actor learned of its own move's or flow's effect on a value it does not see exactly
    (``engine.intel.visible_records``): the change as it assessed it, one sd of that assessment (0 where
    the ruleset makes the effect visible to it), and its estimate of the value after the turn."""

    source: str  # the actor's own move or flow
    target: str
    change: float
    spread: float
    after: float
    after_spread: float

    @property
    def exact(self) -> bool:
        return self.spread == 0

    def describe(self) -> str:
        if self.exact:
            return f"{self.source}: {self.target} {self.change:+.4g}"
        return f"{self.source}: {self.target} ≈ {self.change:+.3g} ± {self.spread:.2g}"


@attrs.define
class TurnLog:
    """Everything recorded while resolving one turn of a batch."""

    turn: int
    records: list[Record] = attrs.Factory(list)

    def for_game(self, game: int) -> list[Record]:
        return [r for r in self.records if r.game == game]

    def of(self, kind: type[Record]) -> list[Record]:
        return [r for r in self.records if isinstance(r, kind)]
