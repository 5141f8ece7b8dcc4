"""The after-action report: what happened in one game, as data (``build``), then Markdown and HTML with
PNG charts (``write_report``).

The per-turn values behind the charts come from replaying the save with history on; the timeline is
the engine's typed turn log narrated by ``report.text``; with batch results (a CSV or Parquet file with
``ending`` and ``score.<actor>`` columns, e.g. from ``endgame batch``) it says where this game sits
among the AI games of the same ruleset.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from endgame_game.errors import EndgameError

CHARTS_HINT = "charts need matplotlib, which this environment lacks: pip install matplotlib"


@attrs.frozen
class TurnStory:
    turn: int
    date: str
    lines: tuple[str, ...]
    records: tuple[Any, ...]


@attrs.frozen
class Standing:
    """Where one actor's score sits among the AI games."""

    actor: str
    name: str
    score: float
    better_than: float  # share of AI games with a lower score (0..1)
    ties: float
    games: int
    median: float
    human: bool


@attrs.frozen
class BatchComparison:
    source: Path
    games: int
    ending_share: float  # share of AI games that reached this game's ending
    standings: tuple[Standing, ...]
    scores: dict[str, np.ndarray]  # actor → AI scores
    endings: dict[str, int]  # ending → count
    point: int | None = None  # the sweep point compared with, if the batch file has several


@attrs.frozen
class AfterAction:
    """Everything the report shows, for one game of a save."""

    model: Any
    game: Any
    index: int
    title: str
    seed: int
    source: str
    roles: dict[str, str]  # role → "human" or agent spec
    meta: dict[str, Any]
    values: np.ndarray  # [T+1, N] values at the start and after each turn
    turns: tuple[TurnStory, ...]
    ending_id: str
    ending_label: str
    ending_text: str
    end_turn: int
    scores: dict[str, float]
    crossings: tuple[tuple[int, str, str], ...]  # (turn, threshold id, label)
    umpire: tuple[tuple[int, str], ...]  # (turn, description)
    batch: BatchComparison | None = None
    verified: bool = True  # the save replayed exactly on this machine
    debrief: Any = None  # report.debrief.Debrief: each role's outcome, score terms and standing (game 0)


@attrs.frozen
class ReportFiles:
    markdown: Path
    html: Path
    charts: tuple[Path, ...]
    notes: tuple[str, ...] = ()


# --- gathering ---------------------------------------------------------------------------------------


def _game_with_history(source: Any) -> tuple[Any, dict[str, str], dict[str, Any], str, bool]:
    """(game with logs and history, agents, meta, source name) from a path, a LoadedGame or a Game."""
    from endgame_game.engine.api import Game

    if isinstance(source, str | Path):
        from endgame_game.saves import load_game

        source = load_game(source)
    if hasattr(source, "game") and hasattr(source, "agents"):
        return (source.game, dict(source.agents), dict(source.meta), str(getattr(source, "path", "")),
                bool(getattr(source, "verified", True)))
    if isinstance(source, Game):
        g = source
        if len(g.history) != len(g.logs) + 1:  # played without history: the record replays with it
            with np.errstate(all="ignore"):
                g, _ = Game.from_record(g.model, g.record())
        return g, {}, {}, "", True
    raise EndgameError(f"cannot report on {type(source).__name__}: give a save file, a LoadedGame or a Game")


