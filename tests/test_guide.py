"""The guided first game as data (``rulesets/guides/RULESET.toml``, ``tui.guide``): found beside the
ruleset or its base, checked against the ruleset with the project's error style, rendered with the
role's own view (others' values as estimates), and shown by the app on the game screen and the report."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from endgame_game.ai import make_agents
from endgame_game.cli import main
from endgame_game.engine.api import new_game
from endgame_game.errors import RulesetError
from endgame_game.report import stakes
from endgame_game.tui import guide, view
from endgame_game.tui.app import make_app
from endgame_game.tui.screens.game import GameScreen
from endgame_game.tui.screens.turn_report import TurnReportScreen
from endgame_game.tui.session import Session
from tests.conftest import ROOT
from tests.test_tui_helpers import settle

SMALL = (80, 24)
ROLES = ("moscow", "kyiv", "washington", "brussels")


# --- the data --------------------------------------------------------------------------------------------


def test_the_scenario_and_its_variants_find_the_shipped_guide():
    base = ROOT / "rulesets" / "guides" / "endgame-2024.toml"
    for ref in ("endgame-2024", "endgame-2024-essay", "endgame-2024-critics", "endgame-2024-harsh-winter"):
        model = new_game(ref).model
        assert guide.find_guide(model) == base, ref  # a variant reads its base's guide
        g = guide.load_guide(model)
        assert g is not None and g.turns == 4
        assert {r for s in g.steps for r in s.roles} == set(ROLES)
    assert guide.load_guide(new_game("tutorial").model) is None


def test_every_step_fits_beside_the_orders_at_80x24():
    """The guide box is 6 lines of 37 characters at 80×24 (the orders pane): every role's text, every
    turn, with the values of a real game (what the orders did included), fits it."""
    game = new_game("endgame-2024", seed=3)
    agents = make_agents(game.model, {})
    seen = 0
    for turn in range(1, 5):
        assert game.turn == turn
        for role in ROLES:
            text, point = guide.text_for(game, role)
            assert text.startswith(f"Guide {turn}/4 · ") and point in guide.POINTS
            assert "{" not in text and "}" not in text
            lines = textwrap.wrap(text, 37)
            assert len(lines) <= 6, (role, turn, lines)
            seen += 1
        game.play(agents, turns=1)
        for role in ROLES:
            report = guide.text_for(game, role, "report", turn)
            if turn == 1:
                assert report[0].startswith("Guide · ") and len(textwrap.wrap(report[0], 76)) <= 4
    assert seen == 16 and guide.text_for(game, "kyiv") == ("", "")  # turn 5: the guide has finished


def test_values_are_rendered_as_the_role_knows_them():
    game = new_game("endgame-2024", seed=3)
    kyiv, _ = guide.text_for(game, "kyiv")
    deficit = stakes.evaluate(game.model, guide.load_guide(game.model).nodes["deficit"], game.state,
                              game.observe("kyiv").exact)
    assert deficit[1] and f"Grid deficit {stakes.fmt(deficit[0])} GW" in kyiv  # its own grid: exact
    assert "Manpower 880k, 60k above the line's floor" in kyiv and "≈" not in kyiv
    wash, _ = guide.text_for(game, "washington")
    obs = game.observe("washington")
    j = game.model.value_index["kyiv.manpower"]
    est = view.estimate(float(obs.values[0, j]), float(obs.spread[0, j]))
    assert f"manpower {est} k troops" in wash and "grid deficit ≈ " in wash  # an estimate, with its spread
    assert est != "≈ 880"


def test_a_step_with_a_condition_shows_only_while_it_holds():
    """Kyiv's third turn: the grid first when the deficit is within 1.5 GW of the break, else the inbox."""
    game = new_game("endgame-2024", seed=3)
    game.play(make_agents(game.model, {}), turns=2)
    brk = game.model.ruleset.params["grid_break_gw"].value
    for deficit, starts in ((brk - 1.0, "Guide 3/4 · Grid deficit "), (brk - 3.0, "Guide 3/4 · Proposals to you")):
        now = stakes.evaluate(game.model, guide.load_guide(game.model).nodes["deficit"], game.state,
                              game.observe("kyiv").exact)[0]
        game.adjust("kyiv.grid", game.value("kyiv.grid") + now - deficit, "test: the deficit")
        text, point = guide.text_for(game, "kyiv")
        assert text.startswith(starts) and len(textwrap.wrap(text, 37)) <= 6, text
        assert point == ("breaking" if deficit > brk - 1.5 else "inbox")
    assert guide.text_for(game, "moscow")[0].startswith("Guide 3/4 · Proposals to you")  # not Kyiv's step


