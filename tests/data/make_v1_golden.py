"""How ``v1-mini.toml`` was made (kept for provenance; the golden file itself must never be regenerated
casually: it stands for saves written by the format-1 development build).

Format 1 differed from format 2 as ``saves/migrations.py`` describes. This script plays a mini game,
encodes it in format 2 and rewrites the data the way format 1 stored it.

    .venv/bin/python tests/data/make_v1_golden.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import tomli_w

HERE = Path(__file__).resolve().parent


def main() -> None:
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    from endgame_game.ai import make_agents, play_turn
    from endgame_game.engine import CompiledModel, Game
    from endgame_game.saves.format import canonical, encode

    model = CompiledModel.load(HERE.parent / "rulesets" / "mini.toml")
    game = Game(model, seed=11)
    agents = make_agents(model, {"red": "doctrine:hawk", "blue": "random"})
    play_turn(game, agents)
    game.adjust("blue.men", 70.0, "the umpire rules the flank held")
    play_turn(game, agents)
    game.inject("storm", "a storm, as in the 1950 log")
    play_turn(game, agents)
    doc = encode(game, agents={"red": "doctrine:hawk", "blue": "random"}, saved_at="2026-06-01T09:00:00Z")
    doc["game"]["ruleset_ref"] = "rulesets/mini.toml"
    h = doc["header"]
    for k in ("ruleset_title", "ruleset_version", "batch", "done", "ending"):
        del h[k]
    state = doc["state"]
    state["games"] = [hex(int(g)) for g in state["games"]]
    v1 = {
        "format": "endgame-save",
        "version": 1,
        "header": h,
        "game": doc["game"],
        "agents": [f"{k}={v}" for k, v in doc["agents"].items()],
        "ruleset_files": [{"path": "/home/okafor/rulesets/mini.toml", "text": f["text"]} for f in doc["ruleset_files"]],
        "turns": doc["turns"],
        "state": state,
    }
    v1["sha256"] = hashlib.sha256(canonical(v1)).hexdigest()
    (HERE / "v1-mini.toml").write_text(tomli_w.dumps(v1, multiline_strings=True), encoding="utf-8")


if __name__ == "__main__":
    main()
