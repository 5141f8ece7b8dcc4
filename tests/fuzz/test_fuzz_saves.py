"""A save fuzzer: truncations, byte flips, tampering of every field with the hash recomputed (a deliberate
forger), and declared sizes that lie. Every case ends in a SaveError with a message (never another
exception, never the loader's "unexpected" catch-all), and no save can name code to run (issue 18)."""

from __future__ import annotations

import copy
import random
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endgame_game.ai import make_agents, play_turn
from endgame_game.engine import CompiledModel, Game
from endgame_game.errors import EndgameError, SaveError
from endgame_game.saves import load_game, save_game
from endgame_game.saves.format import body_hash, canonical
from endgame_game.tui.session import load_session
from tests.fuzz import budget, key_paths

MINI = Path(__file__).resolve().parents[1] / "rulesets" / "mini.toml"
_DIR = Path(tempfile.mkdtemp(prefix="savefuzz-"))
MARKER_MODULE = "fuzz_evil_agent_module"
MARKER = _DIR / "imported"
(_DIR / f"{MARKER_MODULE}.py").write_text(
    f"from pathlib import Path\nPath({str(MARKER)!r}).write_text('ran')\n"
    "class Agent:\n    def __init__(self, model, actor):\n        pass\n")


def _good() -> bytes:
    model = CompiledModel.load(MINI)
    g = Game(model, seed=8)
    agents = make_agents(model, {}, default="random")
    for t in range(3):
        if t == 1:
            g.adjust("blue.men", 60.0, "ruling")
        play_turn(g, agents)
    return save_game(g, _DIR / "good.toml", agents={"red": "random", "blue": "doctrine:steady"},
                     meta={"name": "fuzz", "humans": []}).read_bytes()


GOOD = _good()
DOC = tomllib.loads(GOOD.decode())
(_DIR / "ref.toml").write_bytes(GOOD)
GOOD_STATE = load_game(_DIR / "ref.toml").game.state.checksum()


FIELDS = [p for p in key_paths(DOC) if p[0] != "body_sha256"]
SPECS = ["os:system", "subprocess:Popen", f"{MARKER_MODULE}:Agent", "builtins:eval", "endgame_game.rl:RandomAgent",
         "pkg.mod:Attr", "lookahead:1:100000", "doctrine:../../x", "random:1:2:3", "", ":", "a" * 5000]


def _load(data: bytes, name: str = "f.toml") -> str | None:
    """Load ``data`` as a save; None if it loaded, else the SaveError's message. Anything else fails."""
    p = _DIR / name
    p.write_bytes(data)
    t0 = time.perf_counter()
    try:
        load_game(p)
    except SaveError as e:
        msg = str(e)
        assert msg and "unexpected" not in msg, msg
        return msg
    finally:
        assert time.perf_counter() - t0 < 60, "a save took a minute to load or refuse"
    return None


def _dump(doc: dict[str, Any]) -> bytes | None:
    try:
        return tomli_w.dumps(doc, multiline_strings=True).encode()
    except (TypeError, ValueError):
        return None


@pytest.mark.slow
@settings(max_examples=budget.examples(30), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, len(GOOD) - 1), st.integers(0, 2**32 - 1))
def test_truncated_or_flipped_saves_are_refused(cut, seed):
    budget.start("save fuzzer (damage)")
    rng = random.Random(seed)
    if rng.random() < 0.5:
        data = GOOD[:cut]
        kind = "truncation"
    else:
        b = bytearray(GOOD)
        for _ in range(rng.choice([1, 1, 2, 8])):
            i = rng.randrange(len(b))
            b[i] = rng.randrange(256) if rng.random() < 0.5 else b[i] ^ (1 << rng.randrange(8))
        data = bytes(b)
        kind = "flip"
    msg = _load(data)
    if msg is None:  # only a change that leaves the same data (trailing newline, a blank for a blank) loads
        assert tomllib.loads(data.decode()) == DOC
        budget.count("save fuzzer (damage)", f"{kind} changed nothing, loaded")
    else:
        budget.count("save fuzzer (damage)", f"{kind} refused")


