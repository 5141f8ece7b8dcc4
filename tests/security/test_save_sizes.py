"""A save's declared sizes are checked against its body before anything is allocated, and every stored
number is range-checked against the ruleset (issue 18, items 3 and 9): a 100 KB save claiming ten
million games is refused at once, an ending index from "another platform" is refused by name."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import SaveError
from endgame_game.saves import load_game, replay_save, save_game
from endgame_game.saves.format import body_hash

MINI = Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Any]:
    model = CompiledModel.load(MINI)
    g = Game(model, seed=5)
    agents = make_agents(model, {}, default="random")
    for _ in range(2):
        play_turn(g, agents)
    p = save_game(g, tmp_path_factory.mktemp("sz") / "g.toml", agents={"red": "random", "blue": "random"})
    return tomllib.loads(p.read_text("utf-8"))


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    doc = dict(doc)
    doc["body_sha256"] = body_hash(doc)  # a deliberate forger re-hashes
    p = tmp_path / "forged.toml"
    p.write_text(tomli_w.dumps(doc, multiline_strings=True), "utf-8")
    return p


@pytest.fixture
def no_big_alloc(monkeypatch):
    """Fail the test if the loader asks for a state of more games than the body holds."""
    real = CompiledModel.new_state
    asked: list[int] = []

    def guarded(self, batch: int = 1, *a: Any, **k: Any) -> Any:
        asked.append(batch)
        assert batch <= 4, f"the loader allocated a state of {batch} games before checking the body"
        return real(self, batch, *a, **k)

    monkeypatch.setattr(CompiledModel, "new_state", guarded)
    return asked


@pytest.mark.parametrize("batch", [10_000_000, 2, 3])
@pytest.mark.parametrize("load", [load_game, replay_save], ids=["load", "replay"])
def test_declared_batch_is_checked_against_the_body_before_allocating(tmp_path, good, no_big_alloc, batch, load):
    doc = tomllib.loads(tomli_w.dumps(good))
    doc["header"]["batch"] = batch
    for t in doc["record"]["turns"]:  # no orders logged: the order tables cannot give the size away
        t["orders"] = {}
    doc["record"]["current"]["orders"] = {}
    with pytest.raises(SaveError, match=r"header\.batch|state\.") as e:
        load(_write(tmp_path, doc))
    assert "unexpected" not in str(e.value)
    assert str(batch) in str(e.value)


@pytest.mark.parametrize("ending", [9999, -2, 7])
def test_an_ending_index_out_of_range_is_refused_by_name(tmp_path, good, ending):
    doc = tomllib.loads(tomli_w.dumps(good))
    doc["state"]["ending"] = [ending]
    doc["header"]["platform"] = "Elsewhere-z80"  # another platform: the stored state would be trusted
    with pytest.raises(SaveError, match=r"state\.ending") as e:
        load_game(_write(tmp_path, doc))
    assert "unexpected" not in str(e.value)


@pytest.mark.parametrize(("name", "value", "pattern"), [
    ("end_turn", [-5], r"state\.end_turn"),
    ("pending", [[10**6]], r"state\.pending"),
    ("answers", None, r"state\.answers"),
    ("taken", None, r"state\.taken"),
])
def test_other_state_counters_are_range_checked(tmp_path, good, name, value, pattern):
    doc = tomllib.loads(tomli_w.dumps(good))
    if value is None:  # make the first leaf negative
        leaf = doc["state"][name]
        while isinstance(leaf[0], list):
            leaf = leaf[0]
        if not leaf:
            pytest.skip(f"mini has no {name}")
        leaf[0] = -3
    else:
        if not doc["state"][name] or not (isinstance(doc["state"][name][0], list) and doc["state"][name][0]) \
                and isinstance(value[0], list):
            pytest.skip(f"mini has no {name}")
        doc["state"][name] = value
    doc["header"]["platform"] = "Elsewhere-z80"
    with pytest.raises(SaveError, match=pattern) as e:
        load_game(_write(tmp_path, doc))
    assert "unexpected" not in str(e.value)


def test_a_save_embedding_the_inlining_bomb_is_refused_quickly(tmp_path, good):
    """The audit's 2 KB ruleset that compiled for minutes, embedded in a save (re-hashed): refused by check."""
    from endgame_game.saves.format import ruleset_hash

    doc = tomllib.loads(tomli_w.dumps(good))
    text = doc["record"]["files"][0]["text"]
    chain = "".join(f'[derived.d{i}]\nvalue = "{"red.men" if i == 0 else f"d{i - 1} + d{i - 1}"}"\n' for i in range(40))
    doc["record"]["files"][0]["text"] = text + chain
    doc["header"]["ruleset_sha256"] = ruleset_hash([f["text"] for f in doc["record"]["files"]])
    with pytest.raises(SaveError, match="files.*parts") as e:
        load_game(_write(tmp_path, doc))
    assert "unexpected" not in str(e.value)
