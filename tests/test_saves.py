"""Saves: round trips (byte-identical), load-and-continue, rewind, autosave rotation, the load screen,
migrations, version refusal, tamper detection."""

from __future__ import annotations

import shutil
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import Adjust, CompiledModel, Game, Inject
from endgame_game.errors import SaveError
from endgame_game.saves import (
    FORMAT_VERSION,
    SaveWarning,
    autosave,
    latest_autosave,
    list_saves,
    load_game,
    read_save,
    replay_save,
    save_game,
)
from endgame_game.saves.format import body_hash, canonical

HERE = Path(__file__).resolve().parent
MINI = HERE / "rulesets" / "mini.toml"
TUTORIAL = HERE.parent / "rulesets" / "tutorial.toml"
DATA = HERE / "data"
WHEN = "2026-11-24T12:00:00Z"


@pytest.fixture(scope="module")
def mini() -> CompiledModel:
    return CompiledModel.load(MINI)


def play(model: CompiledModel, seed: int, turns: int, spec: str = "doctrine", umpire: bool = False,
         batch: int = 1) -> tuple[Game, dict[str, str]]:
    """A game played ``turns`` turns by AI agents, with umpire actions sprinkled in if asked."""
    g = Game(model, seed=seed, batch=batch)
    agents = make_agents(model, {}, default=spec)
    specs = {a: getattr(ag, "spec", "?") for a, ag in agents.items()}
    for t in range(turns):
        if g.done:
            break
        if umpire and t % 2 == 1:
            name = model.symbols.values[t % len(model.symbols.values)]
            g.adjust(name, float(g.value(name)) * 0.9, f"umpire ruling on turn {g.turn}")
            if model.events:
                g.inject(model.events[0].id, "injected by the umpire")
            g.pause("discussion")
        play_turn(g, agents)
    return g, specs


def rewrite(path: Path, change) -> None:
    """Edit a save's data and re-hash it (a deliberate, consistent edit)."""
    doc = tomllib.loads(path.read_text("utf-8"))
    change(doc)
    doc["body_sha256"] = body_hash(doc)
    path.write_text(tomli_w.dumps(doc, multiline_strings=True), "utf-8")


# --- round trips ---------------------------------------------------------------------------------------

meta_values = st.recursive(
    st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**63 - 1), st.booleans(),
              st.floats(allow_nan=False, allow_infinity=True)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)),
    max_leaves=8,
)


@given(seed=st.one_of(st.integers(0, 2**64 + 5), st.integers(-(2**70), 2**70)), turns=st.integers(0, 6),
       spec=st.sampled_from(["doctrine", "random"]), umpire=st.booleans(), batch=st.sampled_from([1, 3]),
       pending=st.booleans(), reason=st.text(max_size=30), meta=st.dictionaries(st.text(min_size=1, max_size=8), meta_values, max_size=4))
def test_save_load_save_is_byte_identical(tmp_path_factory, seed, turns, spec, umpire, batch, pending, reason, meta):
    model = CompiledModel.load(MINI)
    g, specs = play(model, seed, turns, spec, umpire, batch)
    if not g.done:
        g.note(reason or "x")
        if pending:  # orders given but the turn not resolved; per game, only where legal
            mask = g.legal_mask("blue")
            mask[:, [m.slot for m in model.moves if m.id != "dig_in"]] = False
            g.set_orders("blue", mask)
    d = tmp_path_factory.mktemp("rt")
    p1 = save_game(g, d / "a.toml", agents=specs, meta=meta, saved_at=WHEN)
    loaded = load_game(p1)
    assert loaded.meta == meta and loaded.agents == specs
    p2 = save_game(loaded.game, d / "b.toml", agents=loaded.agents, meta=loaded.meta, saved_at=WHEN)
    assert p1.read_bytes() == p2.read_bytes()
    assert loaded.game.state.checksum() == g.state.checksum()
    assert loaded.game.orders_of("blue") == g.orders_of("blue")


