"""What the app shows about moves, computed without Textual."""

from __future__ import annotations

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
