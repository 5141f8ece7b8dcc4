"""Ruleset content and --set values that used to end in a traceback, an accepted NaN or a crash mid-game
now end in the project's RulesetError naming the key path (and the line where there is one): issue 18,
items 2 (check's share), 6, 7 and 9."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from endgame_game.errors import RulesetError
from endgame_game.rules import check_file, check_texts, load_ruleset, parse_assignments

TEST_RULESETS = Path(__file__).resolve().parents[1] / "rulesets"
MINI = TEST_RULESETS / "mini.toml"
MINI_TEXT = MINI.read_text()
check_mod = importlib.import_module("endgame_game.rules.check")  # the module (rules.check is the function)


def _errors(text: str, overrides: dict[str, str] | None = None, name: str = "x.toml"):
    """Every error of a ruleset text, as a RulesetError raised or returned by check."""
    try:
        checked = check_texts([(name, text)], overrides)
    except RulesetError as e:
        return e.issues
    return checked.errors


def _variant(tmp_path: Path, body: str) -> Path:
    shutil.copy(MINI, tmp_path / "mini.toml")
    f = tmp_path / "v.toml"
    f.write_text('extends = "mini.toml"\n[ruleset]\nid = "v"\ntitle = "V"\n' + body)
    return f


# --- item 6: --set -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400", "-1e999", "infinity"])
def test_set_param_to_a_non_finite_number_is_refused_by_name(value):
    with pytest.raises(RulesetError) as e:
        load_ruleset(MINI, parse_assignments([f"params.growth={value}"]))
    assert "params.growth" in str(e.value) and "finite" in str(e.value)


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "-inf", "2.5", "0", "1e30"])
def test_set_max_turns_to_a_non_finite_or_huge_number_is_refused_by_name(value):
    with pytest.raises(RulesetError) as e:
        load_ruleset(MINI, parse_assignments([f"ruleset.max_turns={value}"]))
    assert "ruleset.max_turns" in str(e.value)


def test_set_on_a_scalar_param_is_a_ruleset_error():
    text = MINI_TEXT.replace("[params.growth]\nvalue = 5.0\nmin = 0.0\nmax = 20.0\nsource = \"test\"\n",
                             "[params]\ngrowth = 5.0\n")
    errs = _errors(text, {"params.growth": "3"})
    assert errs and any("params.growth" in i.path for i in errs)


@pytest.mark.parametrize("cmd", [["check"], ["simulate", "--turns", "1"]])
@pytest.mark.parametrize("setting", ["params.growth=nan", "ruleset.max_turns=inf", "ruleset.max_turns=1e400"])
def test_set_on_the_command_line_names_the_set_without_a_traceback(cmd, setting):
    out = subprocess.run([sys.executable, "-m", "endgame_game", cmd[0], str(MINI), *cmd[1:], "--set", setting],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr, out.stderr
    assert setting.split("=")[0] in out.stderr + out.stdout


# --- item 7: tracebacks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    '[[moves]]\nid = ["dig_in"]\nlabel = "x"\n',
    '[[moves]]\nid = { a = 1 }\nlabel = "x"\n',
    '[remove]\nevents = [["storm"]]\n',
    '[remove]\nevents = [{ id = "storm" }]\n',
    '[remove]\nmoves = "dig_in"\n',
])
def test_unhashable_ids_and_remove_entries_in_a_variant(tmp_path, body):
    f = _variant(tmp_path, body)
    with pytest.raises(RulesetError) as e:
        load_ruleset(f)
    assert all(i.path for i in e.value.issues), e.value.issues


@pytest.mark.parametrize("expr", ["red.men ** 1e999", "red.men ** -1e999", "red.men ** 1e308", "2 ** 1e999",
                                  "red.men + 1e999", "red.men * -1e400"])
def test_huge_exponents_and_infinite_constants_are_refused(expr):
    text = MINI_TEXT.replace('value = "blue.men - red.men"', f'value = "{expr}"')
    errs = _errors(text)
    assert any(i.path == "scores.blue.value" and i.line for i in errs), errs


def test_far_future_start_is_refused():
    for start in ("9999-12-01", "9999-08-01"):
        errs = _errors(MINI_TEXT.replace("start = 2024-12-01", f"start = {start}"))
        assert any(i.path == "ruleset.start" and i.line for i in errs), (start, errs)
    assert not _errors(MINI_TEXT.replace("start = 2024-12-01", "start = 2999-01-01"))


@pytest.mark.parametrize("expires", ["4611686018427387904", "2147483648", "100000"])
def test_huge_expires_is_refused(expires):
    text = MINI_TEXT.replace('kind = "proposal"\n', f'kind = "proposal"\nexpires = {expires}\n')
    errs = _errors(text)
    assert any(i.path == "moves[2].expires" and i.line for i in errs), errs


@pytest.mark.parametrize("depth", [200, 600, 5000])
def test_deeply_nested_toml_is_a_ruleset_error(depth):
    text = MINI_TEXT + "[ruleset_extra]\nx = " + "[" * depth + "]" * depth + "\n"
    errs = _errors(text)
    assert errs and all(isinstance(i.message, str) for i in errs)


def test_deeply_nested_tables_are_a_ruleset_error():
    text = MINI_TEXT + "[" + ".".join(f"t{i}" for i in range(400)) + "]\nx = 1\n"
    errs = _errors(text)
    assert errs


@pytest.mark.parametrize("ref", ["a" * 5000, "x/" * 3000 + "y.toml", "a\x00b"], ids=["long", "deep", "nul"])
def test_a_very_long_or_odd_extends_is_a_ruleset_error(tmp_path, ref):
    f = tmp_path / "v.toml"
    f.write_text(f'extends = "{ref.replace(chr(0), chr(92) + "u0000")}"\n' + MINI_TEXT)
    try:
        checked = check_file(f)
        issues = checked.errors
    except RulesetError as e:
        issues = e.issues
    assert any(i.path == "extends" for i in issues), issues


def test_a_very_long_ruleset_name_on_the_command_line():
    out = subprocess.run([sys.executable, "-m", "endgame_game", "check", "r" * 5000], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr


# --- item 2 (check's share) and reverse chains ----------------------------------------------------------------


def _chain(n: int, reverse: bool = False, width: int = 1) -> str:
    """``n`` derived values each reading the previous one ``width`` times."""
    lines = []
    for i in range(n):
        j = i + 1 if reverse else i - 1
        ref = f"d{j}" if 0 <= j < n else "red.men"
        lines.append(f'[derived.d{i}]\nvalue = "{" + ".join([ref] * width)}"\n')
    return MINI_TEXT + "".join(lines)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_a_long_derived_chain_is_refused_by_check_with_its_limit(reverse):
    n = check_mod.MAX_DERIVED_DEPTH + 1
    errs = _errors(_chain(max(n, 400), reverse))
    hit = [i for i in errs if "derived" in i.path and str(check_mod.MAX_DERIVED_DEPTH) in i.message]
    assert hit and hit[0].line, errs


def test_a_chain_within_the_limit_checks_clean():
    assert not _errors(_chain(check_mod.MAX_DERIVED_DEPTH))


def test_the_inlining_bomb_is_refused_by_check():
    """Each derived value reads the previous one twice: 2**40 nodes once inlined, from 2 KB of text."""
    errs = _errors(_chain(40, width=2))
    hit = [i for i in errs if i.path.startswith("derived.") and "parts" in i.message]
    assert hit and hit[0].line, errs
    assert str(check_mod.MAX_INLINED_NODES) in hit[0].message


def test_what_check_accepts_compiles():
    """The largest chain check accepts compiles and evaluates (no RecursionError)."""
    from endgame_game.engine import CompiledModel

    model = CompiledModel.from_texts([("x.toml", _chain(check_mod.MAX_DERIVED_DEPTH))]) \
        if hasattr(CompiledModel, "from_texts") else None
    if model is None:
        checked = check_texts([("x.toml", _chain(check_mod.MAX_DERIVED_DEPTH))])
        model = CompiledModel(checked, "x.toml", {})
    g = model.new_state(batch=2)
    assert g.batch == 2


# --- item 9: identifiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "path"), [
    ('value = "month == 12 or month <= 2"', 'value = "ｍｏｎｔｈ == 12"', "derived.winter.value"),
    ('add = "params.growth"', 'add = "params.ｇｒｏｗｔｈ"', "flows[0].add"),
    ('[actors.blue]', '[actors."blüe"]', "actors.blüe"),
])
def test_non_ascii_identifiers_are_refused_clearly(old, new, path):
    errs = _errors(MINI_TEXT.replace(old, new, 1))
    hit = [i for i in errs if i.path == path]
    assert hit and "ASCII" in hit[0].message, errs


def test_an_initial_value_error_names_its_key_path():
    errs = _errors(MINI_TEXT.replace('initial = { red = 100, blue = "80 + params.growth" }',
                                     'initial = { red = 100, blue = "80 + nope" }'))
    hit = [i for i in errs if i.path == "resources.men.initial.blue"]
    assert hit and hit[0].line and "nope" in hit[0].message


def test_doctrine_rule_errors_have_lines():
    text = MINI_TEXT + ('[doctrines.red.zealot]\nlabel = "Hawk"\nrules = [\n  { move = "attack", weight = 1 },\n'
                        '  { move = "atack", weight = 2, when = "nope > 1" },\n]\n')
    errs = _errors(text)
    lines = text.split("\n")
    for path in ("doctrines.red.zealot.rules[1].move", "doctrines.red.zealot.rules[1].when"):
        hit = [i for i in errs if i.path == path]
        assert hit and hit[0].line and '"atack"' in lines[hit[0].line - 1], (path, errs)


def test_many_slots_reading_a_big_derived_value_are_bounded_in_total():
    """Each use is within the per-expression limit, but together they would compile to millions of parts."""
    big = "max(" + ", ".join(["turn"] * 120) + ")"
    uses = "".join('[[flows]]\nphase = "production"\ntarget = "red.ammo"\nadd = "big + big + big + big"\n' for _ in range(500))
    text = MINI_TEXT + f'[derived.big]\nvalue = "{big}"\n' + uses
    errs = _errors(text)
    hit = [i for i in errs if str(check_mod.MAX_TOTAL_INLINED) in i.message]
    assert len(hit) == 1 and hit[0].path.startswith("flows[") and hit[0].line, errs


@pytest.mark.parametrize(("old", "new", "path"), [
    ("value = 5.0\nmin = 0.0", "value = nan\nmin = 0.0", "params.growth.value"),
    ("max = 20.0", "max = inf", "params.growth.max"),
    ("max = 500", "max = -inf", "resources.men.max"),
    ("at = 2", "at = nan", "thresholds[0].at"),
    ("weight = 3", "weight = inf", "doctrines.red.hawk.rules[0].weight"),
    ('chance = "0.5"', "chance = nan", "events[0].chance"),
    ('cost = { "red.ammo" = 10 }', 'cost = { "red.ammo" = -1e999 }', "moves[0].cost.red.ammo"),
    ('initial = { red = 30 }', 'initial = { red = inf }', "resources.ammo.initial.red"),
])
def test_nan_and_inf_numbers_are_refused_with_their_key_path(old, new, path):
    assert old in MINI_TEXT
    errs = _errors(MINI_TEXT.replace(old, new, 1))
    hit = [i for i in errs if i.path == path]
    assert hit and hit[0].line, errs


def test_a_cost_that_evaluates_to_nan_is_named_when_it_is_paid():
    from endgame_game.engine import CompiledModel, Game
    from endgame_game.errors import EvaluationError

    text = MINI_TEXT.replace('cost = { "red.ammo" = 10 }', 'cost = { "red.ammo" = "-exp(1000)" }')
    checked = check_texts([("x.toml", text)])
    assert not checked.errors
    g = Game(CompiledModel(checked, "x.toml", {}), seed=1)
    with pytest.raises(EvaluationError, match=r"attack.*cost.*red\.ammo"):
        g.set_orders("red", ["attack"])
        g.step()


def test_an_initial_value_that_evaluates_to_nan_names_its_key_path():
    from endgame_game.engine import CompiledModel
    from endgame_game.errors import EvaluationError

    text = MINI_TEXT.replace("initial = { red = 30 }", 'initial = { red = "log(0) - log(0)" }')
    checked = check_texts([("x.toml", text)])
    with pytest.raises(EvaluationError, match=r"resources\.ammo\.initial\.red"):
        CompiledModel(checked, "x.toml", {}).new_state()