def build(source: Any, *, batch: str | Path | None = None, game: int = 0,
          agents: Mapping[str, str] | None = None, meta: Mapping[str, Any] | None = None,
          ai_games: int = 0) -> AfterAction:
    """Gather the report's content for game ``game`` of a save (path), a ``LoadedGame`` or a ``Game``.

    Args:
        batch: batch results to compare with (a CSV or Parquet file).
        ai_games: without ``batch``, play this many AI games in-process to compare with
            (``report.debrief.play_ai_games``: the same games the app's ending screen compares with).
    """
    from endgame_game.engine.log import EndingReached, ThresholdCrossed, UmpireAction
    from endgame_game.report.debrief import debrief, play_ai_games
    from endgame_game.report.text import narrate

    g, ag, mt, src, verified = _game_with_history(source)
    ag.update(agents or {})
    mt.update(meta or {})
    model = g.model
    if not 0 <= game < g.batch:
        raise EndgameError(f"no game {game} in this save (it holds {g.batch})")
    humans = mt.get("humans", [])
    humans = [humans] if isinstance(humans, str) else list(humans) if isinstance(humans, list | tuple) else []
    roles = {a: ("human" if a in humans else ag.get(a, "")) for a in model.actors if model.moves_of[model.actor_index[a]]}
    values = np.array([h[game] for h in g.history]) if g.history else g.state.values[game][None, :]
    turns, crossings, umpire = [], [], []
    for k, tl in enumerate(g.logs):
        recs = tl.for_game(game)
        t = tl.turn if getattr(tl, "turn", None) else k + 1
        if not recs and g.state.ended[game] and t > int(g.state.end_turn[game]):
            continue
        turns.append(TurnStory(t, f"{model.date_of(t):%B %Y}", tuple(narrate(model, recs)), tuple(recs)))
        for r in recs:
            if isinstance(r, ThresholdCrossed):
                crossings.append((t, r.threshold, r.label))
            elif isinstance(r, UmpireAction):
                umpire.append((t, r.describe()))
            elif isinstance(r, EndingReached):
                pass
    st = g.state
    e_idx = int(st.ending[game])
    ending = model.endings[e_idx] if e_idx >= 0 else None
    scores = {a: float(st.scores[game, model.actor_index[a]]) for a in model.actors if model.actor_index[a] in model.scores}
    bmeta = mt.get("batch")
    point = bmeta.get("point") if isinstance(bmeta, dict) and isinstance(bmeta.get("point"), int) else None
    ai = None
    if batch:
        comp: BatchComparison | None = compare_with_batch(batch, model, ending.id if ending else "",
                                                          ending.label if ending else "", scores, humans, point)
    elif ai_games > 0 and st.ended[game]:
        ai = play_ai_games(model, ai_games)
        comp = compare_columns(ai.rows(), Path(f"{ai_games} AI games ({ai.agent} doctrines, seed {ai.seed})"), model,
                               ending.id if ending else "", ending.label if ending else "", scores, humans)
    else:
        comp = None
    agent_specs = {a: r for a, r in roles.items() if r != "human"}
    story = debrief(g, humans, agent_specs, ai) if game == 0 and st.ended[game] else None
    return AfterAction(
        model=model, game=g, index=game, title=model.meta.title, seed=int(g.seed), source=src, roles=roles, meta=mt,
        values=values, turns=tuple(turns), ending_id=ending.id if ending else "",
        ending_label=ending.label if ending else "", ending_text=(ending.text or "").strip() if ending else "",
        end_turn=int(st.end_turn[game]), scores=scores, crossings=tuple(crossings), umpire=tuple(umpire), batch=comp,
        verified=verified, debrief=story,
    )


# --- batch results -------------------------------------------------------------------------------------


def read_batch(path: str | Path, ruleset_id: str | None = None, point: int | None = None) -> dict[str, list[Any]]:
    """Columns of a batch results file (CSV, or Parquet with pyarrow): ``ending`` and ``score.*``; a
    ``ruleset`` column, if present, keeps only rows of ``ruleset_id``, and a ``point`` column only the
    rows of sweep point ``point`` (when given)."""
    path = Path(path)
    if not path.is_file():
        raise EndgameError(f"no batch results file {path}")
    cols: dict[str, list[Any]] = {}
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise EndgameError("reading Parquet needs pyarrow: pip install 'endgame-game[parquet]', or give a CSV") from None
        table = pq.read_table(path)
        for name in table.column_names:
            if name in ("ending", "ruleset", "point") or name.startswith("score."):
                cols[name] = table.column(name).to_pylist()
    else:
        try:
            with path.open(newline="", encoding="utf-8") as f:
                reader = csv.DictReader(f)
                names = [n for n in (reader.fieldnames or []) if n in ("ending", "ruleset", "point") or n.startswith("score.")]
                for n in names:
                    cols[n] = []
                for row in reader:
                    for n in names:
                        cols[n].append(row.get(n))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise EndgameError(f"cannot read batch results {path}: {e}") from None
    if "ending" not in cols and not any(k.startswith("score.") for k in cols):
        raise EndgameError(f"{path} has neither an 'ending' column nor 'score.<actor>' columns")
    if ruleset_id and "ruleset" in cols:
        keep = [i for i, r in enumerate(cols["ruleset"]) if str(r) == ruleset_id]
        cols = {k: [v[i] for i in keep] for k, v in cols.items()}
    if point is not None and "point" in cols:
        keep = [i for i, r in enumerate(cols["point"]) if str(r) == str(point)]
        cols = {k: [v[i] for i in keep] for k, v in cols.items()}
    return cols