VALUES = st.sampled_from([None, True, False, 0, -1, 1, 2, 9999, -(2**63), 2**63 - 1, 1.5, float("nan"),
                          float("inf"), "", "x", "0" * 70, "ｔｕｒｎ", [], [[]], {}, {"a": 1}, [1] * 50])


@pytest.mark.slow
@settings(max_examples=budget.examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(FIELDS), VALUES, st.booleans())
def test_every_field_tampered_and_rehashed(field, value, rehash):
    budget.start("save fuzzer (tampering)")
    doc = copy.deepcopy(DOC)
    parent: Any = doc
    for k in field[:-1]:
        parent = parent[k]
    if value is None:
        del parent[field[-1]]
    else:
        parent[field[-1]] = value
    if canonical(doc) == canonical(DOC):
        budget.count("save fuzzer (tampering)", "changed nothing (skipped)")
        return
    if rehash:
        doc["body_sha256"] = body_hash(doc)
    data = _dump(doc)
    if data is None:
        budget.count("save fuzzer (tampering)", "not TOML (skipped)")
        return
    msg = _load(data)
    kind = "re-hashed" if rehash else "stale hash"
    if msg is None:
        assert rehash, f"an edit of {field} with a stale hash loaded"
        # A forgery that loads changed nothing the game depends on: the same state, the same log.
        assert load_game(_DIR / "f.toml").game.state.checksum() == GOOD_STATE, f"an edit of {field} changed the game"
        budget.count("save fuzzer (tampering)", f"{kind}: loaded (no effect on the game)")
    else:
        budget.count("save fuzzer (tampering)", f"{kind}: refused")


@pytest.mark.slow
@settings(max_examples=budget.examples(25), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["batch", "turn"]), st.sampled_from([0, 2, 3, 100, 10_000_000, 2**31, 2**62, -5]))
def test_declared_sizes_that_lie(key, value):
    budget.start("save fuzzer (declared sizes)")
    doc = copy.deepcopy(DOC)
    doc["header"][key] = value
    for t in doc["record"]["turns"]:
        t["orders"] = {}
    doc["record"]["current"]["orders"] = {}
    doc["body_sha256"] = body_hash(doc)
    data = _dump(doc)
    assert data is not None
    msg = _load(data)
    assert msg is not None and f"header.{key}" in msg or "state." in (msg or ""), msg
    budget.count("save fuzzer (declared sizes)", "refused")


@pytest.mark.slow
@settings(max_examples=budget.examples(20), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["red", "blue", "nobody"]), st.sampled_from(SPECS) | st.text(max_size=40))
def test_no_save_can_name_code_to_run(role, spec):
    budget.start("save fuzzer (agent specs)")
    doc = copy.deepcopy(DOC)
    doc["agents"][role] = spec
    doc["body_sha256"] = body_hash(doc)
    data = _dump(doc)
    if data is None:
        budget.count("save fuzzer (agent specs)", "not TOML (skipped)")
        return
    p = _DIR / "agents.toml"
    p.write_bytes(data)
    before = set(sys.modules)
    sys.path.insert(0, str(_DIR))  # the marker module is importable: only the loader's refusal keeps it out
    try:
        try:
            session = load_session(p, saves_dir=None)
        except EndgameError as e:
            assert str(e)
            budget.count("save fuzzer (agent specs)", "refused")
        else:
            from endgame_game.ai.loading import is_builtin

            assert all(is_builtin(s) for s in session.agent_specs.values()), session.agent_specs
            budget.count("save fuzzer (agent specs)", "loaded with built-in agents")
    finally:
        sys.path.remove(str(_DIR))
    assert MARKER_MODULE not in set(sys.modules) - before
    assert not MARKER.exists(), f"a save's agent spec {spec!r} ran code"