def test_a_role_without_its_own_step_reads_the_common_one():
    g = guide.load_guide(new_game("endgame-2024").model)
    calm = lambda s: False  # noqa: E731 - Kyiv's grid is not close to breaking
    assert [s.index for s in g.steps_for(3, "kyiv", holds=calm)] == [s.index for s in g.steps_for(3, "moscow")]
    assert all(not s.roles for s in g.steps_for(3, "kyiv", holds=calm))
    assert all("kyiv" in s.roles for s in g.steps_for(1, "kyiv"))


def test_a_ruleset_without_a_guide_keeps_the_generic_text():
    game = new_game("tutorial", seed=1)
    tip = view.guide_tip(game, "north", ["grain"])
    assert tip.text.startswith("Guide 1/4 · Top left: your breaking points (grain)") and tip.point == "breaking"
    assert not tip.error and view.guide_report(game, "north", 1) == ""


# --- a bad guide file -------------------------------------------------------------------------------------

BAD = """\
[guide]
ruleset = "tutorial"

[[steps]]
turn = 1
role = "nroth"
text = "Your grain: {north.grian} sacks."

[[steps]]
turn = 2
point = "inbx"
txt = "typo"
"""


def _tutorial_with_guide(tmp_path, text):
    tmp_path.mkdir(exist_ok=True)
    shutil.copy(ROOT / "rulesets" / "tutorial.toml", tmp_path / "valleys.toml")  # the guide is named after the file
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "valleys.toml").write_text(text, "utf-8")
    return tmp_path / "valleys.toml"


def test_a_bad_guide_file_says_where_and_what(tmp_path):
    path = _tutorial_with_guide(tmp_path, BAD)
    with pytest.raises(RulesetError) as e:
        guide.parse_guide(BAD, "g.toml")
    got = [str(i) for i in e.value.issues]
    assert "g.toml:12: error: steps[1].txt: unknown key 'txt' (did you mean 'text'?)" in got
    assert any(x.startswith("g.toml:11: error: steps[1].point: no part of the screen called 'inbx'")
               and "did you mean 'inbox'?" in x for x in got)
    assert "g.toml:9: error: steps[1]: missing text" in got
    fixed = BAD.replace("txt", "text").replace("inbx", "inbox")
    (tmp_path / "guides" / "valleys.toml").write_text(fixed, "utf-8")
    model = new_game(path).model
    with pytest.raises(RulesetError) as e:
        guide.load_guide(model)
    where = str(tmp_path / "guides" / "valleys.toml")
    got = [str(i) for i in e.value.issues]
    assert f"{where}:6: error: steps[0].role: no playable role 'nroth' in ruleset 'tutorial' (did you mean 'north'?)" in got
    assert any(x.startswith(f"{where}:7: error: steps[0].text: {{north.grian}}: unknown name 'north.grian'")
               and "did you mean 'north.grain'?" in x for x in got), got
    # The app shows the generic guide and says what is wrong; the command line refuses to start.
    tip = view.guide_tip(new_game(path, seed=1), "north")
    assert tip.text.startswith("Guide 1/4") and "nroth" in tip.error