@pytest.mark.parametrize("ruleset", [MINI, TUTORIAL], ids=["mini", "tutorial"])
@pytest.mark.parametrize("stop", [0, 1, 3])
def test_load_then_continue_equals_never_saving(tmp_path, ruleset, stop):
    model = CompiledModel.load(ruleset)
    spec = "random"
    a, specs = play(model, 5 + stop, stop, spec, umpire=True)
    path = save_game(a, tmp_path / "mid.toml", agents=specs)
    b = load_game(path).game
    agents = make_agents(model, {}, default=spec)
    for g in (a, b):
        while not g.done:
            play_turn(g, agents)
    assert [e.checksum for e in a.turn_records] == [e.checksum for e in b.turn_records]
    assert a.state.equals(b.state)
    assert len(b.history) == len(a.history) and all(np.array_equal(x, y) for x, y in zip(a.history, b.history, strict=True))


def test_load_then_continue_equals_never_saving_with_bargaining_doctrines(tmp_path):
    # endgame-2024's doctrines bargain: what they remember of offers refused changes what they offer next.
    model = CompiledModel.load("endgame-2024")
    differ = []
    for seed in (8, 11):  # two seeds where the memory matters (most games do not bargain before turn 5)
        a = Game(model, seed=seed)
        agents = make_agents(model, {}, default="doctrine")
        for _ in range(5):
            play_turn(a, agents)
        b = load_game(save_game(a, tmp_path / f"s{seed}.toml", agents={r: "doctrine" for r in agents})).game
        for g, ag in ((a, agents), (b, make_agents(model, {}, default="doctrine"))):
            while not g.done:
                play_turn(g, ag)
        if [e.checksum for e in a.turn_records] != [e.checksum for e in b.turn_records]:
            differ.append(seed)
    assert differ == []


def test_seed_and_game_indices_beyond_int64_are_stored_as_text(tmp_path, mini):
    g = Game(mini, seed=2**64 - 1, games=np.array([2**64 - 2], dtype=np.uint64))
    play_turn(g, make_agents(mini, {}, default="random"))
    p = save_game(g, tmp_path / "big.toml")
    doc = tomllib.loads(p.read_text("utf-8"))
    assert doc["record"]["seed"] == str(2**64 - 1) and doc["record"]["games"] == [str(2**64 - 2)]
    assert doc["state"]["games"] == [str(2**64 - 2)]
    b = load_game(p).game
    assert int(b.state.games[0]) == 2**64 - 2 and b.state.checksum() == g.state.checksum()


def test_meta_that_toml_cannot_hold_is_refused_with_its_key(tmp_path, mini):
    g = Game(mini, seed=1)
    with pytest.raises(SaveError, match=r"meta\.umpire: None"):
        save_game(g, tmp_path / "x.toml", meta={"umpire": None})
    with pytest.raises(SaveError, match=r"meta\.n.*64 bits"):
        save_game(g, tmp_path / "x.toml", meta={"n": 2**70})
    assert not (tmp_path / "x.toml").exists()
    save_game(g, tmp_path / "ok.toml", meta={"n": np.int64(3), "roles": ("red", "blue")})
    assert load_game(tmp_path / "ok.toml").meta == {"n": 3, "roles": ["red", "blue"]}


def test_a_game_without_an_order_log_cannot_be_saved(tmp_path, mini):
    with pytest.raises(SaveError, match="log=False"):
        save_game(Game(mini, seed=1, log=False), tmp_path / "x.toml")


# --- rewind ---------------------------------------------------------------------------------------------


def test_rewind_branches_from_the_start_of_turn_n(tmp_path, mini):
    g, specs = play(mini, 9, 5, "random", umpire=True)
    p = save_game(g, tmp_path / "s.toml", agents=specs, meta={"name": "seminar"})
    back = load_game(p, upto=3)
    assert back.game.turn == 3 and len(back.game.turn_records) == 2
    assert back.game.state.checksum() == g.turn_records[1].checksum
    assert back.meta["branch"] == {"from": "s.toml", "turn": g.turn, "rewound_to": 3}
    assert back.meta["name"] == "seminar"
    # The branch plays on and saves like any game.
    back.game.set_orders("red", ["attack"]) if "attack" in back.game.legal_moves("red") else None
    back.game.step()
    assert load_game(save_game(back.game, tmp_path / "branch.toml", meta=back.meta)).game.turn == 4
    with pytest.raises(SaveError, match="cannot rewind"):
        load_game(p, upto=g.turn + 1)
    with pytest.raises(SaveError, match="cannot rewind"):
        load_game(p, upto=0)


# --- embedded ruleset -----------------------------------------------------------------------------------


