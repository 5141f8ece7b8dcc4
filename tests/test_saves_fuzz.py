"""Damaged, truncated and hand-edited saves: every one ends in a SaveError with a message, never another
exception, and never an "unexpected" catch-all (which would mean a check is missing)."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest
import tomli_w

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import SaveError
from endgame_game.saves import load_game, save_game
from endgame_game.saves.format import body_hash, canonical

MINI = Path(__file__).resolve().parent / "rulesets" / "mini.toml"
N_FLIPS, N_TRUNC, N_STRUCT = 400, 150, 250


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    model = CompiledModel.load(MINI)
    g = Game(model, seed=21)
    agents = make_agents(model, {}, default="random")
    for t in range(3):
        if t == 1:
            g.adjust("blue.men", 60.0, "ruling")
            g.inject("storm", "inject")
        play_turn(g, agents)
    g.note("pause")
    return save_game(g, tmp_path_factory.mktemp("fz") / "g.toml", agents={"red": "random", "blue": "random"},
                     meta={"name": "fuzz", "humans": []}).read_bytes()


def _try(path: Path, data: bytes) -> str | None:
    """Load ``data``; None if it loaded, else the SaveError message. Any other exception fails the test."""
    path.write_bytes(data)
    try:
        load_game(path)
    except SaveError as e:
        msg = str(e)
        assert msg and "unexpected" not in msg, msg
        return msg
    return None


def test_random_byte_flips_are_all_refused(tmp_path, good):
    rng = random.Random(1)
    p = tmp_path / "m.toml"
    refused = 0
    for _ in range(N_FLIPS):
        b = bytearray(good)
        for _k in range(rng.choice([1, 1, 2, 8])):
            i = rng.randrange(len(b))
            b[i] = rng.randrange(256) if rng.random() < 0.5 else b[i] ^ (1 << rng.randrange(8))
        if bytes(b) == good:
            continue
        msg = _try(p, bytes(b))
        # A flip may only survive where it changes no data (e.g. whitespace turned into another blank).
        if msg is None:
            assert tomllib.loads(bytes(b).decode()) == tomllib.loads(good.decode())
        refused += msg is not None
    assert refused >= N_FLIPS * 0.95


def test_truncations_are_all_refused(tmp_path, good):
    rng = random.Random(2)
    p = tmp_path / "t.toml"
    cuts = sorted({0, 1, len(good) - 1, *(rng.randrange(len(good)) for _ in range(N_TRUNC))})
    for cut in cuts:
        data = good[:cut]
        msg = _try(p, data)
        if msg is None:  # only a cut in the trailing newline can leave the same data
            assert tomllib.loads(data.decode()) == tomllib.loads(good.decode())


def _paths(d, prefix=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _mutate(doc, rng: random.Random) -> None:
    paths = [p for p in _paths(doc) if p[0] not in ("body_sha256",)]
    path = rng.choice(paths)
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    op = rng.choice(["delete", "type", "value", "dup"])
    if op == "delete":
        del parent[last]
    elif op == "type":
        parent[last] = rng.choice([None and 0, "x", 1.5, True, [], {}, -1, 2**63 - 1, [[1]], {"a": 1}])
    elif op == "value":
        v = parent[last]
        if isinstance(v, bool):
            parent[last] = not v
        elif isinstance(v, int):
            parent[last] = v + rng.choice([-1, 1, 1000, -(2**40)])
        elif isinstance(v, float):
            parent[last] = rng.choice([v * 1.0001, -v, float("inf"), float("nan"), 1e308])
        elif isinstance(v, str):
            parent[last] = rng.choice(["", v[::-1], v + "x", "0" * 70, "attack"])
        elif isinstance(v, list) and v:
            v.pop(rng.randrange(len(v)))
        elif isinstance(v, dict):
            v["zz"] = 1
    elif isinstance(parent, list):
        parent.insert(last, parent[last])
    else:
        parent[str(last) + "_2"] = parent[last]


@pytest.mark.parametrize("rehash", [False, True], ids=["edited", "edited-and-rehashed"])
def test_structured_edits_end_in_save_error_or_a_valid_game(tmp_path, good, rehash):
    """Key deletions, type changes and value changes, with the hash left stale or recomputed (a
    deliberate forger). A rehashed edit may load only if it changed nothing the game depends on."""
    rng = random.Random(3 + rehash)
    base = tomllib.loads(good.decode())
    p = tmp_path / "s.toml"
    loaded_ok = 0
    n = N_STRUCT // 2
    for _ in range(n):
        doc = tomllib.loads(good.decode())
        _mutate(doc, rng)
        if canonical(doc) == canonical(base):
            continue  # the edit changed nothing (e.g. reversed a one-letter text)
        if rehash:
            doc["body_sha256"] = body_hash(doc)
        try:
            data = tomli_w.dumps(doc, multiline_strings=True).encode()
        except (TypeError, ValueError):
            continue
        msg = _try(p, data)
        if msg is None:
            loaded_ok += 1
            assert rehash, "an edit with a stale hash loaded"
            g = load_game(p).game
            # Whatever loaded must be the same game: same state and the same log.
            assert g.state.checksum() == load_game_bytes(tmp_path, good).state.checksum() or \
                {k: doc[k] for k in ("turns", "state")} == {k: base[k] for k in ("turns", "state")}
    if not rehash:
        assert loaded_ok == 0


def load_game_bytes(tmp_path: Path, data: bytes):
    q = tmp_path / "ref.toml"
    q.write_bytes(data)
    return load_game(q).game


def test_other_files_are_refused_clearly(tmp_path):
    p = tmp_path / "x.toml"
    for data, pattern in [
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'title = "a ruleset"\n', "not an endgame save"),
        (MINI.read_bytes(), "not an endgame save"),
        (b"[" * 100_000, "not valid TOML"),
        (b'format = "endgame-save"\nformat_version = "2"\n', "format_version: expected a whole number"),
    ]:
        p.write_bytes(data)
        with pytest.raises(SaveError, match=pattern):
            load_game(p)
    with pytest.raises(SaveError, match="no such file"):
        load_game(tmp_path / "missing.toml")
    with pytest.raises(SaveError, match="cannot read"):
        load_game(tmp_path)
