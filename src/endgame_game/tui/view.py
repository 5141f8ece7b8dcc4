"""What one role may see, as plain data for the widgets (no Textual here).

Everything a role's screen shows goes through these functions, so hot-seat privacy is enforced in
one place: own values and public tracks exact, everybody else's values only as the observation's
estimates, and the turn narration stripped of changes to values the role cannot see exactly.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from endgame_game.engine.api import Game
from endgame_game.engine.log import EffectApplied, Record, UmpireAction
from endgame_game.engine.model import CompiledModel
from endgame_game.engine.orders import Refusal, move_cost, validate
from endgame_game.errors import OrderError, RulesetError
from endgame_game.report.text import (
    bounded,
    describe_effects,
    narrate,
    readable_condition,
    target_label,
    unit_for,
)

SPARKS = "▁▂▃▄▅▆▇█"
SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring",
           6: "summer", 7: "summer", 8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}


def spark(series: Sequence[float], width: int = 8, lo: float | None = None, hi: float | None = None) -> str:
    """A text sparkline of the last ``width`` values on a fixed scale.

    The scale is ``lo``..``hi`` where given (a bounded value: 0..100), else it is widened to at least
    ±10 % around the series' mean, so a ±0.5 % wobble draws flat instead of as a collapse.
    """
    xs = [float(x) for x in series][-width:]
    if not xs:
        return ""
    a, b = min(xs), max(xs)
    if lo is None or hi is None:
        mid = (a + b) / 2
        half = max((b - a) / 2, 0.1 * abs(mid), 1e-9)
        a, b = mid - half, mid + half
    else:
        a, b = float(lo), float(hi)
    if b - a < 1e-12:
        return SPARKS[3] * len(xs)
    return "".join(SPARKS[min(7, max(0, int((x - a) / (b - a) * 7.999)))] for x in xs)


def num(x: float) -> str:
    """A compact number: ``610``, ``1,105``, ``12.8``, ``4``, ``0.35``."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return f"{x:.3g}"


def estimate(value: float, spread: float, signed: bool = False) -> str:
    """An estimate to the precision its spread allows: ``≈ 703 ± 70``, ``≈ 63.8 ± 6.4``, ``≈ 3.4 ± 1.0``;
    ``signed`` for a change: ``≈ +4.4 ± 2.1``, ``≈ -120 ± 25``."""
    sign = "+" if signed else ""
    if not (math.isfinite(value) and math.isfinite(spread)) or spread <= 0:
        return f"≈ {value:+.3g}" if signed and math.isfinite(value) else f"≈ {num(value)}"
    d = max(0, 1 - math.floor(math.log10(spread)))  # two significant digits of the spread
    return f"≈ {value:{sign},.{d}f} ± {spread:,.{d}f}"


def with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


class _ShortLabel:
    """For views with a ``label`` and the ruleset's optional ``short`` one."""

    label: str
    short: str

    def label_for(self, width: int) -> str:
        """The label, or the short one when the label would be cut at ``width``."""
        return self.short if self.short and len(self.label) > width else self.label


@attrs.frozen
class ValueRow(_ShortLabel):
    target: str
    label: str
    text: str
    unit: str
    trend: str = ""
    delta: float = 0.0
    exact: bool = True
    short: str = ""  # the ruleset's short label, shown when the label does not fit


@attrs.frozen
class TrackView(_ShortLabel):
    target: str
    label: str
    value: float
    levels: tuple[str, ...]
    rung: int
    next_threshold: str
    lo: float
    hi: float
    unit: str
    short: str = ""


@attrs.frozen
class MoveView:
    id: str
    label: str
    kind: str
    ap: int
    cost: str
    effects: str
    summary: str
    source: str
    reason: str | None
    queued: bool

    @property
    def legal(self) -> bool:
        return self.reason is None


def actor_name(model: CompiledModel, actor: str) -> str:
    a = model.ruleset.actors.get(actor)
    return a.name if a else actor