def test_the_embedded_ruleset_is_used_even_when_the_file_changed_or_is_gone(tmp_path):
    base = tmp_path / "rs" / "mini.toml"
    base.parent.mkdir()
    shutil.copy(MINI, base)
    variant = tmp_path / "rs" / "mini-growth.toml"
    variant.write_text('extends = "mini"\n[ruleset]\nid = "mini-growth"\ntitle = "Mini, more growth"\n'
                       'start = 2024-12-01\nmax_turns = 6\nphases = ["diplomacy", "operations", "production", "escalation", "events"]\n'
                       '[params.growth]\nvalue = 9.0\nmin = 0.0\nmax = 20.0\nsource = "test"\n', "utf-8")
    model = CompiledModel.load(variant, {"params.growth": "7"})
    assert [Path(p).name for p, _ in model.files] == ["mini-growth.toml", "mini.toml"]
    g, specs = play(model, 3, 3, "doctrine")
    p = save_game(g, tmp_path / "v.toml", agents=specs)
    base.write_text(base.read_text("utf-8").replace("max = 500", "max = 5"), "utf-8")  # the base changed
    variant.unlink()  # and the variant is gone
    loaded = load_game(p)
    assert loaded.game.model.id == "mini-growth" and loaded.game.value("params.growth") == 7.0
    assert loaded.game.state.checksum() == g.state.checksum()
    assert replay_save(p).ok


# --- autosave and the load screen -------------------------------------------------------------------------


def test_autosave_rotates_and_falls_back_past_damaged_ones(tmp_path, mini):
    folder = tmp_path / "saves"
    g = Game(mini, seed=4)
    agents = make_agents(mini, {}, default="doctrine")
    paths = []
    while not g.done:
        play_turn(g, agents)
        paths.append(autosave(g, folder, keep=3, agents={"red": "doctrine:hawk"}, meta={"humans": ["blue"]}))
    names = sorted(p.name for p in folder.glob("autosave-*.toml"))
    assert names == sorted(p.name for p in paths[-3:])
    assert latest_autosave(folder).game.turn == g.turn
    # Damage the newest two: the third newest loads, and both damaged files are named.
    paths[-1].write_bytes(paths[-1].read_bytes()[:200])
    rewrite(paths[-2], lambda d: d["state"]["values"][0].__setitem__(0, 1.5))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = latest_autosave(folder)
    assert got is not None and got.path == paths[-3]
    msgs = [str(x.message) for x in w if issubclass(x.category, SaveWarning)]
    assert any(paths[-1].name in m for m in msgs) and any(paths[-2].name in m for m in msgs)
    assert latest_autosave(tmp_path / "none") is None


def test_list_saves_for_the_load_screen(tmp_path, mini):
    g, specs = play(mini, 2, 2)
    save_game(g, tmp_path / "monday.toml", agents={"red": "doctrine:hawk"},
              meta={"name": "Monday seminar", "humans": ["blue"]}, saved_at="2026-11-23T10:00:00Z")
    save_game(g, tmp_path / "later.toml", saved_at="2026-11-24T10:00:00Z")
    (tmp_path / "broken.toml").write_text("format = 'endgame-save'\n[header", "utf-8")
    infos = list_saves(tmp_path)
    by = {i.path.name: i for i in infos}
    assert [i.path.name for i in infos if i.ok] == ["later.toml", "monday.toml"]
    m = by["monday.toml"]
    assert (m.name, m.ruleset_id, m.ruleset_title, m.turn) == ("Monday seminar", "mini", "Mini", 3)
    assert m.roles == {"red": "doctrine:hawk", "blue": "human"} and m.saved_at == "2026-11-23T10:00:00Z"
    assert not by["broken.toml"].ok and "not valid TOML" in by["broken.toml"].error


# --- versions and migrations ---------------------------------------------------------------------------------


def test_golden_v1_save_migrates_loads_and_replays():
    golden = DATA / "v1-mini.toml"
    assert tomllib.loads(golden.read_text("utf-8"))["version"] == 1
    loaded = load_game(golden)
    assert loaded.format_version == 1 and FORMAT_VERSION == 3
    assert loaded.agents == {"red": "doctrine:hawk", "blue": "random"}
    assert loaded.game.turn == 4 and loaded.header["ruleset_title"] == "Mini"
    assert [type(r).__name__ for r in loaded.game.records() if type(r).__name__ == "UmpireAction"] == ["UmpireAction"] * 2
    assert replay_save(golden).ok


