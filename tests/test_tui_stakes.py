"""The game on screen: stakes and endings, move details, history, the explained ending, the title
screen, units and the guided game; the data behind them (``report.stakes``, ``report.debrief``) pinned
against the engine's own numbers."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from textual.containers import VerticalScroll
from textual.widgets import Select

from endgame_game.ai import make_agents
from endgame_game.cli import main
from endgame_game.engine.api import new_game
from endgame_game.report import debrief as db
from endgame_game.report import stakes
from endgame_game.report.text import bounded, unit_for
from endgame_game.tui import view
from endgame_game.tui.app import EndgameApp, make_app, write_report
from endgame_game.tui.screens.details import MoveDetailsScreen
from endgame_game.tui.screens.ending import EndingScreen
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.history import HistoryScreen
from endgame_game.tui.screens.stakes import StakesScreen
from endgame_game.tui.screens.title import TitleScreen
from endgame_game.tui.session import Session
from tests.test_tui_helpers import mini_app, screen_text, settle

SMALL = (80, 24)


@pytest.fixture(scope="module")
def played():
    """An AI game of endgame-2024 played to its end (seed 3)."""
    g = new_game("endgame-2024", seed=3)
    g.play(make_agents(g.model, {}))
    assert g.done
    return g


def plain(widget) -> str:
    """A Static's content as plain text (wide, so nothing wraps)."""
    from rich.console import Console

    console = Console(width=400, record=True, file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the console
    console.print(widget.content)
    return console.export_text()


def _derived(g, name):
    from endgame_game.rules.expr import parse

    return stakes._value(g.model, parse(name), g.state)  # noqa: SLF001 - the same evaluator, on one name


# --- report.stakes --------------------------------------------------------------------------------------


def test_grid_ending_reads_the_deficit_and_its_break_point():
    g = new_game("endgame-2024", seed=1)
    deficit = _derived(g, "deficit")
    brk = g.model.ruleset.params["grid_break_gw"].value
    grid = next(s for s in stakes.endings(g, "kyiv") if s.id == "collapse_grid")
    (gauge,) = grid.gauges
    assert gauge.label == "Deficit" and gauge.unit == "GW" and gauge.op == ">="
    assert gauge.value == pytest.approx(deficit) and gauge.limit == pytest.approx(brk)
    assert gauge.distance == pytest.approx(brk - deficit) and gauge.exact  # Kyiv knows its own grid
    assert gauge.text == f"Deficit {stakes.fmt(deficit)} GW (at ≥ {stakes.fmt(brk)} GW: {stakes.fmt(brk - deficit)} GW to go)"
    assert grid.outcome == "loss" and not grid.met
    by_id = {s.id: s for s in stakes.endings(g, "kyiv")}
    assert by_id["kremlin_breaks"].outcome == "win" and by_id["armistice"].outcome == "draw"


def test_what_the_viewer_only_estimates_is_marked():
    g = new_game("endgame-2024", seed=1)
    line = next(s for s in stakes.endings(g, "washington") if s.id == "collapse_manpower")
    (gauge,) = line.gauges
    assert not gauge.exact and "≈" in gauge.text
    obs = g.observe("washington")
    assert gauge.value == pytest.approx(float(obs.values[0, g.model.value_index["kyiv.manpower"]]))
    assert next(s for s in stakes.endings(g, "kyiv") if s.id == "collapse_manpower").gauges[0].exact


def test_key_gauges_leave_out_parts_of_an_and():
    g = new_game("endgame-2024", seed=1)
    labels = [x.label for x in stakes.key_gauges(g, "kyiv")]
    # Moscow's manpower is one part of the German-model ending, not a breaking point on its own.
    assert "Moscow manpower" not in labels and {"Deficit", "Kyiv manpower"} <= set(labels)


def test_compound_endings_keep_their_and_or_structure():
    from rich.console import Console

    from endgame_game.tui.widgets.stakes_panel import endings_text

    g = new_game("endgame-2024", seed=1)
    by_id = {s.id: s for s in stakes.endings(g, "kyiv")}
    tree = by_id["german_model"].tree  # flags.occ_german and (manpower < floor or deficit >= break) and moscow ...
    assert tree.kind == "all" and [p.kind for p in tree.parts] == ["check", "any", "gauge"]
    inner = tree.parts[1]
    assert [p.gauge.label for p in inner.parts] == ["Kyiv manpower", "Deficit"] and not inner.met
    assert tree.met == all(p.met for p in tree.parts) and tree.met_count == sum(p.met for p in tree.parts)
    kremlin = by_id["kremlin_breaks"].tree  # a or (b and c)
    assert kremlin.kind == "any" and [p.kind for p in kremlin.parts] == ["gauge", "all"]
    assert by_id["collapse_grid"].tree.kind == "gauge" and by_id["horizon"].tree is None
    terms = by_id["russia_imposes_terms"].tree.parts[1]  # a negotiation's terms in words, not raw ids
    assert [p.check.label for p in terms.parts] == [
        "term “The line”: the four oblasts' administrative borders (Moscow's demand of June 2024)",
        "term “NATO”: never: permanent neutrality"]
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the console
    console.print(endings_text(list(by_id.values()), "Kyiv"))
    lines = [ln.rstrip() for ln in console.export_text().splitlines()]
    at = lines.index("LOSS Occupation on the German-1945 model")
    n = tree.met_count
    assert lines[at + 1] == f"     all of these ({n} of 3 hold now):"
    assert lines[at + 2].startswith("       ☐ ")  # the flag, one level in
    assert lines[at + 3] == "       ☐ any one of these (none holds now):"
    deficit = inner.parts[1].gauge
    assert lines[at + 5] == f"         ☐ {deficit.text}"  # each part with its value and distance, two levels in
    at = lines.index("LOSS Ukraine's grid collapses in winter")
    assert lines[at + 1] == f"     {deficit.text}"  # a single comparison reads as before


def test_score_terms_add_up_to_the_score(played):
    g = played
    for a in g.model.scores:
        role = g.model.actors[a]
        _, total, terms = stakes.score_terms(g, role, None)
        assert total == pytest.approx(float(g.state.scores[0, a]), abs=1e-9), role
        assert any(t.conditional for t in terms)
    ending = g.model.endings[int(g.state.ending[0])]
    _, _, terms = stakes.score_terms(g, "kyiv", None)
    bonus = [t for t in terms if t.conditional and t.value != 0]
    assert all(ending.label in t.text for t in bonus)


def test_outcome_if_agrees_with_the_engine_at_the_end(played):
    g = played
    idx = int(g.state.ending[0])
    for role in g.model.outcome_rules:
        assert stakes.outcome_if(g.model, g.state, role, idx) == stakes.outcome_of(g, role) != ""
    reached = [s for s in stakes.endings(g, None, "kyiv") if s.reached]
    assert [s.id for s in reached] == [g.model.endings[idx].id]


# --- report.debrief ---------------------------------------------------------------------------------------


def test_ai_games_are_the_batch_runners_games(tmp_path):
    from endgame_game.batch.runner import run

    model = new_game("endgame-2024").model
    ai = db.play_ai_games(model, 300)
    run(model, 300, seed=0, workers=1, out=tmp_path / "b.csv", default_agent="mixed")
    rows = list(csv.DictReader((tmp_path / "b.csv").open()))
    assert [r["ending"] for r in rows] == list(ai.endings)
    assert np.allclose([float(r["score.kyiv"]) for r in rows], ai.scores["kyiv"])
    assert [r["outcome.moscow"] for r in rows] == list(ai.outcomes["moscow"])
    assert db.play_ai_games(model, 300) is ai  # cached: the ending screen and the report share one run


def test_debrief_sets_each_role_against_its_own_ai_games(played):
    g = played
    ai = db.play_ai_games(g.model, 500)
    d = db.debrief(g, ["kyiv"], {"moscow": "doctrine:hawk"}, ai)
    assert d.ending_id == g.model.endings[int(g.state.ending[0])].id
    roles = {r.role: r for r in d.roles}
    k = roles["kyiv"]
    xs = ai.scores["kyiv"]
    assert k.better_than == pytest.approx(np.mean(xs < k.score)) and k.played_by == "player"
    assert roles["moscow"].played_by == "AI: Hawk (doctrine)" and roles["washington"].played_by == "AI"
    assert k.outcome == stakes.outcome_of(g, "kyiv")
    text = "\n".join(db.lines(d))
    assert "better than" in text and "you" not in text.lower().split()
    hot = db.debrief(g, ["kyiv", "moscow"], {}, ai)
    assert [r.played_by for r in hot.roles if r.human] == ["player 2", "player 1"]


def test_the_cli_report_and_the_app_report_are_the_same(played, tmp_path):
    from endgame_game.saves import save_game

    save = tmp_path / "g.toml"
    save_game(played, save, meta={"humans": ["kyiv"]})
    assert main(["report", str(save), "--out", str(tmp_path / "cli"), "--no-charts"]) == 0
    msg = write_report(save)
    assert "written" in msg, msg
    cli = (tmp_path / "cli" / "report.md").read_text("utf-8")
    app = (tmp_path / "g-report" / "report.md").read_text("utf-8")
    section = cli[cli.index("## How each role fared"):cli.index("## Resources")]
    assert section in app and "better than" in section and "Compared with AI games" in section
    assert (tmp_path / "g-report" / "ai-games.csv").exists()


# --- units and trends ------------------------------------------------------------------------------------


def test_units_per_owner_and_bounded_values():
    assert unit_for("bn ($ / EUR)", "washington", ["washington", "brussels"]) == "$ bn"
    assert unit_for("bn ($ / EUR)", "brussels", ["washington", "brussels"]) == "€ bn"
    assert unit_for("k troops", "kyiv", ["moscow", "kyiv"]) == "k troops"
    assert bounded("58", "0-100") == ("58/100", "")
    assert bounded("50", "0-100 readiness") == ("50/100", "readiness")
    assert bounded("4", "salvos / strike packages") == ("4", "salvos / strike packages")
    g = new_game("endgame-2024", seed=1)
    rows = {r.target: r for r in view.own_rows(g, "kyiv")}
    assert rows["kyiv.will"].text.endswith("/100") and rows["kyiv.air_defence"].unit == "readiness"
    assert {r.target: r.unit for r in view.own_rows(g, "brussels")}["brussels.budget"] == "€ bn"


def test_a_small_wobble_does_not_draw_as_a_collapse():
    assert len(set(view.spark([100, 100.5, 99.6, 100.2]))) <= 2
    assert view.spark([0, 100], lo=0, hi=100) == "▁█"
    assert view.spark([40, 41], lo=0, hi=100) == "▄▄"


# --- screens -----------------------------------------------------------------------------------------------


def kyiv_app(tmp_path, **kw):
    return make_app("endgame-2024", ["kyiv"], seed=3, saves_dir=tmp_path, animate=False, **kw)


async def _to_game(pilot, app):
    for _ in range(6):
        if isinstance(app.screen, GameScreen):
            return app.screen
        await pilot.press("enter")
        await settle(pilot, app)
    assert isinstance(app.screen, GameScreen)
    return app.screen


async def test_dashboard_shows_breaking_points_and_the_endings_panel(tmp_path):
    app = kyiv_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await _to_game(pilot, app)
        text = screen_text(app)
        assert "Breaking points" in text and "Deficit" in text and "to go" in text
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, StakesScreen)
        body = plain(app.screen.query_one("#stakes-text"))
        for label in ("Ukraine's grid collapses in winter", "Deficit", "LOSS", "WIN", "DRAW", "Score:",
                      "Kyiv political will / 5"):
            assert label in body, label
        assert app.screen.query_one("#stakes-body").has_focus
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)