def _floats(xs: Sequence[Any]) -> np.ndarray:
    out = []
    for x in xs:
        try:
            v = float(x)
        except (TypeError, ValueError):
            continue
        if np.isfinite(v):
            out.append(v)
    return np.array(out, dtype=np.float64)


def compare_with_batch(path: str | Path, model: Any, ending_id: str, ending_label: str, scores: Mapping[str, float],
                       humans: Sequence[str] = (), point: int | None = None) -> BatchComparison:
    """Where this game sits among the AI games of a batch file (of its sweep point, for a game saved
    from a sweep: ``meta.batch.point``)."""
    cols = read_batch(path, model.id, point)
    return compare_columns(cols, Path(path), model, ending_id, ending_label, scores, humans,
                           point if "point" in cols else None)


def compare_columns(cols: Mapping[str, Sequence[Any]], source: Path, model: Any, ending_id: str, ending_label: str,
                    scores: Mapping[str, float], humans: Sequence[str] = (), point: int | None = None) -> BatchComparison:
    """Where this game sits among AI games given as columns (``ending``, ``score.<actor>``)."""
    endings: dict[str, int] = {}
    for e in cols.get("ending", []):
        endings[str(e)] = endings.get(str(e), 0) + 1
    n_end = sum(endings.values())
    same = endings.get(ending_id, 0) + (endings.get(ending_label, 0) if ending_label != ending_id else 0)
    standings, ai_scores = [], {}
    for actor, mine in scores.items():
        xs = _floats(cols.get(f"score.{actor}", []))
        if not len(xs):
            continue
        ai_scores[actor] = xs
        name = model.ruleset.actors[actor].name if actor in model.ruleset.actors else actor
        standings.append(Standing(actor, name, mine, float(np.mean(xs < mine)), float(np.mean(xs == mine)), len(xs),
                                  float(np.median(xs)), actor in humans))
    games = max([n_end, *(len(x) for x in ai_scores.values())])
    if games == 0:
        raise EndgameError(f"{source} holds no AI games of ruleset {model.id!r}")
    return BatchComparison(source, games, same / n_end if n_end else float("nan"), tuple(standings), ai_scores,
                           endings, point)


# --- rendering -------------------------------------------------------------------------------------------

