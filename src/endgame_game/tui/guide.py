"""A guided first game, as data: what the game screen (and the turn report) says in the first turns.

A guide is a TOML file beside its ruleset, in a ``guides/`` folder (``rulesets/guides/endgame-2024.toml``),
looked up beside the ruleset's file, then beside each ruleset it extends (a variant plays its base's guide
until it has its own), the way ``ai.tuned`` finds a ruleset's tuned policies::

    [guide]
    ruleset = "endgame-2024"
    turns = 4                      # how many turns the guide runs (default: its last step's turn)

    [[steps]]
    turn = 1
    role = "kyiv"                  # one role or a list; a step without one is for every role that has
                                   # no step of its own that turn
    when = "deficit > 5"           # optional: shown only while it holds (on what the role knows)
    point = "breaking"             # the part of the screen it points at (highlighted while it shows)
    text = "Grid deficit {deficit} GW of {params.grid_break_gw}."

    [[steps]]
    turn = 1
    screen = "report"              # shown on the report of turn 1 instead of the game screen
    text = "What your orders did: {@did}."

A ``{...}`` in a text is an expression of the ruleset's language (a value, a derived gauge, a parameter,
a track, ``kyiv.manpower - ua_floor``), worked out on what the role knows: exact for its own values and
public tracks, an estimate (``≈ 924 ± 60``) otherwise. ``{@did}`` is what the role's orders did last
turn, ``{@inbox}`` the number of proposals waiting for its answer, ``{@breaking}`` its nearest breaking
point; ``{{`` and ``}}`` are literal braces. No Textual here: the game screen shows ``text_for``.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from endgame_game.engine.api import Game
from endgame_game.engine.model import CompiledModel
from endgame_game.errors import ExpressionError, Issue, RulesetError
from endgame_game.files import FileRefused, read_limited
from endgame_game.report import stakes
from endgame_game.rules import expr
from endgame_game.rules.expr import BOOL, did_you_mean
from endgame_game.rules.lines import find_line
from endgame_game.rules.loader import parse_toml
from endgame_game.rules.registry import beside_rulesets

GUIDES_DIR = "guides"
"""The folder beside a ruleset that holds its guide (not scanned for rulesets)."""
MAX_FILE_BYTES = 200_000
MAX_STEPS = 200
MAX_TEXT = 600
SCREENS = ("game", "report")
POINTS = ("breaking", "resources", "intel", "tracks", "moves", "detail", "queue", "inbox", "news")
"""The parts of the game screen a step may point at."""
SHORT_CHARS = 185
"""On the game screen ``{@did}`` is cut at whole effects to what is left of this many characters of the
text (the guide box is 6 lines of ~37: its "Guide 1/4 · " and word wrapping take the rest)..."""
DID_SHORT_MIN = 60
"""... but never to less than this (its first effect is always shown whole)."""
SPECIALS = ("@did", "@inbox", "@breaking")
_PLACE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@attrs.frozen
class Step:
    turn: int
    text: str
    roles: tuple[str, ...] = ()  # empty: every role without a step of its own this turn
    point: str = ""
    screen: str = "game"
    index: int = 0  # its place in the file (steps[index])
    when: str | None = None  # shown only while this holds (on what the role knows)


@attrs.frozen
class Guide:
    ruleset: str
    turns: int
    steps: tuple[Step, ...]
    path: str = ""
    nodes: dict[str, expr.Node] = attrs.field(factory=dict, eq=False)  # placeholder → its parsed expression
    types: dict[str, str] = attrs.field(factory=dict, eq=False)

    def steps_for(self, turn: int, role: str, screen: str = "game",
                  holds: Callable[[Step], bool] = lambda s: True) -> list[Step]:
        """The steps a role reads at ``turn`` on ``screen``: its own, else those for every role; a step
        with a ``when`` only while ``holds`` says it does."""
        here = [s for s in self.steps if s.turn == turn and s.screen == screen and (s.when is None or holds(s))]
        own = [s for s in here if role in s.roles]
        return own or [s for s in here if not s.roles]


# -- reading and checking --

def _placeholders(text: str) -> tuple[list[str], list[str]]:
    """(the ``{...}`` inside a text, problems with its braces)."""
    found, bad = [], []
    for m in _PLACE.finditer(text):
        tok = m.group(0)
        if tok in ("{{", "}}"):
            continue
        if m.group(1) is None:
            bad.append(f"a lone {tok!r} at column {m.start() + 1} (write {tok * 2} for a brace)")
        elif not m.group(1).strip():
            bad.append(f"an empty {{}} at column {m.start() + 1}")
        else:
            found.append(m.group(1).strip())
    return found, bad


def parse_guide(text: str, path: str = "<guide>") -> Guide:
    """Read a guide file's text (structure only; ``check_guide`` checks it against a ruleset).

    Raises:
        RulesetError: every problem found, each with its key path and line.
    """
    issues: list[Issue] = []

    def err(key: str, message: str, hint: str = "") -> None:
        issues.append(Issue(key, message, file=path, line=find_line(text, key) if key else None, hint=hint))

    data = parse_toml(text, path)  # the rulesets' reader: syntax errors with their line, size and nesting limits
    for key in data:
        if key not in ("guide", "steps"):
            err(key, f"unknown key {key!r}", did_you_mean(key, ["guide", "steps"]))
    meta = data.get("guide")
    if not isinstance(meta, dict):
        err("guide" if "guide" in data else "", "missing [guide] table (with the ruleset it guides)")
        meta = {}
    for key in meta:
        if key not in ("ruleset", "turns"):
            err(f"guide.{key}", f"unknown key {key!r}", did_you_mean(key, ["ruleset", "turns"]))
    ruleset = meta.get("ruleset")
    if meta and not (isinstance(ruleset, str) and ruleset.strip()):
        err("guide.ruleset" if "ruleset" in meta else "guide", "missing guide.ruleset (the ruleset's id)"
            if ruleset is None else f"must be a ruleset id, got {ruleset!r}")
    turns = meta.get("turns")
    if turns is not None and (not isinstance(turns, int) or isinstance(turns, bool) or turns < 1):
        err("guide.turns", f"must be a whole number of turns (1 or more), got {turns!r}")
        turns = None
    raw = data.get("steps", [])
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        err("steps", "must be an array of tables ([[steps]])")
        raw = []
    if not raw and "steps" not in data:
        err("", "a guide needs at least one [[steps]] entry")
    if len(raw) > MAX_STEPS:
        err("steps", f"{len(raw)} steps; at most {MAX_STEPS}")
        raw = raw[:MAX_STEPS]
    known = ("turn", "role", "when", "point", "screen", "text")
    steps: list[Step] = []
    for i, s in enumerate(raw):
        p = f"steps[{i}]"
        for key in s:
            if key not in known:
                err(f"{p}.{key}", f"unknown key {key!r}", did_you_mean(key, known))
        turn, body = s.get("turn"), s.get("text")
        ok = True
        if not isinstance(turn, int) or isinstance(turn, bool) or turn < 1:
            err(f"{p}.turn" if "turn" in s else p, "missing turn" if turn is None else
                f"must be a turn number (1 or more), got {turn!r}")
            ok = False
        if not (isinstance(body, str) and body.strip()):
            err(f"{p}.text" if "text" in s else p, "missing text" if body is None else
                f"must be a non-empty string, got {body!r}")
            ok = False
        elif len(body) > MAX_TEXT:
            err(f"{p}.text", f"{len(body)} characters; at most {MAX_TEXT} (it has to fit beside the orders at 80×24)")
        else:
            for problem in _placeholders(body)[1]:
                err(f"{p}.text", problem)
        role = s.get("role", [])
        roles = [role] if isinstance(role, str) else role
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            err(f"{p}.role", f"must be a role id or a list of them, got {role!r}")
            roles = []
        when = s.get("when")
        if when is not None and not (isinstance(when, str) and when.strip()):
            err(f"{p}.when", f"must be a condition (a string), got {when!r}")
            when = None
        point, screen = s.get("point", ""), s.get("screen", "game")
        if not isinstance(point, str) or (point and point not in POINTS):
            err(f"{p}.point", f"no part of the screen called {point!r}; one of: {', '.join(POINTS)}",
                did_you_mean(str(point), POINTS))
            point = ""
        if screen not in SCREENS:
            err(f"{p}.screen", f"must be one of {', '.join(SCREENS)}, got {screen!r}", did_you_mean(str(screen), SCREENS))
            screen = "game"
        if ok:
            steps.append(Step(int(turn), body.strip(), tuple(roles), point, screen, i, when))
    if issues:
        raise RulesetError(issues)
    last = max((s.turn for s in steps), default=1)
    return Guide(str(ruleset), int(turns) if turns is not None else last, tuple(steps), path)


def read_guide(path: str | Path) -> Guide:
    """Read a guide file (structure only).

    Raises:
        RulesetError: unreadable, too large, or malformed, with key paths and lines.
    """
    text = _read(Path(path))
    return parse_guide(text, str(path))


def _read(p: Path) -> str:
    try:
        return read_limited(p, MAX_FILE_BYTES).decode("utf-8")
    except FileRefused as e:
        raise RulesetError([Issue("", e.reason, file=str(p))]) from None
    except UnicodeDecodeError as e:
        raise RulesetError([Issue("", f"not UTF-8 text: {e}", file=str(p))]) from None


def check_guide(guide: Guide, model: CompiledModel, text: str | None = None) -> Guide:
    """Check a guide against the ruleset it guides: its roles and every ``{...}`` in its texts.

    Raises:
        RulesetError: an unknown role or name (with a did-you-mean), a malformed expression; with key
            paths and lines.
    """
    if text is None and guide.path and Path(guide.path).is_file():
        text = _read(Path(guide.path))
    issues: list[Issue] = []

    def err(key: str, message: str, hint: str = "") -> None:
        issues.append(Issue(key, message, file=guide.path or "<guide>", line=find_line(text, key) if text else None,
                            hint=hint))

    if guide.ruleset not in {model.id} | {Path(f).stem for f, _ in model.files}:
        err("guide.ruleset", f"this guide is for ruleset {guide.ruleset!r}, not {model.id!r} or a ruleset it extends")
    known = {k: s.type for k, s in model.symbols.table.items()}
    nodes: dict[str, expr.Node] = {}
    types: dict[str, str] = {}
    for s in guide.steps:
        p = f"steps[{s.index}]"
        for r in s.roles:
            if r not in model.playable:
                err(f"{p}.role", f"no playable role {r!r} in ruleset {model.id!r}", did_you_mean(r, model.playable))
        if s.when is not None:
            try:
                node = expr.parse(s.when)
                typ = expr.check_names(node, known)
            except ExpressionError as e:
                where = f" at column {e.col + 1}" if e.col is not None else ""
                err(f"{p}.when", f"{e.message}{where} in {s.when!r}", e.hint)
            else:
                if typ != BOOL:
                    err(f"{p}.when", f"needs a condition (true/false), but {s.when!r} is a number")
                nodes[f"when:{s.when}"] = node
        for place in _placeholders(s.text)[0]:
            if place.startswith("@"):
                if place not in SPECIALS:
                    err(f"{p}.text", f"unknown {{{place}}}; one of: {', '.join(SPECIALS)}", did_you_mean(place, SPECIALS))
                continue
            if place in nodes:
                continue
            try:
                node = expr.parse(place)
                types[place] = expr.check_names(node, known)
            except ExpressionError as e:
                where = f" at column {e.col + 1}" if e.col is not None else ""
                err(f"{p}.text", f"{{{place}}}: {e.message}{where}", e.hint)
                continue
            nodes[place] = node
    if issues:
        raise RulesetError(issues)
    return attrs.evolve(guide, nodes=nodes, types=types)


# -- finding --

def guide_paths(model: CompiledModel) -> list[Path]:
    """Where a ruleset's guide is looked for, in order: beside its file, then beside each ruleset it
    extends (``rules.registry.beside_rulesets``, which also finds it for a game loaded from a save)."""
    return beside_rulesets([file for file, _ in model.files], GUIDES_DIR, lambda f: f"{f.stem}.toml")


def find_guide(model: CompiledModel) -> Path | None:
    return next((p for p in guide_paths(model) if p.is_file()), None)


_LOADED: weakref.WeakKeyDictionary[CompiledModel, Guide | None | RulesetError] = weakref.WeakKeyDictionary()


def load_guide(model: CompiledModel) -> Guide | None:
    """The ruleset's guide, checked (None: the ruleset has none, and the generic guide is shown).

    Raises:
        RulesetError: a bad guide file, with its file, key paths, lines and did-you-means.
    """
    if model not in _LOADED:
        path = find_guide(model)
        try:
            if path is None:
                _LOADED[model] = None
            else:
                text = _read(path)
                _LOADED[model] = check_guide(parse_guide(text, str(path)), model, text)
        except RulesetError as e:
            _LOADED[model] = e
    got = _LOADED[model]
    if isinstance(got, RulesetError):
        raise got
    return got


# -- rendering --

def _number(game: Game, role: str, place: str, node: expr.Node, typ: str, obs: Any) -> str:
    model = game.model
    if isinstance(node, expr.Name) and node.name in model.value_index:
        j = model.value_index[node.name]
        v = float(obs.values[0, j])
        if not bool(obs.exact[j]):
            from endgame_game.tui.view import estimate

            return estimate(v, float(obs.spread[0, j]))
    value, exact = stakes.evaluate(model, node, obs.state, obs.exact)
    if typ == BOOL:
        return ("yes" if value else "no") if exact else ("probably yes" if value else "probably no")
    if not math.isfinite(value):
        return "—"
    return ("" if exact else "≈ ") + stakes.fmt(value)


def _did(lines: Sequence[str], limit: int = 0) -> str:
    """What the orders did, in one line; with ``limit``, cut at whole effects (the first always shown),
    never inside a number."""
    if not lines:
        return "nothing you can measure"
    text = "; ".join(lines)
    if not limit or len(text) <= limit:
        return text
    parts = text.split("; ")
    out = parts[0]
    for p in parts[1:]:
        if len(out) + 2 + len(p) > limit:
            break
        out += "; " + p
    return out + (" …" if out != text else "")


def render(guide: Guide, game: Game, role: str, steps: Sequence[Step], turn: int | None = None,
           short: bool = False, obs: Any = None) -> str:
    """The steps' texts with every ``{...}`` worked out as ``role`` knows it, one paragraph (``short``:
    ``{@did}`` cut to what fits beside the orders at 80×24; the report screen has room for all)."""
    if not steps:
        return ""
    from endgame_game.tui import view

    obs = obs if obs is not None else game.observe(role)
    cache: dict[str, str] = {}

    def value(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok in ("{{", "}}"):
            return tok[0]
        place = (m.group(1) or "").strip()
        if place not in cache:
            if place == "@did":
                cache[place] = "\0did\0"  # filled in last, with the room the rest of the text leaves
            elif place == "@inbox":
                cache[place] = str(len(view.inbox(game, role).to_answer))
            elif place == "@breaking":
                near = stakes.key_gauges(game, role)
                cache[place] = near[0].text if near else "none in sight"
            else:
                cache[place] = _number(game, role, place, guide.nodes[place], guide.types.get(place, ""), obs)
        return cache[place]

    out = " ".join(_PLACE.sub(value, s.text) for s in steps)
    if "\0did\0" in out:
        room = max(DID_SHORT_MIN, SHORT_CHARS - len(out.replace("\0did\0", ""))) if short else 0
        out = out.replace("\0did\0", _did(view.consequences(game, role, turn), room))
    return out


def text_for(game: Game, role: str, screen: str = "game", turn: int | None = None) -> tuple[str, str] | None:
    """(text, the part of the screen it points at) of the ruleset's guide for ``role`` now (``turn``:
    the report of that turn, on the report screen); ``("", "")`` when it says nothing now; None when the
    ruleset has no guide (the generic one is shown).

    Raises:
        RulesetError: a bad guide file.
    """
    guide = load_guide(game.model)
    if guide is None:
        return None
    at = game.turn if turn is None else turn
    last = min(guide.turns, game.model.max_turns)  # a shorter game (--turns) has a shorter guide
    if at > last:
        return "", ""
    obs = game.observe(role)

    def holds(step: Step) -> bool:
        value, _ = stakes.evaluate(game.model, guide.nodes[f"when:{step.when}"], obs.state, obs.exact)
        return bool(value)

    steps = guide.steps_for(at, role, screen, holds)
    if not steps:
        return "", ""
    point = next((s.point for s in steps if s.point), "")
    body = render(guide, game, role, steps, turn, short=screen == "game", obs=obs)
    return (f"Guide {at}/{last} · {body}" if screen == "game" else f"Guide · {body}"), point