async def test_a_move_in_full_by_keyboard_and_ordered_from_there(tmp_path):
    app = kyiv_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        move = gs.highlighted_move()
        mv = gs._moves[move]  # noqa: SLF001 - the view the screen shows
        await pilot.press("tab")
        assert app.focused is gs.query_one("#move-detail-scroll", VerticalScroll)
        await pilot.press("shift+tab")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, MoveDetailsScreen)
        body = plain(app.screen.query_one("#details-text"))
        for part in mv.effects.split("; "):
            assert part in body  # every effect, none cut
        await pilot.press("o")
        await settle(pilot, app)
        assert isinstance(app.screen, GameScreen) and app.session.game.orders_of("kyiv") == [move]


async def test_history_after_a_turn(tmp_path):
    app = kyiv_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        gs.add_order(gs.highlighted_move())
        await pilot.press("e", "y")
        await settle(pilot, app)
        gs = await _to_game(pilot, app)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        body = plain(app.screen.query_one("#history-text"))
        assert "Last turn against now" in body and "Manpower (k troops)" in body and "turn 1: 880" in body


async def test_turn_report_says_what_your_orders_did(tmp_path):
    app = kyiv_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        # Ground to take back whatever Moscow's AI does this turn (ground taken cannot fall below 0).
        app.session.game.adjust("territory", 2, "test: ground to retake")
        assert gs.add_order("counterattack")
        await pilot.press("e", "y")
        await settle(pilot, app)
        game = app.session.game
        lines = view.role_turn_report(game, 1, "kyiv")
        did = view.consequences(game, "kyiv", 1)
        (line,) = [x for x in did if x.startswith("Local counter-attack: ")]
        assert "Ground taken by Russia since December 2024 -" in line  # a public track: exact
        assert lines[1] == "  What your orders did:" and f"    {line}" in lines


