"""Comparing the lines of a rewound game: what a seminar rewinds for.

An umpire's rewind keeps the abandoned line in the game record (``GameRecord.branches``). ``compare``
replays the main line and every branch (``Game.from_record`` on ``record.branch(i)``) and sets them side
by side: the decisions that differed from the fork on (turn by turn, role by role, in the moves' labels),
where each line ended (or stood), each role's score and outcome, and the values that parted most.
``write_branches`` writes that as Markdown and HTML, with a chart of those values' curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.errors import EndgameError
from endgame_game.report.aar import Block, to_html, to_markdown
from endgame_game.report.text import fmt_num, source_label, target_label

MAX_CURVES = 8
"""The values charted and tabled: those that parted most between the lines."""


@attrs.frozen
class Line:
    """One line of play: the main line, or a branch a rewind abandoned."""

    name: str
    fork: int  # first turn it played on its own (1 for the main line)
    last_turn: int  # the last turn it resolved
    ending: str  # the ending's label, "" while the line had not ended
    end_turn: int
    scores: dict[str, float]
    outcomes: dict[str, str]  # role → "win" | "draw" | "loss" | "" (not ended)
    values: np.ndarray  # [T+1, N]: values at the start and after each resolved turn


@attrs.frozen
class Decision:
    """Orders that differed between the main line and a branch in one turn."""

    turn: int
    role: str
    main: tuple[str, ...]  # move labels, in the order given
    branch: tuple[str, ...]


@attrs.frozen
class BranchComparison:
    title: str
    model: Any
    game: int
    main: Line
    branches: tuple[Line, ...]
    decisions: tuple[tuple[Decision, ...], ...]  # per branch
    parted: tuple[int, ...]  # value slots that parted most, most first


def _line(model: Any, record: Any, game: int, name: str, fork: int) -> Line:
    from endgame_game.engine.api import Game

    with np.errstate(all="ignore"):
        g, _diverged = Game.from_record(model, record)
    st = g.state
    e = int(st.ending[game])
    ended = bool(st.ended[game])
    ending = model.endings[e].label if e >= 0 else ("ended" if ended else "")
    scores = {a: float(st.scores[game, model.actor_index[a]]) for a in model.actors if model.actor_index[a] in model.scores}
    outcomes = {role: str(v[game]) for role, v in model.outcomes(st).items()}
    values = np.array([h[game] for h in g.history]) if g.history else st.values[game][None, :]
    return Line(name, fork, len(record.turns), ending, int(st.end_turn[game]) if ended else 0, scores, outcomes, values)


def _labels(model: Any, moves: Sequence[str]) -> tuple[str, ...]:
    return tuple(source_label(model, m) for m in moves)


def _decisions(model: Any, record: Any, branch: Any, game: int) -> tuple[Decision, ...]:
    main_turns = {t.turn: t for t in (*record.turns, record.current)}
    out = []
    for t in (*branch.turns, branch.current):
        m = main_turns.get(t.turn)
        for role in model.actors:
            mine = tuple(t.orders.get(role, ((),) * (game + 1))[game]) if role in t.orders else ()
            theirs = tuple(m.orders[role][game]) if m is not None and role in m.orders else ()
            if mine != theirs and (mine or theirs):
                out.append(Decision(t.turn, role, _labels(model, theirs), _labels(model, mine)))
    return tuple(out)


def _parted(lines: Sequence[Line], model: Any) -> tuple[int, ...]:
    """Value slots ranked by how far the lines ended apart, relative to each value's range."""
    owned = [j for j, name in enumerate(model.symbols.values) if not name.startswith("params.")]
    if len(lines) < 2 or not owned:
        return ()
    finals = np.array([ln.values[-1] for ln in lines])[:, owned]
    span = np.abs(np.asarray(model.hi)[owned] - np.asarray(model.lo)[owned])
    span = np.where(np.isfinite(span) & (span > 0), span, np.maximum(np.abs(finals).max(axis=0), 1.0))
    gap = (finals.max(axis=0) - finals.min(axis=0)) / span
    order = [owned[k] for k in np.argsort(-gap, kind="stable") if gap[k] > 0]
    return tuple(order[:MAX_CURVES])


