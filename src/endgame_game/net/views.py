"""What each seat receives, as plain data (JSON-ready dicts of the app's view rows).

A team seat gets exactly what its screen in the local app shows (``tui.view``: own values exact,
the others only as intelligence estimates, narration stripped of changes it cannot see); an observer
only the public record (calendar, tracks, public news); the umpire every true value. Nothing else of
the state goes on the wire but its checksum (to check that every seat saw the same game).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import cattrs

from endgame_game.engine.api import Game
from endgame_game.tui import view

OBSERVER = "~observer"
"""The viewer name of an observer in ``view.news`` (no actor: every noisy value is hidden)."""

_conv = cattrs.Converter()


def _plain(x: Any) -> Any:
    return _conv.unstructure(x) if attrs.has(type(x)) else x


def common(game: Game, waiting: Sequence[str], deadline: float | None, paused: bool) -> dict[str, Any]:
    model = game.model
    ending = ""
    if game.done:
        i = int(game.state.ending[0])
        ending = model.endings[i].label if i >= 0 else ""
    return {"title": model.meta.title, "turn": game.turn, "calendar": view.calendar(game),
            "tracks": [_plain(t) for t in view.tracks(game)],
            "waiting": [view.actor_name(model, r) for r in waiting], "done": game.done, "ending": ending,
            "deadline": None if deadline is None else round(max(0.0, deadline), 1), "paused": paused,
            "checksum": game.state.checksum()}


def team_view(game: Game, role: str, queue: Sequence[str], confirmed: bool, waiting: Sequence[str],
              deadline: float | None = None, paused: bool = False) -> dict[str, Any]:
    """A team seat's view of ``role``: what the local app's game screen shows for it."""
    model = game.model
    box = view.inbox(game, role)
    last = len(game.logs)
    return {**common(game, waiting, deadline, paused), "seat": "team", "role": role,
            "name": view.actor_name(model, role),
            "own": [_plain(r) for r in view.own_rows(game, role)],
            "intel": [[name, [_plain(r) for r in rows]] for name, rows in view.intel_rows(game, role)],
            "moves": [_plain(m) for m in view.moves(game, role, queue)],
            "queue": list(queue), "ap_left": view.ap_left(game, role, queue),
            "ap_total": int(model.action_points[model.actor_index[role]]),
            "inbox": _plain(box), "news": view.news(game, role, turns=3),
            "report": view.turn_report(game, last, role), "confirmed": confirmed}


def observer_view(game: Game, waiting: Sequence[str], deadline: float | None = None,
                  paused: bool = False) -> dict[str, Any]:
    """The public record: the calendar, the tracks, the news everybody may read."""
    return {**common(game, waiting, deadline, paused), "seat": "observer",
            "news": view.news(game, OBSERVER, turns=3)}


def umpire_view(game: Game, waiting: Sequence[str], deadline: float | None = None, paused: bool = False,
                refused: Mapping[str, int] | None = None, seats: Sequence[str] = ()) -> dict[str, Any]:
    """Every true value, derived gauges, live scores, flags, this turn's orders and umpire actions,
    and who is connected (``seats``: team roles, ``umpire``, ``observer`` once per observer)."""
    from endgame_game.tui.screens.umpire import derived_values, flag_rows

    model = game.model
    return {**common(game, waiting, deadline, paused), "seat": "umpire",
            "true": [[name, [_plain(r) for r in rows]] for name, rows in view.true_rows(game)],
            "scores": [[n, v] for n, v in view.scores(game)],
            "derived": [[d, doc, v if v == v else None] for d, doc, v in derived_values(game)],
            "flags": [[f, label, on] for f, label, on in flag_rows(game)],
            "orders": {a: game.orders_of(a) for a in model.actors if game.orders_of(a)},
            "umpire": [{"action": a.action, **attrs.asdict(a)} for a in game.umpire_actions],
            "events": [[e.id, e.label] for e in model.events],
            "values": [[v, view.target_label(model, v)] for v in model.symbols.values],
            "news": view.news(game, None, turns=3), "refused": dict(refused or {}),
            "seats": sorted(seats)}


def rows(data: Sequence[Mapping[str, Any]]) -> list[view.ValueRow]:
    """Value rows back from a view (the seat app feeds them to the same widgets as the local app)."""
    return [_conv.structure(dict(d), view.ValueRow) for d in data]


def tracks(data: Sequence[Mapping[str, Any]]) -> list[view.TrackView]:
    return [_conv.structure(dict(d), view.TrackView) for d in data]


def moves(data: Sequence[Mapping[str, Any]]) -> list[view.MoveView]:
    return [_conv.structure(dict(d), view.MoveView) for d in data]


def inbox(data: Mapping[str, Any]) -> view.Inbox:
    return _conv.structure(dict(data), view.Inbox)
