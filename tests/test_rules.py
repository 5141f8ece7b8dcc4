"""Loading rulesets: strict schema, variants, overrides, precise errors, never a foreign exception."""

from __future__ import annotations

import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endgame_game.errors import RulesetError
from endgame_game.rules import check_file, load_ruleset
from endgame_game.rules.lines import find_line
from tests.conftest import ROOT, TEST_RULESETS


def test_ten_mistakes_ten_messages_in_one_run():
    checked = check_file(TEST_RULESETS / "ten_mistakes.toml")
    errors = checked.errors
    got = {(e.path, e.line) for e in errors}
    assert len(errors) == 10, "\n".join(map(str, errors))
    expected_paths = {
        "extends", "ruleset.max_turns", "params.growth.value", "moves[0].actor", "moves[1].costt", "moves[1].requires",
        "moves[2].label", "flows[0].phase", "flows[1].add", "endings[0].when",
    }
    assert {p for p, _ in got} == expected_paths
    by_path = {e.path: e for e in errors}
    assert "cycle" in by_path["extends"].message
    assert by_path["moves[0].actor"].hint == "did you mean 'red'?"
    assert by_path["moves[1].costt"].hint == "did you mean 'cost'?"
    assert "did you mean 'red.men'?" in by_path["flows[1].add"].hint
    assert by_path["flows[0].phase"].line == 46 and by_path["ruleset.max_turns"].line == 8
    assert all(e.file.endswith("ten_mistakes.toml") for e in errors)


def test_check_cli_exit_codes_and_no_traceback():
    bad = subprocess.run([sys.executable, "-m", "endgame_game", "check", str(TEST_RULESETS / "ten_mistakes.toml")],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr and bad.stderr.count(": error: ") == 10
    good = subprocess.run([sys.executable, "-m", "endgame_game", "check", str(TEST_RULESETS / "mini.toml")],
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr


def test_variant_merges_by_id_and_removes():
    base = load_ruleset(TEST_RULESETS / "mini.toml").ruleset
    v = load_ruleset(TEST_RULESETS / "mini_variant.toml").ruleset
    assert v.ruleset.id == "mini-variant" and v.ruleset.max_turns == base.ruleset.max_turns
    assert v.params["growth"].value == 2.0 and v.params["growth"].max == 20.0
    dig = next(m for m in v.moves if m.id == "dig_in")
    assert dig.label == "Dig in deeper" and dig.actor == "blue" and dig.requires == "blue.men > 50"
    assert [m.id for m in v.moves] == [m.id for m in base.moves]
    assert [e.id for e in v.events] == []
    assert [e.id for e in v.endings] == ["peace", "rout", "horizon", "exhaustion"]


def test_unknown_base_is_an_error(tmp_path: Path):
    f = tmp_path / "v.toml"
    f.write_text('extends = "no-such-ruleset"\n[ruleset]\nid = "v"\n')
    with pytest.raises(RulesetError) as e:
        load_ruleset(f)
    assert any(i.path == "extends" and "no ruleset" in i.message for i in e.value.issues)


def test_set_overrides_params_and_checks_range():
    c = load_ruleset(TEST_RULESETS / "mini.toml", {"params.growth": "7.5", "ruleset.max_turns": "9"})
    assert c.ruleset.params["growth"].value == 7.5 and c.ruleset.ruleset.max_turns == 9
    with pytest.raises(RulesetError) as e:
        load_ruleset(TEST_RULESETS / "mini.toml", {"params.growth": "99"})
    assert "outside its own range" in str(e.value)
    with pytest.raises(RulesetError) as e:
        load_ruleset(TEST_RULESETS / "mini.toml", {"params.grwoth": "1"})
    assert "did you mean 'growth'" in str(e.value.issues[0])
    with pytest.raises(RulesetError):
        load_ruleset(TEST_RULESETS / "mini.toml", {"params.growth": "lots"})


def test_strict_types_no_silent_coercion(tmp_path: Path):
    text = (TEST_RULESETS / "mini.toml").read_text()
    text = text.replace("action_points = 2", "action_points = 1.9").replace('label = "Attack"', "label = 3")
    f = tmp_path / "m.toml"
    f.write_text(text)
    errors = {i.path: i.message for i in check_file(f).errors}
    assert "whole number" in errors["actors.red.action_points"]
    assert "expected text" in errors["moves[0].label"]


def test_semantic_warnings(tmp_path: Path):
    c = check_file(TEST_RULESETS / "mini.toml")
    assert not c.errors
    assert any("'escalation' has no moves" in w.message for w in c.warnings)
    text = (TEST_RULESETS / "mini.toml").read_text().replace('requires = "blue.men > 50"', 'requires = "blue.men > 50 and not flags.frozen"')
    text = text.replace("talks = false", "talks = false\nfrozen = false")
    f = tmp_path / "m.toml"
    f.write_text(text)
    assert any("flags.frozen is never set" in w.message for w in check_file(f).warnings)


def test_find_line():
    text = (TEST_RULESETS / "mini.toml").read_text()
    lines = text.splitlines()
    n = find_line(text, "moves[1].requires")
    assert n is not None and "requires" in lines[n - 1] and "blue.men > 50" in lines[n - 1]
    n = find_line(text, "params.growth.max")
    assert n is not None and lines[n - 1].startswith("max = 20")
    assert find_line(text, "moves[99].label") is None


VALID = (TEST_RULESETS / "mini.toml").read_text()


@given(st.data())
def test_random_mutations_give_only_ruleset_errors(tmp_path_factory, data):
    """Byte flips, deletions and key mutations of a valid ruleset: RulesetError or success, nothing else."""
    text = VALID
    kind = data.draw(st.sampled_from(["flip", "delete", "truncate", "key", "value", "line"]))
    rnd = random.Random(data.draw(st.integers(0, 2**32)))
    if kind == "flip":
        b = bytearray(text.encode())
        for _ in range(rnd.randint(1, 5)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        raw = bytes(b)
    elif kind == "delete":
        i = rnd.randrange(len(text))
        raw = (text[:i] + text[i + rnd.randint(1, 40):]).encode()
    elif kind == "truncate":
        raw = text[: rnd.randrange(len(text))].encode()
    elif kind == "line":
        lines = text.splitlines()
        del lines[rnd.randrange(len(lines))]
        raw = "\n".join(lines).encode()
    else:
        data_ = tomllib.loads(text)
        junk = data.draw(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=8), st.booleans(),
                                   st.lists(st.integers(), max_size=2), st.just({})))
        target = rnd.choice(["ruleset", "actors", "resources", "moves", "flows", "endings", "scores", "params"])
        node = data_[target]
        if isinstance(node, list):
            node = rnd.choice(node)
        key = rnd.choice(list(node))
        if kind == "key":
            node[key + "x"] = node.pop(key)
        else:
            node[key] = junk
        import tomli_w

        raw = tomli_w.dumps(data_).encode()
    f = tmp_path_factory.mktemp("mut") / "m.toml"
    f.write_bytes(raw)
    try:
        load_ruleset(f)
    except RulesetError as e:
        assert e.issues and all(i.message for i in e.issues)


def test_builtin_rulesets_found_from_any_folder(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "endgame_game", "rulesets"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0
    shipped = sorted(p.stem for p in (ROOT / "rulesets").glob("*.toml"))
    for stem in shipped:
        data = tomllib.loads((ROOT / "rulesets" / f"{stem}.toml").read_text())
        assert data["ruleset"]["id"] in out.stdout


def test_shipped_rulesets_check_clean():
    for f in sorted((ROOT / "rulesets").glob("*.toml")):
        assert not check_file(f).errors, f
