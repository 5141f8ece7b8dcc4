"""Locating issues in a ruleset: one index of the text, not a scan per issue (issue 18, item 5), and the
right line for the k-th entry of an inline array (item 9)."""

from __future__ import annotations

import time
from pathlib import Path

from endgame_game.rules import check_file, check_texts
from endgame_game.rules import lines as lines_mod
from endgame_game.rules.lines import find_line

MINI = Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml"


def _big(n: int) -> str:
    """mini with ``n`` unknown keys in one table and ``n`` actors with bad ids (two issues each)."""
    text = MINI.read_text()
    junk = "".join(f"junk_key_{i} = {i}\n" for i in range(n))
    actors = "".join(f'[actors."{i}bad"]\nname = "A{i}"\naction_points = 99\n' for i in range(n))
    return text.replace("[sources.test]\n", "[sources.test]\n" + junk, 1) + actors


def test_many_issues_are_located_from_one_index_of_the_text(monkeypatch):
    """Counted, not timed: the text is split into lines once per file however many issues there are."""
    text = _big(300)
    splits = 0
    real = lines_mod.LineIndex.__init__

    def counting(self, t):
        nonlocal splits
        splits += 1
        real(self, t)

    monkeypatch.setattr(lines_mod.LineIndex, "__init__", counting)
    lines_mod.index_of.cache_clear()
    checked = check_texts([("big.toml", text)])
    assert len(checked.issues) >= 900  # 300 unknown keys, and per actor a bad id and a bad action_points
    assert splits <= 2, splits
    by_path = {i.path: i for i in checked.issues}
    lines = text.splitlines()
    i = by_path["sources.test.junk_key_299"]
    assert i.line is not None and lines[i.line - 1].startswith("junk_key_299 =")
    i = by_path['actors.299bad.action_points']
    assert i.line is not None and lines[i.line - 1] == "action_points = 99"
    assert lines[i.line - 3] == '[actors."299bad"]'


def test_ten_thousand_actors_and_unknown_keys_check_in_bounded_time(tmp_path):
    """The audit's 10,000 actors took more than 120 s; linear work takes a few seconds even on a loaded machine.
    The bound is generous on purpose (it is a hang detector, not a benchmark: see bench/)."""
    f = tmp_path / "big.toml"
    f.write_text(_big(10_000))
    t0 = time.perf_counter()
    checked = check_file(f)
    took = time.perf_counter() - t0
    assert len(checked.errors) >= 30_000
    assert took < 100, f"check took {took:.0f} s"


def test_later_effects_of_an_inline_array_get_their_own_line():
    text = (
        '[[moves]]\nid = "a"\neffects = [\n'
        '  { target = "x", add = "1" },\n'
        '  { target = "y", add = "2" },\n'
        '  { target = "z", add = "3" },\n'
        ']\n'
        '[[moves]]\nid = "b"\neffects = [{ target = "p", add = "1" }, { target = "q", add = "2" }]\n'
        'on_accept = [\n  {target = "r", set = "true"},\n  {target = "s", set = "false"},\n]\n'
    )
    lines = text.splitlines()

    def at(path: str) -> str:
        n = find_line(text, path)
        assert n is not None, path
        return lines[n - 1]

    assert '"x"' in at("moves[0].effects[0].target")
    assert '"y"' in at("moves[0].effects[1].target")
    assert '"z"' in at("moves[0].effects[2].add")
    assert at("moves[0].effects[2]").strip().startswith('{ target = "z"')
    assert '"q"' in at("moves[1].effects[1].target")  # the same line: right, if not more precise
    assert '"s"' in at("moves[1].on_accept[1].target")
    assert find_line(text, "moves[0].effects[3].target") is not None  # past the end: the array's line at least


def test_nested_arrays_of_tables_by_index():
    text = (
        '[[events]]\nid = "e0"\n[[events.effects]]\ntarget = "a"\n[[events.effects]]\ntarget = "b"\n'
        '[[events]]\nid = "e1"\n[[events.effects]]\ntarget = "c"\n'
    )
    lines = text.splitlines()
    n = find_line(text, "events[0].effects[1].target")
    assert n is not None and lines[n - 1] == 'target = "b"'
    n = find_line(text, "events[1].effects[0].target")
    assert n is not None and lines[n - 1] == 'target = "c"'


def test_mini_lines_still_found():
    text = MINI.read_text()
    lines = text.splitlines()
    n = find_line(text, "moves[0].effects[1].add")
    assert n is not None and '"escalation"' in lines[n - 1]
    n = find_line(text, "resources.men.initial.blue")
    assert n is not None and lines[n - 1].startswith("initial = ")
    n = find_line(text, "ruleset.max_turns")
    assert n is not None and lines[n - 1] == "max_turns = 6"
    assert find_line(text, "nothing.here") is None