def compare(source: Any, game: int = 0) -> BranchComparison:
    """Compare the main line of a save (path, ``LoadedGame`` or ``Game``) with each branch its rewinds kept.

    Raises:
        EndgameError: the game has no branches, or no game ``game``.
    """
    from endgame_game.engine.api import Game

    if isinstance(source, str | Path):
        from endgame_game.saves import load_game

        source = load_game(source)
    g = source.game if hasattr(source, "game") and not isinstance(source, Game) else source
    record, model = g.record(), g.model
    if not record.branches:
        raise EndgameError("this game has no branches: an umpire's rewind keeps the line it abandons as one")
    if not 0 <= game < record.batch:
        raise EndgameError(f"no game {game} in this save (it holds {record.batch})")
    main = _line(model, attrs.evolve(record, branches=()), game, "Main line", 1)
    lines, decisions = [], []
    for i, b in enumerate(record.branches):
        lines.append(_line(model, record.branch(i), game,
                           f"Branch {i + 1} (from turn {b.fork}, abandoned at turn {b.current.turn})", b.fork))
        decisions.append(_decisions(model, record, b, game))
    return BranchComparison(model.meta.title, model, game, main, tuple(lines), tuple(decisions),
                            _parted([main, *lines], model))


def _name(model: Any, role: str) -> str:
    a = model.ruleset.actors.get(role)
    return a.name if a is not None else role


def blocks(c: BranchComparison, chart: Path | None = None) -> list[Block]:
    m = c.model
    lines = (c.main, *c.branches)
    out: list[Block] = [("h1", f"{c.title}: the lines of play compared")]
    out.append(("p", f"The main line and {len(c.branches)} branch(es) kept by the umpire's rewinds"
                     + (f" (game {c.game} of the save)" if c.game else "") + "."))
    out.append(("h2", "Where each line ended"))
    roles = [a for a in m.actors if a in c.main.scores or a in c.main.outcomes]
    head = ["Line", "Turns", "Ending", *(_name(m, a) for a in roles)]
    rows = []
    for ln in lines:
        ending = f"{ln.ending} (turn {ln.end_turn})" if ln.ending else f"not ended (stood at turn {ln.last_turn + 1})"
        cells = []
        for a in roles:
            score = fmt_num(ln.scores[a]) if a in ln.scores else ""
            outcome = ln.outcomes.get(a, "")
            cells.append(f"{score} {outcome}".strip())
        rows.append([ln.name, f"{ln.fork}–{ln.last_turn}", ending, *cells])
    out.append(("table", head, rows))
    for i, (b, ds) in enumerate(zip(c.branches, c.decisions, strict=True)):
        out.append(("h2", f"Decisions that differed: main line vs branch {i + 1}"))
        if not ds:
            out.append(("p", f"The same orders from turn {b.fork} on: the lines differ by the umpire's actions only."))
            continue
        out.append(("table", ["Turn", "Role", "Main line", f"Branch {i + 1}"],
                    [[str(d.turn), _name(m, d.role), ", ".join(d.main) or "(pass)",
                      ", ".join(d.branch) or "(pass)"] for d in ds]))
    if c.parted:
        out.append(("h2", "The values that parted most"))
        head = ["Value", *(ln.name.split(" (")[0] for ln in lines)]
        rows = [[target_label(m, m.symbols.values[j]), *(fmt_num(float(ln.values[-1, j])) for ln in lines)]
                for j in c.parted]
        out.append(("table", head, rows))
        if chart is not None:
            out.append(("img", chart.name, "Values by turn, one curve per line"))
    return out


def chart(c: BranchComparison, path: Path) -> Path | None:
    """The parted values' curves, one panel per value, one line per branch."""
    if not c.parted:
        return None
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    m = c.model
    n = len(c.parted)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(4.6 * cols, 2.6 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, j in enumerate(c.parted):
        ax = axes[k // cols][k % cols]
        for ln, style in zip((c.main, *c.branches), ("-", "--", ":", "-.") * 8, strict=False):
            ax.plot(np.arange(ln.values.shape[0]), ln.values[:, j], style, marker="o", markersize=2.5,
                    label=ln.name.split(" (")[0])
        ax.set_title(target_label(m, m.symbols.values[j]), fontsize=9)
        ax.set_xlabel("turn (0: the start)", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, loc="best")
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle(f"{c.title}: the lines compared", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def write_branches(source: Any, out: str | Path, *, game: int = 0, charts: bool = True) -> tuple[Path, Path]:
    """Write ``branches.md`` and ``branches.html`` (and ``branches.png``) into ``out``."""
    c = compare(source, game)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    png = chart(c, folder / "branches.png") if charts else None
    bl = blocks(c, png)
    md, page = folder / "branches.md", folder / "branches.html"
    md.write_text(to_markdown(bl), encoding="utf-8")
    page.write_text(to_html(bl, f"{c.title}: branches"), encoding="utf-8")
    return md, page