def test_golden_v2_save_migrates_loads_and_replays(tmp_path):
    """Written by the format-2 code (tests/data/make_v2_golden.py): game 17 with its own parameters,
    umpire actions in the log, saved mid-turn. It loads as format 3 with all of that, and saves again."""
    golden = DATA / "v2-mini.toml"
    assert tomllib.loads(golden.read_text("utf-8"))["format_version"] == 2
    loaded = load_game(golden)
    g = loaded.game
    assert loaded.format_version == 2 and loaded.verified
    assert g.turn == 4 and int(g.state.games[0]) == 17 and g.value("params.growth") == 9.0
    assert [[a.action for a in t.umpire] for t in g.turn_records] == [[], ["adjust"], ["inject", "pause"]]
    assert g.turn_records[2].umpire[0] == Inject("storm", "a storm, as in the 1950 log")
    assert g.umpire_actions == (Adjust("red.ammo", 25.0, "resupply"),) and g.orders_of("red") == ["attack"]
    assert loaded.meta == {"humans": ["red"], "umpire": True}
    assert replay_save(golden).ok
    again = load_game(save_game(g, tmp_path / "v3.toml")).game
    assert again.record() == g.record() and again.state.equals(g.state)
    # the rewind keeps game 17 and its parameters: the replayed turns match the recorded checksums
    after_turn_1 = g.turn_records[0].checksum
    assert g.rewind(2) is None
    assert int(g.state.games[0]) == 17 and g.state.checksum() == after_turn_1


def test_golden_v1_damage_is_caught_before_migrating(tmp_path):
    p = tmp_path / "v1.toml"
    p.write_text((DATA / "v1-mini.toml").read_text("utf-8").replace("turn = 2", "turn = 7", 1), "utf-8")
    with pytest.raises(SaveError, match=r"sha256: does not match"):
        load_game(p)


def test_a_newer_format_is_refused_readably(tmp_path, mini):
    p = save_game(Game(mini, seed=1), tmp_path / "n.toml")
    rewrite(p, lambda d: d.__setitem__("format_version", FORMAT_VERSION + 1))
    with pytest.raises(SaveError, match=rf"format {FORMAT_VERSION + 1} is newer .* upgrade endgame-game"):
        load_game(p)


# --- damage and tampering ---------------------------------------------------------------------------------------


def test_hand_edit_without_rehash_is_caught_by_the_body_hash(tmp_path, mini):
    g, _ = play(mini, 3, 3)
    p = save_game(g, tmp_path / "s.toml")
    text = p.read_text("utf-8")
    p.write_text(text.replace("seed = 3", "seed = 4", 1), "utf-8")
    with pytest.raises(SaveError, match=r"body_sha256: does not match the content"):
        load_game(p)


def test_state_tampering_with_a_recomputed_hash_is_caught_by_the_replay(tmp_path, mini):
    g, _ = play(mini, 3, 3)
    p = save_game(g, tmp_path / "s.toml")
    rewrite(p, lambda d: d["state"]["values"][0].__setitem__(0, 499.0))
    with pytest.raises(SaveError, match=r"state: the stored state differs .* values\[0, 0\] \(red\.men\)"):
        load_game(p)
    res = replay_save(p)
    assert not res.ok and res.diverged is None and "red.men" in res.difference


def test_a_save_from_another_platform_that_replays_differently_opens_with_a_warning(tmp_path, mini):
    g, _ = play(mini, 3, 3)
    p = save_game(g, tmp_path / "s.toml")

    def other_machine(d):
        d["header"]["platform"] = "Darwin-arm64"
        d["state"]["values"][0][0] = d["state"]["values"][0][0] + 1e-9  # one ulp-ish of drift
    rewrite(p, other_machine)
    with pytest.warns(SaveWarning, match="Darwin-arm64"):
        loaded = load_game(p)
    assert loaded.game.state.values[0, 0] == g.state.values[0, 0] + 1e-9
    assert not loaded.verified and load_game(save_game(g, tmp_path / "t.toml")).verified