Block = tuple[Any, ...]


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def blocks(aar: AfterAction, charts: Mapping[str, Path], notes: Sequence[str] = ()) -> list[Block]:
    """The report as neutral blocks, rendered to Markdown and HTML alike."""
    from endgame_game.report.text import fmt_num

    m = aar.model
    out: list[Block] = [("h1", f"After-action report: {aar.title}")]
    start, last = m.date_of(1), m.date_of(max(1, len(aar.turns)))
    facts = [f"Ruleset: {m.id} (version {m.meta.version})", f"Seed: {aar.seed}",
             f"Turns played: {len(aar.turns)} ({start:%B %Y} to {last:%B %Y})"]
    if aar.source:
        facts.append(f"Save: {Path(aar.source).name}")
    if aar.meta.get("name"):
        facts.append(f"Game: {aar.meta['name']}")
    for role, who in aar.roles.items():
        nm = m.ruleset.actors[role].name if role in m.ruleset.actors else role
        facts.append(f"{nm}: {'played by people' if who == 'human' else ('AI ' + who if who else 'no agent recorded')}")
    if aar.umpire:
        facts.append(f"Umpire actions: {len(aar.umpire)}")
    out.append(("ul", facts))
    if not aar.verified:
        out.append(("p", "Note: this save came from another platform or build and does not replay identically "
                         "here; the ending and scores are as saved, the curves and timeline are this machine's replay."))
    for n in notes:
        out.append(("p", f"Note: {n}"))

    out.append(("h2", "Ending"))
    if aar.ending_label:
        out.append(("p", f"**{aar.ending_label}** after turn {aar.end_turn} ({m.date_of(aar.end_turn):%B %Y})."))
        if aar.ending_text:
            out.append(("quote", aar.ending_text))
    else:
        out.append(("p", f"No ending yet: the game was saved before turn {aar.game.turn}."))
    if aar.debrief is not None:
        out += debrief_blocks(aar.debrief)
    elif aar.scores:
        rows = []
        for a, s in aar.scores.items():
            nm = m.ruleset.actors[a].name if a in m.ruleset.actors else a
            rows.append([nm, fmt_num(s)])
        out.append(("table", ["Actor", "Score"], rows))

    if aar.batch:
        b = aar.batch
        out.append(("h2", "Compared with AI games"))
        lines = []
        if b.endings:
            lines.append(f"This ending ({aar.ending_label or 'none yet'}) came up in {_pct(b.ending_share)} of "
                         f"{sum(b.endings.values()):,} AI games of {m.id}"
                         + (f" (sweep point {b.point}, as this game)." if b.point is not None else "."))
        solo = sum(sd.human for sd in b.standings) == 1  # hot-seat: no "your" on every row
        for sd in b.standings:
            who = (f"Your {sd.name}" if solo else f"{sd.name} (played by a person)") if sd.human else sd.name
            lines.append(f"{who} did better than {_pct(sd.better_than)} of {sd.games:,} AI games "
                         f"(score {fmt_num(sd.score)}; AI median {fmt_num(sd.median)}).")
        out.append(("ul", lines))
        freq = sorted(b.endings.items(), key=lambda kv: -kv[1])
        labels = {e.id: e.label for e in m.endings}
        out.append(("table", ["Ending in AI games", "Share"],
                    [[labels.get(k, k), _pct(v / max(1, sum(b.endings.values())))] for k, v in freq]))
        if "distribution" in charts:
            out.append(("img", charts["distribution"].name, "Scores of AI games, with this game marked"))

    out.append(("h2", "Resources"))
    if "resources" in charts:
        out.append(("img", charts["resources"].name, "Resources of each actor, turn by turn"))
    rows = []
    for j, name in enumerate(m.symbols.values):
        if name in m.ruleset.tracks:
            continue
        from endgame_game.report.text import target_label

        rows.append([target_label(m, name), fmt_num(float(aar.values[0, j])), fmt_num(float(aar.values[-1, j]))])
    if rows:
        out.append(("table", ["Resource", "Start", "End"], rows))

    out.append(("h2", "Escalation and tracks"))
    if "tracks" in charts:
        out.append(("img", charts["tracks"].name, "Tracks with thresholds and crossings marked"))
    if aar.crossings:
        out.append(("ul", [f"Turn {t} ({m.date_of(t):%B %Y}): {label}" for t, _tid, label in aar.crossings]))
    else:
        out.append(("p", "No threshold was crossed."))

    out.append(("h2", "Timeline"))
    for ts in aar.turns:
        out.append(("h3", f"Turn {ts.turn} — {ts.date}"))
        items = [ln.strip().removeprefix("• ") for ln in ts.lines if ln.strip()]
        out.append(("ul", items or ["Nothing happened."]))
    return out