def res_label(model: CompiledModel, target: str) -> tuple[str, str]:
    """(label, unit) of a value, the unit as the owner reads it (``unit_for``)."""
    owner, _, rid = target.partition(".")
    r = model.ruleset.resources.get(rid)
    return (r.label, unit_for(r.unit, owner, r.owners)) if r else (target, "")


def _short(model: CompiledModel, target: str) -> str:
    """The ruleset's short label of a resource (``moscow.will``) or a track (``escalation``), or ""."""
    _, _, rid = target.partition(".")
    item = model.ruleset.resources.get(rid) if rid else model.ruleset.tracks.get(target)
    return item.short if item else ""


def own_rows(game: Game, actor: str) -> list[ValueRow]:
    """The actor's own resources, exact, with a trend over the turns so far."""
    model = game.model
    hist = np.array([h[0] for h in game.history]) if game.history else None
    rows = []
    for j, v in enumerate(model.symbols.values):
        if model.symbols.value_owner[j] != actor:
            continue
        label, unit = res_label(model, v)
        now = float(game.state.values[0, j])
        series = hist[:, j] if hist is not None else [now]
        delta = float(series[-1] - series[-2]) if len(series) > 1 else 0.0
        text, unit = bounded(num(now), unit)
        lo, hi = float(model.lo[j]), float(model.hi[j])
        if math.isfinite(lo) and not math.isfinite(hi):  # bounded below only: from the bound to a little above the top
            hi = max(lo + 1e-9, max(float(x) for x in series) * 1.1)
        scale = (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else (None, None)
        rows.append(ValueRow(v, label, text, unit, spark(list(series), 8, *scale), delta, short=_short(model, v)))
    return rows


def intel_rows(game: Game, actor: str) -> list[tuple[str, list[ValueRow]]]:
    """Other actors' resources as the actor sees them: estimates "≈ 610 ± 60" where noisy."""
    model = game.model
    obs = game.observe(actor)
    groups: dict[str, list[ValueRow]] = {}
    for j, v in enumerate(model.symbols.values):
        owner = model.symbols.value_owner[j]
        if owner in ("", actor):
            continue
        label, unit = res_label(model, v)
        if obs.exact[j]:
            text, exact = num(float(obs.values[0, j])), True
        else:
            text, exact = estimate(float(obs.values[0, j]), float(obs.spread[0, j])), False
        shown, rest = bounded(text, unit)
        if shown != text:  # a range unit: "58/100" exact, "≈ 58 ± 6 /100" estimated
            text, unit = (shown, rest) if exact else (text, f"{shown[len(text):]} {rest}".strip())
        groups.setdefault(owner, []).append(ValueRow(v, label, text, unit, exact=exact, short=_short(model, v)))
    return [(actor_name(model, o), rows) for o, rows in groups.items()]


def true_rows(game: Game) -> list[tuple[str, list[ValueRow]]]:
    """Every value, exact (the umpire's view)."""
    model = game.model
    groups: dict[str, list[ValueRow]] = {}
    for j, v in enumerate(model.symbols.values):
        owner = model.symbols.value_owner[j]
        track = model.ruleset.tracks.get(v)
        label, unit = res_label(model, v) if owner else (target_label(model, v), track.unit if track else "")
        groups.setdefault(actor_name(model, owner) if owner else "World", []).append(
            ValueRow(v, label, num(float(game.state.values[0, j])), unit, short=_short(model, v)))
    return list(groups.items())


def tracks(game: Game) -> list[TrackView]:
    """Global tracks: rung on the ladder (tracks with levels) and the next threshold ahead."""
    model = game.model
    out = []
    for tid, t in model.ruleset.tracks.items():
        value = float(game.state.values[0, model.value_index[tid]])
        ahead = sorted((float(th.at), th.label or th.id) for th in model.ruleset.thresholds
                       if th.track == tid and th.at is not None and float(th.at) > value)
        nxt = f"{ahead[0][1]} at {num(ahead[0][0])}" if ahead else ""
        lo = t.min if t.min is not None else 0.0
        hi = t.max if t.max is not None else (len(t.levels) - 1 if t.levels else max(1.0, value))
        rung = int(min(max(math.floor(value + 1e-9), 0), len(t.levels) - 1)) if t.levels else -1
        out.append(TrackView(tid, t.label, value, tuple(t.levels), rung, nxt, float(lo), float(hi), t.unit, t.short))
    return out


def calendar(game: Game) -> dict[str, str]:
    model = game.model
    turn = min(game.turn, model.max_turns)
    d = model.date_of(turn)
    left = max(0, model.max_turns - game.turn + 1)
    return {"date": f"{d:%B %Y}", "season": SEASONS[d.month], "turn": f"{turn}/{model.max_turns}",
            "left": f"{left} turn{'s' if left != 1 else ''} left"}


def moves(game: Game, actor: str, queued: Sequence[str] = ()) -> list[MoveView]:
    """Every move of the actor with cost, effects, source note and why it is unavailable.

    Responses to proposals appear only while a proposal waits for the actor's answer.
    """
    model = game.model
    decl = {m.id: m for m in model.ruleset.moves}
    a = model.actor_index[actor]
    slots = {model.moves[s].id: s for s in model.moves_of[a]}
    obs = game.observe(actor)
    seen, exact = obs.state, obs.exact  # amounts are worked out on what this actor knows
    out = []
    for s in model.moves_of[a]:
        m = model.moves[s]
        refused = game.refusal(m.id, actor=actor)
        # An answer to a proposal waiting for this actor stays listed with its reason when it cannot be
        # given (an Accept whose condition fails): it does not silently disappear.
        if m.kind == "response" and refused is not None and m.id not in queued and \
                refused.kind not in ("cannot_accept", "term_cannot_accept"):
            continue
        if refused is None and queued and m.id not in queued:
            refused = _with_queue(game, a, [slots[q] for q in queued if q in slots] + [s])
        why = readable_refusal(model, refused)
        costs = ", ".join(f"−{num(float(c[0]))} {res_label(model, model.symbols.values[i])[0]}"
                          for i, c in move_cost(model, game.state, m) if float(c[0]) != 0)
        d = decl.get(m.id)
        if d is not None:
            effects = describe_effects(model, d.effects, m.effects, seen, exact)
            if d.kind == "proposal":
                prop = model.proposals[m.proposal]
                effects = (f"to {', '.join(actor_name(model, p) for p in d.to)}; if accepted: "
                           + (describe_effects(model, d.on_accept, prop.on_accept, seen, exact) or "nothing"))
            src = model.ruleset.sources.get(d.source)
            source = (src.title if src else d.source) if d.source else ""
            summary = d.summary
        else:
            prop = model.proposals[m.proposal]
            pd = decl.get(prop.move)
            if pd is None:
                effects = ""
            elif m.answer == 1:
                effects = describe_effects(model, pd.on_accept, prop.on_accept, seen, exact)
            else:
                effects = describe_effects(model, pd.on_reject, prop.on_reject, seen, exact)
            source, summary = "", f"{actor_name(model, model.actors[prop.actor])} proposed: {prop.label}"
        out.append(MoveView(m.id, m.label, m.kind, m.ap, costs, effects, summary, source, why, m.id in queued))
    out.sort(key=lambda mv: mv.kind != "response")  # answers to proposals first: they are waiting
    return out


def readable_refusal(model: CompiledModel, why: Refusal | None) -> str | None:
    """Why a move is refused, in the ruleset's labels (``costs 10 Ammo; only 4 available``)."""
    if why is None:
        return None
    unlock = f"; needs: {'; '.join(why.unlock)}" if why.unlock else ""
    if why.kind == "requires":
        return "requires " + readable_condition(model, why.condition) + unlock
    if why.kind == "cannot_accept":
        return "cannot accept while this does not hold: " + readable_condition(model, why.condition) + unlock
    if why.kind == "cost":
        return f"costs {num(why.need)} {res_label(model, why.target)[0]}; only {num(why.have)} available"
    if why.kind == "action_points":
        return f"needs {why.need:.0f} action points; {actor_name(model, why.target)} has {why.have:.0f}"
    return why.text


def _with_queue(game: Game, actor: int, slots: list[int]) -> Refusal | None:
    """Why a move does not fit with the orders already queued (None if it does)."""
    mask = np.zeros((game.batch, len(game.model.moves)), dtype=bool)
    mask[:, slots] = True
    try:
        validate(game.model, game.state, actor, mask)
    except OrderError as e:
        return e.refusal if isinstance(e.refusal, Refusal) else Refusal("not_affordable_together", e.move)
    return None


def ap_left(game: Game, actor: str, queued: Sequence[str]) -> int:
    model = game.model
    ap = {m.id: m.ap for m in model.moves}
    return int(model.action_points[model.actor_index[actor]]) - sum(ap.get(q, 0) for q in queued)


@attrs.frozen
class Inbox:
    to_answer: tuple[str, ...]
    waiting: tuple[str, ...]
    agreed: tuple[str, ...]


def inbox(game: Game, actor: str) -> Inbox:
    """Proposals waiting for the actor's answer, the actor's own waiting for others, agreements in force."""
    model = game.model
    a = model.actor_index[actor]
    st = game.state
    to_answer, waiting, agreed = [], [], []
    for p in model.proposals:
        made = int(st.pending[0, p.index])
        who = actor_name(model, model.actors[p.actor])
        if made >= 0 and a in p.parties and st.answers[0, p.index, a] == 0:
            when = "answer now" if made < st.turn else "answer from next turn"
            to_answer.append(f"{who}: {p.label} (made turn {made}; {when})")
        elif made >= 0 and p.actor == a:
            names = ", ".join(actor_name(model, model.actors[x]) for x in p.parties)
            waiting.append(f"{p.label} → {names} (made turn {made})")
        if st.agreed[0, p.index]:
            agreed.append(f"{p.label} ({who})")
    return Inbox(tuple(to_answer), tuple(waiting), tuple(agreed))


def visible_records(model: CompiledModel, records: Sequence[Record], viewer: str | None) -> list[Record]:
    """The records a role may read: changes to other actors' noisy values are dropped.

    ``viewer=None`` is the umpire or a single player's debrief: everything.
    """
    if viewer is None:
        return list(records)
    hidden = {v for j, v in enumerate(model.symbols.values)
              if model.symbols.value_owner[j] not in ("", viewer) and model.intel_noise[j] > 0}
    return [r for r in records if not (isinstance(r, EffectApplied | UmpireAction) and r.target in hidden)]


def turn_report(game: Game, turn: int, viewer: str | None) -> list[str]:
    """The narration of one resolved turn, as ``viewer`` may see it (with assessments of what the
    viewer's own moves did to values it only estimates, where the intelligence model provides them)."""
    idx = turn - 1
    if not 0 <= idx < len(game.logs):
        return []
    intel = _provided("endgame_game.engine.intel")
    if intel is not None and hasattr(intel, "visible_records"):
        recs = list(intel.visible_records(game, turn, viewer))
    else:
        recs = visible_records(game.model, game.logs[idx].for_game(0), viewer)
    return narrate(game.model, recs, turn=turn)


# -- what the intelligence and negotiation parts compute: every call into them is here ----------------


@functools.cache
def _provided(module: str) -> Any:
    """An optional engine module (``engine.intel``, ``engine.negotiation``), or None where this build
    does not have it yet: the screens then show what the move declares and the observation's estimate."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def proposal_terms(game: Game, move_id: str) -> list[str]:
    """A proposal's terms as lines (``The line: current line | four oblasts' borders``); with an offer
    on the table, the option chosen in it. Empty for a move without terms."""
    neg = _provided("endgame_game.engine.negotiation")
    if neg is None or not hasattr(neg, "term_lines"):
        return []
    return [f"{label}: {options}" for label, options in neg.term_lines(game.model, move_id, game.state)]


@attrs.frozen
class EstimatePoint:
    turn: int
    value: float
    spread: float  # one standard deviation
    exact: bool


def estimate_history(game: Game, actor: str) -> dict[str, list[EstimatePoint]]:
    """Per value owned by another actor: the actor's estimate at each turn so far (empty without the
    intelligence model's history: past observations are not kept otherwise)."""
    intel = _provided("endgame_game.engine.intel")
    if intel is None or not hasattr(intel, "estimate_history"):
        return {}
    return {name: [EstimatePoint(int(e.turn), float(e.value), float(e.spread), bool(e.exact)) for e in es]
            for name, es in intel.estimate_history(game, actor).items()}