def test_wrong_types_name_the_key(tmp_path, mini):
    g, _ = play(mini, 3, 2)
    p = save_game(g, tmp_path / "s.toml")
    cases = [
        (lambda d: d["record"]["turns"][0].__setitem__("turn", "one"), r"turns\[0\]\.turn: expected a whole number"),
        (lambda d: d["state"]["flags"][0].__setitem__(0, 1), r"state\.flags: expected true/false"),
        (lambda d: d["state"].__setitem__("values", [[1.0]]), r"state\.values\[0\]: expected a list of 4"),
        (lambda d: d["header"].pop("batch"), r"header\.batch: required key is missing"),
        (lambda d: d["record"]["turns"][1]["orders"].__setitem__("red", [["fly"]]), r"turns\[1\].*no move 'fly'"),
        (lambda d: d["record"]["current"]["umpire"].append({"action": "launch", "reason": ""}), r"unknown umpire action"),
        (lambda d: d.__setitem__("extra", 1), r"extra: unknown key"),
        (lambda d: d["record"]["files"][0].__setitem__("text", "[ruleset]\n"), r"header\.ruleset_sha256: does not match"),
    ]
    for change, pattern in cases:
        q = tmp_path / "case.toml"
        shutil.copy(p, q)
        rewrite(q, change)
        with pytest.raises(SaveError, match=pattern):
            load_game(q)


def test_canonical_bytes_ignore_toml_layout(tmp_path, mini):
    p = save_game(Game(mini, seed=1), tmp_path / "s.toml")
    doc = tomllib.loads(p.read_text("utf-8"))
    p.write_text(tomli_w.dumps(doc), "utf-8")  # single-line strings, same data
    assert canonical(doc) == canonical(tomllib.loads(p.read_text("utf-8")))
    assert read_save(p).header["ruleset_id"] == "mini"


def test_loading_opens_only_the_save_and_runs_nothing(tmp_path, mini):
    """Saves are data: loading one reads that file alone (the ruleset comes from inside it) and starts
    no process and no exec (checked with a sys.audit hook)."""
    import sys

    rs = tmp_path / "mini.toml"
    shutil.copy(MINI, rs)
    g, specs = play(CompiledModel.load(rs), 3, 3, umpire=True)
    p = save_game(g, tmp_path / "s.toml", agents=specs)
    rs.unlink()
    load_game(p)  # warm up: every module imported
    seen: list[tuple[str, str]] = []
    watching = [True]

    def hook(event, args):
        if watching[0] and event in ("open", "exec", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
            seen.append((event, str(args[0]) if args else ""))

    sys.addaudithook(hook)
    try:
        loaded = load_game(p)
    finally:
        watching[0] = False
    assert loaded.game.state.checksum() == g.state.checksum()
    assert seen and all(e == "open" for e, _ in seen), seen
    assert {Path(a).resolve() for _e, a in seen} == {p.resolve()}, seen


def test_games_sharing_a_folder_rotate_only_their_own_autosaves(tmp_path, mini, monkeypatch):
    """Two seminar groups autosave into one folder: each keeps its own newest autosaves; and only the
    ``KEEP_GAMES`` most recently autosaved games keep any."""
    from endgame_game.saves import store

    folder = tmp_path / "saves"
    legacy = folder / "autosave-000001-mini-t002.toml"  # an autosave named before games had keys
    folder.mkdir()
    legacy.write_text("x = 1\n", encoding="utf-8")
    a, b = Game(mini, seed=1), Game(mini, seed=2)
    agents = make_agents(mini, {}, default="doctrine")
    mine: dict[int, list[Path]] = {1: [], 2: []}
    for _ in range(4):
        for g in (a, b):
            play_turn(g, agents)
            mine[g.seed].append(autosave(g, folder, keep=2))
    left = sorted(folder.glob("autosave-*.toml"))
    assert sorted(mine[1][-2:] + mine[2][-2:] + [legacy]) == left
    assert latest_autosave(folder).game.seed == 2  # "resume" still takes the newest of all
    monkeypatch.setattr(store, "KEEP_GAMES", 3)
    for seed in range(10, 13):
        autosave(Game(mini, seed=seed), folder, keep=2)
    seeds = {store.GAME_KEY_RE.search(p.name).group(1) for p in folder.glob("autosave-*.toml")}  # type: ignore[union-attr]
    assert seeds == {store.game_key(Game(mini, seed=s)) for s in (10, 11, 12)}  # the legacy group and a, b went