async def test_guided_game_points_the_way_then_stops(tmp_path):
    app = kyiv_app(tmp_path, guided=True)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        guide = plain(gs.query_one("#guide"))
        assert guide.startswith("Guide 1/4") and "breaking points" in guide and "deficit" in guide
        for _ in range(4):
            await pilot.press("e", "y")
            await settle(pilot, app)
            gs = await _to_game(pilot, app)
        assert app.session.game.turn == 5 and not gs.query_one("#guide").display
        assert app.session.meta()["guided"] is True


async def test_ending_explains_outcomes_and_the_standing(tmp_path):
    app = mini_app(("red",), tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        for _ in range(6):
            if isinstance(app.screen, GameScreen):
                break
            await pilot.press("enter")
            await settle(pilot, app)
        app.session.game.adjust("flags.talks", 1, "test: peace")
        await pilot.press("e", "y")
        await settle(pilot, app)
        for _ in range(3):
            if isinstance(app.screen, EndingScreen):
                break
            await pilot.press("enter")
            await settle(pilot, app)
        assert isinstance(app.screen, EndingScreen)
        await app.workers.wait_for_complete()
        await settle(pilot, app)
        d = app.screen.debrief
        assert d.ai_games == db.AI_GAMES and all(r.percentile for r in d.roles)
        roles = plain(app.screen.query_one("#ending-roles"))
        assert "Red (player)" in roles and "Blue (AI: " in roles and "better than" in roles
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, StakesScreen) and "◀ reached" in plain(app.screen.query_one("#stakes-text"))