def consequences(game: Game, actor: str, turn: int | None = None) -> list[str]:
    """What the actor's own moves did in a resolved turn (default: the last), as it may know it:
    exact for its own values and public tracks, an assessment "≈ +120 ± 25" for others' values where
    the intelligence model gives one (without it, effects on values the actor cannot see are left out)."""
    model = game.model
    turn = len(game.logs) if turn is None else turn
    if not 1 <= turn <= len(game.logs):
        return []
    intel = _provided("endgame_game.engine.intel")
    if intel is not None and hasattr(intel, "consequences"):
        grouped: dict[str, list[str]] = {}
        for c in intel.consequences(game, actor, turn):
            src = c.source_label or model.labels.get(c.source, c.source)
            if c.exact:
                part = f"{target_label(model, c.target)} {float(c.change):+.3g} (now {num(c.after)})"
            else:
                part = (f"{target_label(model, c.target)} {estimate(c.change, c.spread, signed=True)} "
                        f"(now {estimate(c.after, c.after_spread)})")
            grouped.setdefault(src, []).append(part)
        return [f"{src}: {'; '.join(parts)}" for src, parts in grouped.items()]
    own = {m.id for m in model.moves if model.actors[m.actor] == actor}
    recs = visible_records(model, game.logs[turn - 1].for_game(0), actor)
    net: dict[tuple[str, str], float] = {}
    for r in recs:
        if isinstance(r, EffectApplied) and r.source in own:
            net[(r.source, r.target)] = net.get((r.source, r.target), 0.0) + float(r.after - r.before)
    by_move: dict[str, list[str]] = {}
    for (src, tgt), d in net.items():
        if abs(d) > 1e-12:
            by_move.setdefault(src, []).append(f"{target_label(model, tgt)} {d:+.3g}")
    return [f"{model.labels.get(src, src)}: {'; '.join(parts)}" for src, parts in by_move.items()]


