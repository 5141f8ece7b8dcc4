"""``endgame replay``: 100 saved AI games reproduce every per-turn checksum; tampering is caught at the
turn it was made."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

from endgame_game.ai import make_agents, play_turn
from endgame_game.cli import main
from endgame_game.engine import CompiledModel, Game
from endgame_game.saves import replay_save, save_game
from endgame_game.saves.format import body_hash

HERE = Path(__file__).resolve().parent
RULESETS = {"mini": HERE / "rulesets" / "mini.toml", "tutorial": HERE.parent / "rulesets" / "tutorial.toml"}
N_GAMES = 100


def _play(model: CompiledModel, seed: int, spec: str, umpire: bool) -> Game:
    g = Game(model, seed=seed)
    agents = make_agents(model, {}, default=spec)
    while not g.done:
        if umpire and g.turn == 2:
            name = model.symbols.values[seed % len(model.symbols.values)]
            g.adjust(name, g.value(name) * 0.8, "umpire: the team argued it well")
            if model.events:
                g.inject(model.events[seed % len(model.events)].id, "umpire inject")
        play_turn(g, agents)
    return g


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> list[tuple[Path, Game]]:
    folder = tmp_path_factory.mktemp("games")
    models = {k: CompiledModel.load(p) for k, p in RULESETS.items()}
    out = []
    for i in range(N_GAMES):
        rs = "mini" if i % 2 == 0 else "tutorial"
        spec = ("random", "doctrine")[(i // 2) % 2]
        g = _play(models[rs], 1000 + i, spec, umpire=i % 5 == 0)
        out.append((save_game(g, folder / f"{rs}-{i:03d}.toml", agents={"all": spec}), g))
    return out


def test_replay_reproduces_every_checksum_of_100_games(saved, capsys):
    paths = [str(p) for p, _ in saved]
    assert main(["replay", *paths]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == N_GAMES
    for (p, g), line in zip(saved, out, strict=True):
        assert line.startswith(str(p)) and f"all {len(g.turn_records)} turns match" in line
    turns = sum(len(g.turn_records) for _p, g in saved)
    assert turns > 3 * N_GAMES
    # The ReplayResult agrees turn by turn with the games as played.
    for p, g in saved[:10]:
        res = replay_save(p)
        assert res.ok and [e.checksum for e in res.game.turn_records] == [e.checksum for e in g.turn_records]


def test_replay_entry_point_in_a_fresh_process_with_another_hash_seed(saved):
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    paths = [str(p) for p, _ in saved[::5]]
    r = subprocess.run([sys.executable, "-m", "endgame_game", "replay", "--quiet", *paths],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "" and r.stderr == ""


def _tamper(src: Path, dst: Path, change) -> None:
    doc = tomllib.loads(src.read_text("utf-8"))
    change(doc)
    doc["body_sha256"] = body_hash(doc)  # a deliberate forger re-hashes
    dst.write_text(tomli_w.dumps(doc, multiline_strings=True), "utf-8")


def test_a_tampered_order_log_is_caught_at_the_right_turn(saved, tmp_path, capsys):
    checked = 0
    for p, g in saved:
        doc = tomllib.loads(p.read_text("utf-8"))
        # The last turn (of at least 3) where some actor gave orders: drop that actor's orders there.
        cands = [(i, a) for i, t in enumerate(doc["record"]["turns"]) for a, rows in t.get("orders", {}).items()
                 if rows[0] and i >= 2]
        if not cands:
            continue
        i, actor = cands[-1]
        bad = tmp_path / f"bad-{p.name}"
        _tamper(p, bad, lambda d, i=i, actor=actor: d["record"]["turns"][i]["orders"].pop(actor))
        assert main(["replay", str(bad)]) == 1
        out = capsys.readouterr().out
        assert f"turn {i + 1} of {len(g.turn_records)} diverges" in out, out
        checked += 1
        if checked >= 15:
            break
    assert checked >= 10


def test_a_tampered_umpire_action_is_caught_at_its_turn(saved, tmp_path, capsys):
    p = next(p for p, _ in saved if "record" in (d := tomllib.loads(p.read_text("utf-8")))
             and any(t["umpire"] for t in d["record"]["turns"]))
    doc = tomllib.loads(p.read_text("utf-8"))
    k = next(i for i, t in enumerate(doc["record"]["turns"]) if t["umpire"])
    bad = tmp_path / "umpire.toml"
    _tamper(p, bad, lambda d: d["record"]["turns"][k]["umpire"][0].__setitem__("value", d["record"]["turns"][k]["umpire"][0]["value"] + 1))
    assert main(["replay", str(bad)]) == 1
    assert f"turn {k + 1} of" in capsys.readouterr().out


def test_replay_of_a_damaged_file_is_an_error_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "cut.toml"
    bad.write_text('format = "endgame-save"\nformat_version = 2\n[header', "utf-8")
    assert main(["replay", str(bad)]) == 1
    assert "not valid TOML" in capsys.readouterr().err
