"""A corpus of hostile expressions, each placed in every kind of expression slot of a ruleset. The
allow-list's promises: nothing outside the language is accepted (no attribute of an object, no call but
the listed functions, no import, no dunder, no lambda, no string); nothing hangs or overflows the stack;
NaN and infinity are refused where they are written, or reported with the key path where they arise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError, EvaluationError
from endgame_game.rules import check_texts

MINI = (Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml").read_text()

# Never part of the language: each must be refused by check in any slot.
REFUSED = [
    "__import__('os').system('true')", "().__class__.__bases__[0].__subclasses__()", "red.men.__class__",
    "open('/etc/passwd')", "eval('1')", "exec('x=1')", "getattr(red, 'men')", "globals()", "locals()",
    "vars()", "compile('1', '', 'eval')", "lambda: 1", "(lambda x: x)(1)", "[x for x in range(9)]",
    "{1: 2}", "{1, 2}", "(1, 2)", "[1]", "'text'", "b'bytes'", "f'{red.men}'", "red.men[0]", "red['men']",
    "(x := 1)", "*red.men", "await red", "yield 1", "red.men if True", "1 if", "import os", "red.men; 1",
    "max(*[1])", "min(key=1)", "abs()", "clip(1, 2)", "chance()", "print(1)", "type(1)",
    "_private", "red._men", "red.men.real", "1j", "1 << 2", "~1", "1 & 2", "1 | 2", "1 ^ 2", "1 @ 2",
    "red.men is 1", "1 in red", "not", "", "   ", "(" * 60 + "1" + ")" * 60, "-" * 2000 + "1",
    " + ".join(["1"] * 300), "x" * 1001, "ｔｕｒｎ > 1", "tu\u200brn", "1e999", "-1e999", "1e309 * 0",
    "red.men ** 1e999", "red.men ** 0.5", "red.men ** red.men", "red.men ** 5", "2 ** 99999",
    "99999999999999999999999999", "nan", "inf", "float('nan')", "math.inf", "red.men ** -1e999",
]
# In the language, producing NaN or infinity at run time when the values make them so.
RUNTIME = ["sqrt(0 - 1)", "log(0)", "0 / 0", "1 / 0", "exp(1000)", "1 // 0", "1 % 0", "log(0) - log(0)",
           "exp(exp(10))", "red.men / (red.men - red.men)"]

# (slot key path, the expression's type, how the text is placed into mini)
SLOTS = {
    "flows[0].add": ('add = "params.growth"', 'add = "{}"'),
    "moves[1].requires": ('requires = "blue.men > 50"', 'requires = "({}) > 0"'),
    "events[0].chance": ('chance = "0.5"', 'chance = "{}"'),
    "scores.blue.value": ('value = "blue.men - red.men"', 'value = "{}"'),
    "derived.winter.value": ('value = "month == 12 or month <= 2"', 'value = "({}) > 0"'),
    "endings[1].when": ('when = "blue.men < 40"', 'when = "({}) > 1e6"'),
    "resources.men.initial.blue": ('blue = "80 + params.growth"', 'blue = "{}"'),
}


def _place(slot: str, text: str) -> str:
    old, new = SLOTS[slot]
    assert old in MINI, old
    esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return MINI.replace(old, new.replace("{}", esc), 1)


@pytest.mark.parametrize("slot", sorted(SLOTS))
def test_hostile_expressions_are_refused_in_every_slot(slot):
    for text in REFUSED:
        checked = check_texts([("x.toml", _place(slot, text))])
        errs = [i for i in checked.errors if i.path == slot or i.path.startswith(slot.rsplit(".", 1)[0])]
        assert errs, f"{text!r} was accepted in {slot}"
        assert all(i.line for i in errs), errs
    for text in (t for t in REFUSED if "__" in t or "import" in t or "open" in t):
        assert not any("Traceback" in i.message for i in check_texts([("x.toml", _place(slot, text))]).errors)


@pytest.mark.parametrize("slot", ["flows[0].add", "scores.blue.value", "resources.men.initial.blue"])
@pytest.mark.parametrize("text", RUNTIME)
def test_nan_and_inf_at_run_time_are_reported_with_the_key_path(slot, text):
    """A formula that gives NaN or infinity where it is applied stops the game with an EvaluationError
    naming its key path (never a silent NaN in the state, never a traceback)."""
    checked = check_texts([("x.toml", _place(slot, text))])
    assert not checked.errors, checked.errors
    model = CompiledModel(checked, "x.toml", {})
    try:
        g = Game(model, seed=3)
        for _ in range(3):
            g.step()
    except EvaluationError as e:
        assert re.escape(slot) and slot in str(e), str(e)
        return
    except EndgameError as e:  # pragma: no cover - any other project error would be a finding
        pytest.fail(f"{text!r} in {slot}: {type(e).__name__}: {e}")
    values = g.state.values
    assert (values == values).all() and abs(values).max() < float("inf"), f"{text!r} in {slot} left NaN/inf in the state"


@pytest.mark.parametrize("text", ["0 / 0", "sqrt(0 - 1)", "log(0) - log(0)"])
def test_a_nan_chance_is_reported_not_read_as_never(text):
    """An event's chance that gives NaN would compare false (the event silently never fires): it is
    reported with the key path instead."""
    checked = check_texts([("x.toml", _place("events[0].chance", text))])
    assert not checked.errors, checked.errors
    g = Game(CompiledModel(checked, "x.toml", {}), seed=3)
    with pytest.raises(EvaluationError, match=re.escape("events[0].chance")):
        for _ in range(3):
            g.step()