def role_turn_report(game: Game, turn: int, role: str) -> list[str]:
    """The turn report a role reads after a turn: the narration, with what its own orders did first."""
    lines = turn_report(game, turn, role)
    did = consequences(game, role, turn)
    if not lines or not did:
        return lines
    return [lines[0], "  What your orders did:", *(f"    {x}" for x in did), *lines[1:]]


def news(game: Game, viewer: str | None, turns: int = 3) -> list[str]:
    """The last few turns' narration, newest first."""
    lines: list[str] = []
    for t in range(len(game.logs), max(0, len(game.logs) - turns), -1):
        lines += turn_report(game, t, viewer)
    return lines


def scores(game: Game) -> list[tuple[str, float]]:
    model = game.model
    return [(actor_name(model, model.actors[a]), float(game.state.scores[0, a])) for a in model.scores]


def save_line(info: Any) -> str:
    """A load-list entry: ``name · scenario · you: Kyiv vs Moscow (hawk), … · turn 3 · saved 2026-12-02 05:00``."""
    from pathlib import Path

    roles = dict(getattr(info, "roles", {}) or {})

    def nice(role: str) -> str:
        return role.replace("_", " ").capitalize()

    humans = [nice(r) for r, v in roles.items() if v == "human"]
    ai = [f"{nice(r)} ({str(v).removeprefix('doctrine:')})" for r, v in roles.items() if v != "human"]
    who = ("you: " + ", ".join(humans) if len(humans) == 1 else "hot-seat: " + ", ".join(humans)) if humans else ""
    if ai:
        who += (" vs " if who else "AI: ") + ", ".join(ai)
    title = getattr(info, "ruleset_title", "") or getattr(info, "ruleset_id", "")
    state = f"ended: {info.ending}" if getattr(info, "done", False) else f"turn {getattr(info, 'turn', '?')}"
    when = str(getattr(info, "saved_at", ""))[:16].replace("T", " ")
    parts = [Path(str(getattr(info, "path", ""))).name, title, who, state, f"saved {when}" if when else ""]
    return " · ".join(p for p in parts if p)