async def test_hotseat_ending_has_no_you_on_every_row(tmp_path):
    game = new_game("endgame-2024", seed=3)
    game.play(make_agents(game.model, {}))
    session = Session(game, ["kyiv", "moscow"], saves_dir=None)
    app = EndgameApp(session=session, saves_dir=None, animate=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(4):
            if isinstance(app.screen, EndingScreen):
                break
            await pilot.press("enter")
            await settle(pilot, app)
        assert isinstance(app.screen, EndingScreen)
        await app.workers.wait_for_complete()
        await settle(pilot, app)
        text = screen_text(app)
        assert "(player 1)" in text and "(player 2)" in text and " you" not in text


async def test_title_focus_order_labels_and_description(tmp_path):
    app = make_app(seed=7, saves_dir=tmp_path, animate=False)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)
        assert app.focused is app.screen.query_one("#role-list")
        await pilot.press("tab")
        assert isinstance(app.focused, Select) and (app.focused.id or "").startswith("agent-")
        who = plain(app.screen.query_one("#you-play"))
        assert "You play: Moscow" in who and "AI plays: Kyiv" in who
        labels = [str(p) for p, _ in app.focused._options]  # noqa: SLF001 - the options on offer
        assert labels and all(lb.split(" · ")[0] in ("easy", "normal", "hard", "expert") for lb in labels)
        info = plain(app.screen.query_one("#scenario-info"))
        assert info and info[:20] in app.screen.current.description


async def test_title_roles_say_whose_they_are(tmp_path):
    """A ticked role reads "— you play", an unticked one "— AI: <agent>", kept in step with the ticks and
    the opponents' choices (the tick box alone looks alike in many terminals); focus starts on the roles."""
    from textual.widgets import SelectionList

    app = make_app(seed=7, saves_dir=tmp_path, animate=False)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        roles = app.screen.query_one("#role-list", SelectionList)
        assert app.focused is roles

        def prompts() -> list[str]:
            return [str(roles.get_option_at_index(i).prompt) for i in range(roles.option_count)]

        first = prompts()
        assert first[0].startswith("Moscow — you play · ") and first[1].startswith("Kyiv — AI: Mixed (normal) · ")
        await pilot.press("down", "space")  # tick Kyiv too: hot-seat
        await settle(pilot, app)
        assert prompts()[1].startswith("Kyiv — you play") and "AI" in prompts()[2]
        await pilot.press("up", "space")  # untick Moscow
        await settle(pilot, app)
        assert prompts()[0].startswith("Moscow — AI: ")
        sel = app.screen.query_one("#agent-moscow", Select)
        hawk = next(v for _, v in sel._options if v == "doctrine:hawk")  # noqa: SLF001 - the options on offer
        sel.value = hawk
        await settle(pilot, app)
        assert prompts()[0].startswith("Moscow — AI: Hawk (normal) · ")
        await pilot.press("tab")
        assert app.focused is sel  # from the roles, Tab goes to the first opponent


def test_load_list_says_who_played_whom(tmp_path):
    s = Session.new("endgame-2024", ["kyiv"], {"moscow": "doctrine:hawk"}, seed=1, saves_dir=tmp_path)
    path = s.save(tmp_path / "mine.toml")
    from endgame_game.saves import save_info

    line = view.save_line(save_info(path))
    assert line.startswith("mine.toml · ") and "you: Kyiv vs Moscow (hawk)" in line and "turn 1" in line