def debrief_blocks(d: Any) -> list[Block]:
    """Each role's outcome and score term by term (``report.debrief``): scores of different roles
    measure different aims, so they are listed in the ruleset's order, never ranked."""
    from endgame_game.report.debrief import role_table

    head, rows = role_table(d)
    out: list[Block] = [("h2", "How each role fared"), ("table", head, rows)]
    for r in d.roles:
        items = [f"{t.text}: {t.value:+.1f}" for t in r.terms if not (t.conditional and abs(t.value) < 1e-12)]
        out.append(("h3", f"{r.name}: {r.score_label or 'score'}"))
        out.append(("ul", items or ["no terms"]))
    return out


def _md_inline(text: str) -> str:
    return text.replace("\n", " ")


def to_markdown(bl: Sequence[Block]) -> str:
    lines: list[str] = []
    for b in bl:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + _md_inline(b[1]), ""]
        elif kind == "p":
            lines += [b[1], ""]
        elif kind == "quote":
            lines += ["> " + ln if ln else ">" for ln in b[1].splitlines()] + [""]
        elif kind == "ul":
            lines += ["- " + _md_inline(x) for x in b[1]] + [""]
        elif kind == "table":
            def cell(x: Any) -> str:
                return _md_inline(str(x)).replace("|", "\\|")
            lines.append("| " + " | ".join(cell(h) for h in b[1]) + " |")
            lines.append("|" + "|".join("---" for _ in b[1]) + "|")
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in b[2]]
            lines.append("")
        elif kind == "img":
            lines += [f"![{b[2]}]({b[1]})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _html_inline(text: str) -> str:
    import re

    t = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}blockquote{border-left:4px solid #999;margin:0;padding:.2rem 1rem;color:#444}
h3{margin-bottom:.2rem}@media print{img{page-break-inside:avoid}}"""


def to_html(bl: Sequence[Block], title: str) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"]
    for b in bl:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{_html_inline(b[1])}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{_html_inline(b[1])}</p>")
        elif kind == "quote":
            parts.append("<blockquote>" + "".join(f"<p>{_html_inline(p)}</p>" for p in b[1].split("\n\n")) + "</blockquote>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_html_inline(x)}</li>" for x in b[1]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{_html_inline(str(h))}</th>" for h in b[1])
            body = "".join("<tr>" + "".join(f"<td>{_html_inline(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "img":
            parts.append(f'<figure><img src="{html.escape(b[1])}" alt="{html.escape(b[2])}"><figcaption>'
                         f"{html.escape(b[2])}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(source: Any, out: str | Path = "report", *, batch: str | Path | None = None, game: int = 0,
                 charts: bool = True, agents: Mapping[str, str] | None = None,
                 meta: Mapping[str, Any] | None = None, ai_games: int = 0) -> ReportFiles:
    """Write ``report.md``, ``report.html`` and the PNG charts to the folder ``out``.

    Without matplotlib the text report is still written, and ``notes`` says how to get the charts.
    ``ai_games`` as in ``build`` (the app and ``endgame report`` both pass ``debrief.AI_GAMES``).
    """
    aar = build(source, batch=batch, game=game, agents=agents, meta=meta, ai_games=ai_games)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EndgameError(f"cannot create {out}: {e.strerror or e}") from None
    notes: list[str] = []
    made: dict[str, Path] = {}
    if charts:
        try:
            from endgame_game.report.charts import draw_all
        except ImportError:
            notes.append(CHARTS_HINT)
        else:
            try:
                made = draw_all(aar, out)
            except ImportError:
                notes.append(CHARTS_HINT)
    if batch is None and ai_games > 0 and aar.batch is not None:
        from endgame_game.report.debrief import play_ai_games, write_columns

        # The AI games compared with, as batch results: ``endgame report SAVE --batch ai-games.csv`` reads them back.
        write_columns(play_ai_games(aar.model, ai_games), out / "ai-games.csv")
    bl = blocks(aar, made, notes)
    md = out / "report.md"
    ht = out / "report.html"
    try:
        md.write_text(to_markdown(bl), encoding="utf-8")
        ht.write_text(to_html(bl, f"After-action report: {aar.title}"), encoding="utf-8")
    except OSError as e:
        raise EndgameError(f"cannot write the report to {out}: {e.strerror or e}") from None
    return ReportFiles(md, ht, tuple(made.values()), tuple(notes))