def test_the_command_line_reports_a_bad_guide_before_the_app(tmp_path, capsys):
    path = _tutorial_with_guide(tmp_path, BAD.replace("txt", "text").replace("inbx", "inbox"))
    assert main(["play", str(path), "--as", "north", "--guided", "--saves", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "guides/valleys.toml:6: error: steps[0].role: no playable role 'nroth'" in err
    assert main(["play", str(path), "--as", "north", "--saves", str(tmp_path / "s")]) == 2  # unguided: no terminal


def test_endgame_check_checks_the_guide_too(tmp_path, capsys):
    assert main(["check", "endgame-2024", "endgame-2024-essay"]) == 0  # the shipped guide is clean
    path = _tutorial_with_guide(tmp_path, BAD.replace("txt", "text").replace("inbx", "inbox"))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "guides/valleys.toml:6: error: steps[0].role: no playable role 'nroth'" in err


def test_braces_and_specials_are_checked(tmp_path):
    bad_when = guide.parse_guide('[guide]\nruleset = "tutorial"\n[[steps]]\nturn = 1\nwhen = "north.grain"\ntext = "x"\n')
    with pytest.raises(RulesetError, match=r"steps\[0\]\.when: needs a condition"):
        guide.check_guide(bad_when, new_game("tutorial").model)
    text = '[guide]\nruleset = "tutorial"\n\n[[steps]]\nturn = 1\ntext = "a { b {@dud} {{literal}} {}"\n'
    with pytest.raises(RulesetError) as e:
        guide.parse_guide(text, "g.toml")
    msgs = [i.message for i in e.value.issues]
    assert any("a lone '{'" in m for m in msgs) and any("an empty {}" in m for m in msgs)
    ok = guide.parse_guide(text.replace("a { b ", "").replace(" {}", ""), "g.toml")
    with pytest.raises(RulesetError) as e:
        guide.check_guide(ok, new_game("tutorial").model, text)
    (issue,) = e.value.issues
    assert "unknown {@dud}" in issue.message and issue.hint == "did you mean '@did'?"
    ok = guide.parse_guide('[guide]\nruleset = "tutorial"\n[[steps]]\nturn = 1\ntext = "{{x}} {north.grain}"\n')
    game = new_game("tutorial", seed=1)
    checked = guide.check_guide(ok, game.model)
    assert guide.render(checked, game, "north", checked.steps) == "{x} 8"


# --- in the app -------------------------------------------------------------------------------------------


async def _to_game(pilot, app):
    for _ in range(6):
        if isinstance(app.screen, GameScreen):
            return app.screen
        await pilot.press("enter")
        await settle(pilot, app)
    assert isinstance(app.screen, GameScreen)
    return app.screen


def _text(widget) -> str:
    return str(widget.render())


async def test_kyiv_guided_first_game_points_at_the_panel_the_report_the_inbox(tmp_path):
    app = make_app("endgame-2024", ["kyiv"], seed=3, saves_dir=tmp_path, animate=False, guided=True)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        tip = _text(gs.query_one("#guide"))
        assert tip.startswith("Guide 1/4 · Top left: your breaking points. Grid deficit ") and "floor" in tip
        assert gs.query_one("#breaking").has_class("guide-point")
        assert gs.add_order("counterattack")
        await pilot.press("e", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, TurnReportScreen)
        report = _text(app.screen.query_one("#report-guide"))
        assert report.startswith("Guide · “What your orders did” lists their effects on others")
        assert "deficit now reads" in report
        assert "  What your orders did:" in app.screen.lines  # the section it points at is there
        gs = await _to_game(pilot, app)
        assert _text(gs.query_one("#guide")).startswith("Guide 2/4 · Winter peak")
        assert gs.query_one("#right").get_tab("tab-news").has_class("guide-point")
        assert not gs.query_one("#breaking").has_class("guide-point")
        await pilot.press("e", "y")
        await settle(pilot, app)
        gs = await _to_game(pilot, app)
        tip = _text(gs.query_one("#guide"))
        assert "Inbox (i)" in tip
        if tip.startswith("Guide 3/4 · Grid deficit "):  # close to breaking (seed 3 in a cold February): the grid first
            assert gs.query_one("#breaking").has_class("guide-point")
        else:
            assert gs.query_one("#right").get_tab("tab-inbox").has_class("guide-point")


async def test_washington_reads_what_its_aid_did(tmp_path):
    app = make_app("endgame-2024", ["washington"], seed=3, saves_dir=tmp_path, animate=False, guided=True)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        tip = _text(gs.query_one("#guide"))
        assert tip.startswith("Guide 1/4 · Kyiv as your intelligence reads it: manpower ≈ ")
        assert gs.add_order("pda_package")
        await pilot.press("e", "y")
        await settle(pilot, app)
        assert isinstance(app.screen, TurnReportScreen)
        did = view.consequences(app.session.game, "washington", 1)
        assert did and did[0].startswith("Drawdown")
        report = _text(app.screen.query_one("#report-guide"))
        assert report.startswith("Guide · “What your orders did” lists what your aid did")
        assert f"    {did[0]}" in app.screen.lines
        gs = await _to_game(pilot, app)
        tip = _text(gs.query_one("#guide"))
        assert tip.startswith("Guide 2/4 · The new administration is you now (b). Your aid last turn: Drawdown")
        assert "Kyiv shell stocks (k shells) +" in tip  # what the aid did to Kyiv, not only what it cost


async def test_a_bad_guide_stops_a_guided_start_with_its_lines(tmp_path):
    path = _tutorial_with_guide(tmp_path, BAD.replace("txt", "text").replace("inbx", "inbox"))
    app = make_app(str(path), ["north"], seed=1, saves_dir=tmp_path / "s", animate=False, guided=True)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        assert app.session is None  # back on the title screen
        (note,) = [n for n in app._notifications if n.title == "Cannot start that game"]  # noqa: SLF001
        assert "steps[0].role: no playable role 'nroth'" in note.message


async def test_a_loaded_guided_save_reads_its_guide_and_plays_on_when_it_went_bad(tmp_path, monkeypatch):
    """A save knows its ruleset by file name: the guide is looked for where rulesets are found (here
    ./rulesets); a guide file that went bad since shows the generic text and says what is wrong."""
    monkeypatch.chdir(tmp_path)
    path = _tutorial_with_guide(tmp_path / "rulesets", '[guide]\nruleset = "tutorial"\n[[steps]]\nturn = 1\ntext = "Hi {north.grain}"\n')
    s = Session.new(str(path), ["north"], seed=1, saves_dir=tmp_path / "s")
    s.guided = True
    save = s.save(tmp_path / "g.toml")
    app = make_app(load=str(save), saves_dir=tmp_path / "s", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        assert _text(gs.query_one("#guide")) == "Guide 1/1 · Hi 8"
    (tmp_path / "rulesets" / "guides" / "valleys.toml").write_text(BAD, "utf-8")
    app = make_app(load=str(save), saves_dir=tmp_path / "s", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        gs = await _to_game(pilot, app)
        assert _text(gs.query_one("#guide")).startswith("Guide 1/4 · Top left: your breaking points")
        await pilot.pause()
        assert any("guide file has errors" in (n.title or "") for n in app._notifications)  # noqa: SLF001


async def test_a_file_named_like_a_built_in_ruleset_gets_its_own_title_entry(tmp_path):
    """``endgame play ./copy/tutorial.toml``: the title screen lists the copy beside the built-in one (the
    two had the same id, which crashed the scenario list)."""
    from textual.widgets import OptionList

    shutil.copy(ROOT / "rulesets" / "tutorial.toml", tmp_path / "tutorial.toml")
    app = make_app(str(tmp_path / "tutorial.toml"), saves_dir=tmp_path / "s", animate=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        ids = [app.screen.query_one("#scenario-list", OptionList).get_option_at_index(i).id
               for i in range(app.screen.query_one("#scenario-list", OptionList).option_count)]
        assert ids[0] == str(tmp_path / "tutorial.toml") and "tutorial" in ids[1:]
        assert app.screen.current.path == tmp_path / "tutorial.toml"
