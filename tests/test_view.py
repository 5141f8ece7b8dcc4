"""What the app shows about moves, computed without Textual."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_RULESETS


def test_effects_described_for_players():
    from endgame_game.engine import new_game
    from endgame_game.report.text import readable_formula
    from endgame_game.tui import view

    assert readable_formula("-uniform(0.5, 1.5)") == "-1.5 to -0.5"
    assert readable_formula("uniform(2, 5) * 2") == "2 to 5 * 2"
    assert readable_formula("normal(10, 2)") == "10 ± 2"
    assert readable_formula("chance(0.3)") == "30 % chance"
    g = new_game(str(TEST_RULESETS / "mini.toml"), seed=1)
    by_id = {mv.id: mv for mv in view.moves(g, "red")}
    assert by_id["attack"].effects == "Blue men -15 to -5; Escalation +0.5"
    assert by_id["talks"].effects.startswith("to Blue; if accepted: ")
    # A deterministic amount is worked out now (on what the actor knows, its observation).
    blue = {mv.id: mv for mv in view.moves(g, "blue")}
    assert blue["dig_in"].effects == "Blue men +3"


def test_reasons_read_as_labels_not_ids():
    from endgame_game.engine import CompiledModel
    from endgame_game.report.text import readable_condition

    m = CompiledModel.load(TEST_RULESETS / "mechanisms.toml")
    assert readable_condition(m, "heat >= 1 and not flags.treaty") == "Heat ≥ 1 and not treaty"
    assert readable_condition(m, "a.gold != 3 or pending.treaty") == "A gold ≠ 3 or “Three-way treaty” awaiting an answer"
    assert readable_condition(m, "taken.spend >= 2") == "“Spend 4 gold” taken ≥ 2"


def test_a_random_amount_that_depends_on_the_state_is_shown_as_a_worked_out_range():
    import numpy as np

    from endgame_game.engine import CompiledModel, Game, new_game
    from endgame_game.report.text import sampled_range
    from endgame_game.tui import view

    g = new_game("endgame-2024", seed=3)
    strike = {mv.id: mv for mv in view.moves(g, "moscow")}["grid_strikes"]
    # "-1.6 to -0.6 * (1.2 - kyiv.air_defence / 100)" is worked out on Moscow's estimate of Kyiv's air defence.
    assert "kyiv.air_defence" not in strike.effects and "Kyiv power generation (GW) about -" in strike.effects
    # The range covers what the engine really draws: 400 games' real amounts on the true state.
    model = CompiledModel.load("endgame-2024")
    m = next(m for m in model.moves if m.id == "grid_strikes")
    eff = next(e for e in m.effects if model.symbols.values[e.index] == "kyiv.grid")
    batch = Game(model, seed=3, games=np.arange(400, dtype=np.uint64))
    real = np.asarray(eff.fn(batch.state), dtype=float)
    lo, hi = sampled_range(eff.fn, batch.state, "uniform")
    slack = 0.02 * (hi - lo)
    assert real.std() > 0 and lo - slack <= real.min() and real.max() <= hi + slack


def test_an_amount_worked_out_from_an_estimate_is_marked(tmp_path):
    """Red sees Blue's men only as an estimate, so "Red ammo + blue.men / 10" is shown as ≈ on it."""
    from endgame_game.engine import new_game
    from endgame_game.tui import view

    variant = tmp_path / "v.toml"
    variant.write_text(f'extends = "{(TEST_RULESETS / "mini.toml").as_posix()}"\n'
                       '[ruleset]\nid = "v"\ntitle = "v"\n'
                       '[[moves]]\nid = "scout"\nactor = "red"\nlabel = "Scout"\nphase = "operations"\n'
                       'effects = [{ target = "red.ammo", add = "blue.men / 10" }, { target = "red.men", add = "2" }]\n',
                       encoding="utf-8")
    g = new_game(str(variant), seed=1)
    scout = {mv.id: mv for mv in view.moves(g, "red")}["scout"]
    seen = g.observe("red").values[0, g.model.value_index["blue.men"]]
    assert scout.effects == f"Red ammo ≈ {seen / 10:+.3g}; Red men +2"


def test_short_labels_stand_in_where_the_label_would_be_cut():
    from endgame_game.engine import new_game
    from endgame_game.tui import view

    g = new_game("endgame-2024", seed=1)
    rows = {r.target: r for r in view.own_rows(g, "kyiv")}
    strikes = rows["kyiv.missiles"]
    assert strikes.label == "Long-range strike capacity" and strikes.short == "Strikes"
    assert strikes.label_for(40) == "Long-range strike capacity" and strikes.label_for(12) == "Strikes"
    assert rows["kyiv.manpower"].label_for(5) == "Manpower"  # no short label: the label, to be cut
    tracks = {t.target: t for t in view.tracks(g)}
    assert tracks["territory"].label_for(20) == "Ground taken"


def _strip(node):
    """A parsed expression without source columns (to compare trees)."""
    import attrs

    if isinstance(node, tuple):
        return tuple(_strip(x) for x in node)
    if not attrs.has(type(node)):
        return node
    return attrs.evolve(node, **{f.name: (0 if f.name == "col" else _strip(getattr(node, f.name)))
                                 for f in attrs.fields(type(node)) if f.init})


def test_expressions_print_from_the_tree_with_only_the_parentheses_needed():
    from endgame_game.report.text import show_expr
    from endgame_game.rules import expr

    cases = {"(a.x + b.x) * track": "(a.x + b.x) * track", "a.x - (b.x - 1)": "a.x - (b.x - 1)",
             "(a.x - b.x) - 1": "a.x - b.x - 1", "-(a.x + 1)": "-(a.x + 1)", "(-a.x) ** 2": "(-a.x) ** 2",
             "-(a.x ** 2)": "-a.x ** 2", "(a.x * 2) ** 2": "(a.x * 2) ** 2",
             "a.x if (flags.f and not flags.g) else 0.25": "a.x if flags.f and not flags.g else 0.25",
             "max(a.x,1)+min( b.x , 2 )": "max(a.x, 1) + min(b.x, 2)"}
    for text, shown in cases.items():
        assert show_expr(expr.parse(text)) == shown


@settings(max_examples=200)
@given(data=st.data())
def test_a_printed_expression_parses_back_to_the_same_tree(data):
    from endgame_game.report.text import show_expr
    from endgame_game.rules import expr
    from tests.strategies import expressions

    num, boolean = expressions()
    text = data.draw(st.one_of(num, boolean))
    tree = expr.parse(text)
    assert _strip(expr.parse(show_expr(tree))) == _strip(tree), show_expr(tree)
