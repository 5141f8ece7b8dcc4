"""The ruleset schema: frozen attrs classes, one per table of a ruleset file.

See ``docs/ruleset-format.md`` for what each key means. Expressions are kept here as source strings;
``rules.model`` parses, checks and compiles them.
"""

from __future__ import annotations

import datetime as dt

import attrs

SCHEMA_VERSION = 1

Expr = str
"""An expression's source text (numbers and booleans in TOML are accepted and turned into text)."""


@attrs.frozen
class Meta:
    id: str
    title: str
    start: dt.date
    max_turns: int
    phases: tuple[str, ...]
    version: str = "0.1.0"
    schema: int = SCHEMA_VERSION
    description: str = ""
    turn_months: int = 1


@attrs.frozen
class Source:
    title: str
    url: str = ""
    date: str = ""
    note: str = ""


@attrs.frozen
class Param:
    value: float
    min: float | None = None
    max: float | None = None
    label: str = ""
    unit: str = ""
    doc: str = ""
    source: str = ""


@attrs.frozen
class Actor:
    name: str
    playable: bool = True
    action_points: int = 2
    summary: str = ""
    briefing: str = ""


@attrs.frozen
class Resource:
    label: str
    owners: tuple[str, ...]
    initial: dict[str, Expr]
    unit: str = ""
    short: str = ""  # a label of a dozen characters for narrow terminals (default: the label, cut)
    min: float | None = 0.0
    max: float | None = None
    intel_noise: float = 0.0
    source: str = ""
    doc: str = ""


@attrs.frozen
class Track:
    label: str
    short: str = ""  # a label of a dozen characters for narrow terminals (default: the label, cut)
    initial: Expr = "0"
    levels: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""
    doc: str = ""
    source: str = ""


@attrs.frozen
class Flag:
    label: str = ""
    initial: bool = False
    doc: str = ""


@attrs.frozen
class Derived:
    value: Expr
    doc: str = ""


@attrs.frozen
class Effect:
    target: str
    add: Expr | None = None
    set: Expr | None = None
    when: Expr | None = None


@attrs.frozen
class TermOption:
    """One option of a negotiable term (``[[moves.terms.options]]``)."""

    id: str
    label: str = ""
    appeal: dict[str, Expr] = attrs.Factory(dict)  # role → how that role views this option (higher: better)
    requires: Expr | None = None  # it may be offered (proposed or countered) only while this holds
    accept_requires: Expr | None = None  # a deal with it can be accepted only while this holds
    guarantor: str = ""  # an actor who must then accept too (a guarantor named by this option)
    effects: tuple[Effect, ...] = ()  # applied when a deal with this option is agreed


@attrs.frozen
class Term:
    """A negotiable term of a proposal (``[[moves.terms]]``): options, or a numeric range."""

    id: str
    label: str = ""
    options: tuple[TermOption, ...] = ()
    min: float | None = None  # a range: min, min + step, ... max
    max: float | None = None
    step: float | None = None
    unit: str = ""
    default: str = ""  # an option id, or a value of the range (default: the first option, or min)
    appeal: dict[str, Expr] = attrs.Factory(dict)  # ranges: each role's view at max (0 at min, linear between)


@attrs.frozen
class Move:
    id: str
    actor: str
    label: str
    summary: str = ""
    kind: str = "action"
    ap: int = 1
    requires: Expr | None = None
    cost: dict[str, Expr] = attrs.Factory(dict)
    effects: tuple[Effect, ...] = ()
    once: bool = False
    phase: str | None = None
    source: str = ""
    to: tuple[str, ...] = ()
    accept_requires: Expr | None = None
    expires: int = 1
    on_accept: tuple[Effect, ...] = ()
    on_reject: tuple[Effect, ...] = ()
    on_lapse: tuple[Effect, ...] = ()
    terms: tuple[Term, ...] = ()  # negotiable terms (see docs/negotiation.md)
    guarantors: tuple[str, ...] = ()  # actors who must accept besides the parties (answer only)
    deadline: int = 0  # turns from the first offer after which the negotiation lapses (0: none)
    counter: bool = True  # with terms: the parties may counter-offer


@attrs.frozen
class Flow:
    target: str
    id: str = ""
    phase: str | None = None
    add: Expr | None = None
    set: Expr | None = None
    when: Expr | None = None
    label: str = ""
    source: str = ""
    doc: str = ""