GUIDED_TURNS = 4
"""How many turns the generic guide runs (a ruleset's own guide says how many it runs)."""
GENERIC_POINTS = {1: "breaking", 2: "news", 3: "inbox", 4: "intel"}


@attrs.frozen
class GuideTip:
    """What a guided game says now: the text, the part of the screen it points at (``tui.guide.POINTS``)
    and, when the ruleset's guide file is bad, its error (the generic text is shown instead)."""

    text: str
    point: str = ""
    error: str = ""


def guide_tip(game: Game, actor: str, glance: Sequence[str] = ()) -> GuideTip:
    """The guided game's tip on the game screen this turn: the ruleset's guide (``rulesets/guides/``)
    where it has one, else the generic ``guide``."""
    from endgame_game.tui import guide as guides

    error = ""
    try:
        found = guides.text_for(game, actor)
    except RulesetError as e:
        found, error = None, "\n".join(str(i) for i in e.issues[:6])
    if found is not None:
        return GuideTip(*found)
    text = guide(game, actor, glance)
    return GuideTip(text, GENERIC_POINTS.get(game.turn, "") if text else "", error)


def guide_report(game: Game, actor: str, turn: int) -> str:
    """What a guided game says on the report of ``turn`` ("" without a step for it, or without a guide)."""
    from endgame_game.tui import guide as guides

    try:
        found = guides.text_for(game, actor, screen="report", turn=turn)
    except RulesetError:
        return ""  # the game screen says what is wrong with the file
    return found[0] if found else ""


def guide(game: Game, actor: str, glance: Sequence[str] = ()) -> str:
    """What a guided first game says on the game screen this turn ("" after the first few turns).

    Args:
        glance: the labels of the role's breaking points, nearest first.
    """
    model = game.model
    turn = game.turn
    if turn > min(GUIDED_TURNS, model.max_turns):
        return ""
    step = f"Guide {turn}/{GUIDED_TURNS} · "
    if turn == 1:
        near = f" ({', '.join(glance[:2])})" if glance else ""
        return (step + f"Top left: your breaking points{near}, how far each is from ending the game. "
                "g: every ending, what it means for you, your score.")
    if turn == 2:
        return (step + "Last turn's report, what your orders did first, stays under News (n). "
                "h charts your values over the game and last turn against now.")
    if turn == 3:
        return (step + "Proposals to you wait in the Inbox (i) and as ↩ Accept/Reject moves at the top. "
                "d shows a move in full: every effect, terms, source.")
    return (step + "Others' values are estimates (≈ value ± spread). The ending screen explains the outcome "
            "against AI games; r writes the report. ? has a glossary.")