@attrs.frozen
class Threshold:
    id: str
    label: str = ""
    when: Expr | None = None
    track: str | None = None
    at: float | None = None
    phase: str | None = None
    effects: tuple[Effect, ...] = ()
    text: str = ""
    once: bool = False
    source: str = ""


@attrs.frozen
class Event:
    id: str
    label: str = ""
    when: Expr | None = None
    chance: Expr = "1"
    once: bool = False
    phase: str | None = None
    effects: tuple[Effect, ...] = ()
    text: str = ""
    source: str = ""


@attrs.frozen
class Ending:
    id: str
    label: str
    when: Expr | None = None
    text: str = ""
    fallback: bool = False


@attrs.frozen
class Score:
    value: Expr
    label: str = ""
    win: Expr | None = None  # when the game has ended: a win for this role if this holds (and `lose` does not)
    lose: Expr | None = None  # a loss if this holds; neither: a draw
    stakes: str = ""  # what this role wants and fears, and its win/draw/loss rule in words (shown to players)
    outlook: Expr | None = None  # bargaining AI: added to its score with the fallback ending when it values going on


@attrs.frozen
class DoctrineRule:
    move: str
    when: Expr | None = None
    weight: float = 1.0


@attrs.frozen
class Doctrine:
    rules: tuple[DoctrineRule, ...]
    label: str = ""
    doc: str = ""
    concede: float = 0.0  # bargaining: the score points it gives up for a deal, against continuing (ai.bargain)
    firm: tuple[str, ...] = ()  # bargaining: term ids it never moves towards the other side in a counter
    prefer: tuple[str, ...] = ()  # bargaining: options ("<proposal>.<term>.<option>") it values more than its role does
    avoid: tuple[str, ...] = ()  # bargaining: options it values less than its role does


@attrs.frozen
class Remove:
    moves: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    thresholds: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    endings: tuple[str, ...] = ()


# --- intelligence ([intel]): who sees whose values how well, and how estimates update -------------
# (a separate block: the negotiation work edits the move/proposal classes above)


@attrs.frozen
class IntelRule:
    """One ``[[intel.rules]]`` entry: how well ``observer`` sees ``of`` (later rules win)."""

    observer: str  # an actor id, or "*" for every actor
    of: str  # an actor id (every noisy value it owns), a value ("kyiv.manpower"), or "*"
    quality: float | None = None  # multiplies the value's intel_noise: 0 sees it exactly, 0.5 half the noise
    drift: float | None = None  # how far the value is expected to move in a turn (share of its scale)
    source: str = ""
    doc: str = ""


@attrs.frozen
class Intel:
    """``[intel]``: intelligence estimates are filtered readings (see docs/ruleset-format.md)."""

    drift: float = 0.1  # default expected move of a value per turn, as a share of its scale
    gain: float | None = None  # a fixed filter gain in (0, 1]; default: the Kalman gain
    rules: tuple[IntelRule, ...] = ()
    flows: dict[str, str] = attrs.Factory(dict)  # flow id -> the actor whose flow it is (aid pipelines)
    exact_effects: tuple[str, ...] = ()  # move/flow ids whose effects on others their actor knows exactly
    assessment: float = 1.0  # the error of assessing one move's effect, as a share of one reading's error
    source: str = ""
    doc: str = ""


@attrs.frozen
class Ruleset:
    """A whole ruleset as declared (after ``extends`` merging and ``--set`` overrides)."""

    ruleset: Meta
    actors: dict[str, Actor]
    extends: str | None = None
    sources: dict[str, Source] = attrs.Factory(dict)
    params: dict[str, Param] = attrs.Factory(dict)
    resources: dict[str, Resource] = attrs.Factory(dict)
    tracks: dict[str, Track] = attrs.Factory(dict)
    flags: dict[str, Flag] = attrs.Factory(dict)
    derived: dict[str, Derived] = attrs.Factory(dict)
    flows: tuple[Flow, ...] = ()
    moves: tuple[Move, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    events: tuple[Event, ...] = ()
    endings: tuple[Ending, ...] = ()
    scores: dict[str, Score] = attrs.Factory(dict)
    doctrines: dict[str, dict[str, Doctrine]] = attrs.Factory(dict)
    remove: Remove = attrs.Factory(Remove)
    intel: Intel = attrs.Factory(Intel)  # intelligence block (see Intel)
